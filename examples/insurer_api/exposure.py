"""The insurer's view of exposure: per bucket key, the sum over each exporter's latest snapshot.

Ciphertexts of the same bucket key (from several exporters) are added homomorphically first and
only the sum is decrypted, once per bucket: the insurer reads aggregate buckets, never one
submission's share when several contributed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

from gateway.crypto import PaillierPrivateKey, add_ciphertexts
from gateway.examples.insurer_api.state import BucketRow


def exposure(rows: Sequence[BucketRow], private_key: PaillierPrivateKey) -> list[dict[str, Any]]:
    """``[{key, records, total_minor, currency, submission_ids}]`` ordered by key.

    ``rows`` must be ordered by ``bucket_key`` (as :meth:`InsurerState.buckets` returns them).
    """
    result = []
    for key_json, group in itertools.groupby(rows, key=lambda row: row.bucket_key):
        members = list(group)
        ciphertexts = [row.ciphertext for row in members]
        total = add_ciphertexts(private_key.public_key, ciphertexts)
        result.append(
            {
                "key": json.loads(key_json),
                "records": sum(row.records for row in members),
                "total_minor": private_key.decrypt(total),
                "currency": members[0].currency,
                "submission_ids": sorted({row.submission_id for row in members}),
            }
        )
    return result
