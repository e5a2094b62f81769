"""Accepting one submission: the attachment endpoint's logic, free of HTTP framing.

Order of checks: the ``kid`` in the (unverified) protected header picks the trusted key, and so
the exporter that owns it; the signature, schema, audience and Paillier key fingerprint are
checked by :func:`gateway.verify.verify_submission`; then the payload's ``iss`` must be the
exporter that owns the key and its ``jti`` must equal the ``Idempotency-Key``. The unverified
payload is never used to choose a key.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from gateway.canonical import canonical_json
from gateway.crypto import check_ed25519_public_jwk
from gateway.errors import ConfigError, GatewayError, VerificationError
from gateway.examples.insurer_api.config import InsurerConfig
from gateway.examples.insurer_api.state import Accepted, InsurerState, Outcome
from gateway.sign import SUBMISSION_TYP, sign_receipt
from gateway.verify import verify_submission
from gateway.verify.compact import parse_compact


class ApiError(Exception):
    """An answer other than success: HTTP status, stable code, short text (never input)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(f"{status} {code}")


def kid_index(gateways: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """``kid -> (exporter id, that exporter's JWKS)``; a kid owned by two exporters is refused."""
    index: dict[str, tuple[str, dict[str, Any]]] = {}
    for exporter_id, jwks in gateways.items():
        keys = jwks.get("keys")
        if not isinstance(keys, list) or not keys:
            raise ConfigError(f"gateway {exporter_id}: JWKS has no keys")
        for i, jwk in enumerate(keys):
            try:
                kid = check_ed25519_public_jwk(jwk, where=f"{exporter_id} keys[{i}]")["kid"]
            except GatewayError as exc:
                raise ConfigError(f"gateway {exporter_id}: {exc}") from exc
            if kid in index and index[kid][0] != exporter_id:
                raise ConfigError(f"gateway {exporter_id}: key {kid} also belongs to another")
            index[kid] = (exporter_id, dict(jwks))
    return index


def _header_kid(jws: str) -> str:
    """The ``kid`` of a strictly parsed (not yet verified) submission JWS."""
    try:
        return parse_compact(jws, typ=SUBMISSION_TYP).header["kid"]
    except VerificationError as exc:
        raise ApiError(400, "malformed_jws", "body is not a well-formed submission JWS") from exc


class AttachmentService:
    """Verifies submissions, stores each once and answers with a signed receipt."""

    def __init__(
        self,
        config: InsurerConfig,
        state: InsurerState,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._state = state
        self._keys = kid_index(config.gateways)
        self._clock = clock

    def accept(self, body: bytes, idempotency_key: str | None) -> tuple[int, str]:
        """``(201, receipt)`` for a new submission, ``(200, original receipt)`` for a replay."""
        if not idempotency_key:
            raise ApiError(400, "missing_idempotency_key", "Idempotency-Key header is required")
        try:
            jws = body.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise ApiError(400, "malformed_jws", "body is not a compact JWS") from exc
        kid = _header_kid(jws)
        if kid not in self._keys:
            raise ApiError(401, "unknown_key", "the signing key is not registered")
        exporter_id, jwks = self._keys[kid]
        try:
            verified = verify_submission(
                jws,
                jwks,
                self._config.paillier_private_key.public_key,
                audience=self._config.insurer_id,
            )
        except VerificationError as exc:
            raise ApiError(401, "verification_failed", "the submission did not verify") from exc
        payload = verified.payload
        if payload.iss != exporter_id:
            raise ApiError(401, "issuer_mismatch", "iss is not the owner of the signing key")
        if payload.aud != self._config.insurer_id:
            raise ApiError(401, "wrong_audience", "the submission is addressed to someone else")
        if idempotency_key != payload.jti:
            raise ApiError(422, "idempotency_key_mismatch", "Idempotency-Key must equal jti")
        buckets = payload.exposure.buckets if payload.exposure is not None else []
        item = Accepted(
            submission_id=payload.jti,
            exporter_id=exporter_id,
            kid=kid,
            payload_sha256=verified.payload_sha256,
            received_at=datetime.now(UTC).isoformat(timespec="seconds"),
            attachments=len(payload.attachments),
            jws=jws,
            buckets=[
                (canonical_json(b.key.model_dump()).decode(), b.key.currency, b.records,
                 b.ciphertext)
                for b in buckets
            ],
        )

        def make_receipt() -> tuple[str, str]:
            receipt_id = "rcpt_" + secrets.token_hex(16)
            receipt = {
                "schema": "ecg.receipt/1",
                "jti": receipt_id,
                "iss": self._config.insurer_id,
                "aud": exporter_id,
                "iat": int(self._clock()),
                "submission_id": payload.jti,
                "payload_sha256": verified.payload_sha256,
                "status": "accepted",
                "attachments": len(payload.attachments),
                "buckets": len(buckets),
                # Countersign the exporter's ledger head as the submission stated it.
                "ledger": payload.ledger.model_dump() if payload.ledger else None,
            }
            return receipt_id, sign_receipt(receipt, self._config.receipt_key)

        outcome, receipt = self._state.accept(item, make_receipt)
        if outcome is Outcome.CONFLICT or receipt is None:
            raise ApiError(409, "conflict", "this submission id was used for another payload")
        return (201 if outcome is Outcome.CREATED else 200), receipt
