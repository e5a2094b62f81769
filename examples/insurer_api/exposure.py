"""The insurer's view of exposure: per bucket key, the sum over each exporter's latest snapshot.

The stored snapshots are verified again (signature, schema, audience, Paillier key) with the
exporters' keys as configured now, and only the resulting
:class:`~gateway.verify.VerifiedSubmission` objects reach the key custodian, which adds the
ciphertexts of one bucket key across exporters and decrypts only the sum, once per bucket: the
insurer reads aggregate buckets, never one submission's share when several contributed. A
snapshot whose key is no longer trusted is left out (and logged by id).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPublicKey
from gateway.errors import VerificationError
from gateway.examples.insurer_api.custody import KeyCustodian
from gateway.examples.insurer_api.state import StoredSubmission
from gateway.verify import VerifiedSubmission, verify_submission

log = logging.getLogger(__name__)


def verified_snapshots(
    stored: Sequence[StoredSubmission],
    gateways: Mapping[str, Mapping[str, Any]],
    public_key: PaillierPublicKey,
    insurer_id: str,
) -> list[VerifiedSubmission]:
    """``stored`` verified again against each exporter's configured JWKS."""
    verified = []
    for item in stored:
        jwks = gateways.get(item.exporter_id)
        try:
            if jwks is None:
                raise VerificationError("exporter no longer configured")
            result = verify_submission(item.jws, jwks, public_key, issuer=item.exporter_id,
                                       audience=insurer_id)
        except VerificationError:
            log.warning("exposure: submission %s of %s no longer verifies; left out",
                        item.submission_id, item.exporter_id)
            continue
        verified.append(result)
    return verified


def exposure(
    submissions: Sequence[VerifiedSubmission], custodian: KeyCustodian
) -> list[dict[str, Any]]:
    """``[{key, records, total_minor, currency, submission_ids}]`` ordered by key."""
    if not submissions:
        return []
    records: dict[str, int] = defaultdict(int)
    carriers: dict[str, set[str]] = defaultdict(set)
    currencies: dict[str, str] = {}
    for verified in submissions:
        if verified.payload.exposure is None:
            continue
        for bucket in verified.payload.exposure.buckets:
            key = canonical_json(bucket.key.model_dump()).decode()
            records[key] += bucket.records
            carriers[key].add(verified.payload.jti)
            currencies[key] = bucket.key.currency
    totals = custodian.decrypt_submission_exposure(*submissions)
    return [
        {
            "key": json.loads(key),
            "records": records[key],
            "total_minor": totals[key],
            "currency": currencies[key],
            "submission_ids": sorted(carriers[key]),
        }
        for key in sorted(totals)
    ]

