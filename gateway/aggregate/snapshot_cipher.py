"""Ciphertexts for an exposure snapshot, keeping those of buckets whose total has not changed.

Every final submission carries the whole book's exposure snapshot, one Paillier ciphertext per
bucket. Between two snapshots most buckets keep their total (a push of a thousand invoices
touches a few buckets of thousands), and a fresh textbook encryption costs one modular
exponentiation. So a bucket whose key and total are those of the previous snapshot, under the
same insurer key, is sent with the ciphertext it was sent with before; only changed and new
buckets are encrypted.

What this tells the insurer: that the bucket's total did not change, which it learns anyway by
decrypting both snapshots. The memory of the previous snapshot (bucket key → total and
ciphertext) is kept in the gateway's store with the submission that sent it, as the exposures
themselves are (SECURITY.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gateway.aggregate.aggregator import Bucket
from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey, encrypt_bucket_totals
from gateway.crypto.obfuscators import ObfuscatorSource


def _previous(memory: str | None, fingerprint: str) -> dict[str, tuple[int, str]]:
    """The previous snapshot's ciphertexts by bucket; empty if there is none, it was made under
    another key, or it cannot be read (then every bucket is encrypted afresh)."""
    if not memory:
        return {}
    try:
        data = json.loads(memory)
        if data.get("key") != fingerprint:
            return {}
        return {
            key: (total, ciphertext)
            for key, (total, ciphertext) in data["buckets"].items()
            if type(total) is int and isinstance(ciphertext, str)
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


def snapshot_ciphertexts(
    public_key: PaillierPublicKey,
    buckets: Sequence[Bucket],
    memory: str | None,
    obfuscators: ObfuscatorSource | None = None,
) -> tuple[list[str], str, int]:
    """Ciphertexts for ``buckets`` in order, the memory to keep for the next snapshot, and how
    many buckets were encrypted afresh."""
    previous = _previous(memory, public_key.fingerprint)
    keys = [canonical_json(b.key.as_dict()).decode() for b in buckets]
    out: list[str | None] = []
    fresh: list[int] = []
    for n, (key, bucket) in enumerate(zip(keys, buckets, strict=True)):
        kept = previous.get(key)
        if kept is not None and kept[0] == bucket.total_minor:
            out.append(kept[1])
        else:
            out.append(None)
            fresh.append(n)
    encrypted = encrypt_bucket_totals(
        public_key, [buckets[n].total_minor for n in fresh], obfuscators=obfuscators
    )
    for n, ciphertext in zip(fresh, encrypted, strict=True):
        out[n] = ciphertext
    done = [c for c in out if c is not None]
    assert len(done) == len(buckets)
    remembered: dict[str, Any] = {
        "key": public_key.fingerprint,
        "buckets": {
            key: [bucket.total_minor, ciphertext]
            for key, bucket, ciphertext in zip(keys, buckets, done, strict=True)
        },
    }
    return done, json.dumps(remembered, separators=(",", ":")), len(fresh)
