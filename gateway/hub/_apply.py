"""Applying one verified contribution to the running sums, inside the caller's transaction.

The refusals come first (replay by jti or SHA-256, closed period, second contribution of the
exporter for the period, unknown exporter), then the contribution row, then for every bucket
the running sum (Paillier addition: a product of ciphertexts, no private key) with its
contributor count, and the membership row. The caller commits all of it at once or nothing.
"""

from __future__ import annotations

import sqlite3

import gmpy2

from gateway.crypto import PaillierPublicKey, b64url_decode
from gateway.crypto.ciphertext import encode_ciphertext
from gateway.errors import CiphertextError, StoreError
from gateway.hub.contribution import VerifiedContribution
from gateway.hub.errors import HubConflict, UnknownExporter

_KEY = "period = ? AND buyer = ? AND country = ? AND currency = ? AND maturity_month = ?"


def check_refusals(conn: sqlite3.Connection, c: VerifiedContribution) -> None:
    """Raise the refusal that applies to ``c``, if any (nothing is written)."""
    seen = conn.execute(
        "SELECT 1 FROM contributions WHERE jti = ? OR sha256 = ?", (c.jti, c.sha256)
    ).fetchone()
    if seen:
        raise HubConflict("replayed", "contribution already received (replay refused)")
    if conn.execute("SELECT 1 FROM releases WHERE period = ?", (c.period,)).fetchone():
        raise HubConflict(
            "period_closed", f"period {c.period} is released and closed; no more contributions"
        )
    if not conn.execute(
        "SELECT 1 FROM exporters WHERE exporter_id = ?", (c.exporter_id,)
    ).fetchone():
        raise UnknownExporter("contribution issuer is not a registered exporter")
    if conn.execute(
        "SELECT 1 FROM contributions WHERE exporter_id = ? AND period = ?",
        (c.exporter_id, c.period),
    ).fetchone():
        raise HubConflict(
            "already_contributed",
            f"exporter {c.exporter_id} already contributed to period {c.period}",
        )


def apply_contribution(
    conn: sqlite3.Connection,
    c: VerifiedContribution,
    paillier: PaillierPublicKey,
    received_at: int,
) -> None:
    """Insert ``c`` and add its buckets to the sums (the caller holds the transaction).

    The period's sums are read in one query and written back in batches. Every stored sum is
    a product of ciphertexts that :func:`gateway.crypto.decode_ciphertext` accepted when their
    contributions were verified, so it is in range and coprime to n by construction; the
    addition is the plain product mod n² on GMP (:func:`gateway.crypto.ciphertext.add_raw`
    without re-checking those invariants for every bucket).
    """
    check_refusals(conn, c)
    keys = [(k.buyer, k.country, k.currency, k.maturity_month) for k, _ in c.buckets]
    if not keys or len(set(keys)) != len(keys):
        raise StoreError("contribution: buckets must be present and unique")
    conn.execute(
        "INSERT INTO contributions (jti, exporter_id, period, sha256, kid, received_at, buckets) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (c.jti, c.exporter_id, c.period, c.sha256, c.kid, received_at, len(c.buckets)),
    )
    stored = {
        (row["buyer"], row["country"], row["currency"], row["maturity_month"]): row["ciphertext"]
        for row in conn.execute(
            "SELECT buyer, country, currency, maturity_month, ciphertext FROM sums "
            "WHERE period = ?",
            (c.period,),
        )
    }
    n_square = gmpy2.mpz(paillier.n) * paillier.n
    added: list[tuple[object, ...]] = []
    updated: list[tuple[object, ...]] = []
    for key, (_, ciphertext) in zip(keys, c.buckets, strict=True):
        if not 0 < ciphertext < n_square:  # verified already; a cheap second look
            raise CiphertextError("contribution: a ciphertext is out of range")
        before = stored.get(key)
        if before is None:
            added.append((c.period, *key, encode_ciphertext(paillier, ciphertext)))
        else:
            total = int(gmpy2.mpz(_stored_int(before)) * ciphertext % n_square)
            updated.append((encode_ciphertext(paillier, total), c.period, *key))
    conn.executemany(
        "INSERT INTO sums (period, buyer, country, currency, maturity_month, ciphertext, "
        "contributors) VALUES (?, ?, ?, ?, ?, ?, 1)",
        added,
    )
    conn.executemany(
        f"UPDATE sums SET ciphertext = ?, contributors = contributors + 1 WHERE {_KEY}",  # noqa: S608 - constant
        updated,
    )
    conn.executemany(
        "INSERT INTO members (period, buyer, country, currency, maturity_month, jti) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(c.period, *key, c.jti) for key in keys],
    )


def _stored_int(text: str) -> int:
    return int.from_bytes(b64url_decode(text, what="stored sum", error=StoreError), "big")
