"""Accepting a hub release (``POST /v1/hub-releases``), free of HTTP framing.

Order: strict parse of the compact JWS (``typ`` ``ecg-release+jws``); then
:func:`gateway.hub.release.verify_release` with the hub's JWKS from the configuration: the
signature, the schema with its k rule, ``iss`` exactly the configured hub, ``aud`` exactly this
insurer, ``iat`` not in the future, this insurer's Paillier fingerprint and every ciphertext;
then the key custodian checks key and k again and decrypts; then the totals are stored in one
transaction with a signed receipt. One release per period: the same release again is answered
with the original receipt and stores nothing; another release for a released period, or the
same release id with other content, is a conflict. A refused release stores nothing.

The receipt is an ``ecg.release-receipt/1`` JWS (``typ`` ``ecg-release-receipt+jws``) signed
with the insurer's receipt key, verifiable with ``/.well-known/jwks.json``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gateway.crypto import check_ed25519_public_jwk
from gateway.errors import ConfigError, GatewayError, VerificationError
from gateway.examples.insurer_api.attach import ApiError
from gateway.examples.insurer_api.config import InsurerConfig
from gateway.examples.insurer_api.custody import KeyCustodian
from gateway.examples.insurer_api.release_rows import Outcome
from gateway.examples.insurer_api.state import InsurerState
from gateway.hub.release import RELEASE_TYP, verify_release
from gateway.sign.jws import canonical_payload, sign_payload_bytes
from gateway.sign.payload import Count, PartyId, ReceiptId, Sha256Hex, UnixSeconds
from gateway.verify.compact import parse_compact

RELEASE_RECEIPT_SCHEMA: Final = "ecg.release-receipt/1"
RELEASE_RECEIPT_TYP: Final = "ecg-release-receipt+jws"


class ReleaseReceiptPayload(BaseModel):
    """``ecg.release-receipt/1``: the insurer's signed acknowledgement of one hub release."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True,
                              strict=True)

    schema_: Literal["ecg.release-receipt/1"] = Field(alias="schema")
    jti: ReceiptId
    iss: PartyId
    aud: PartyId
    iat: UnixSeconds
    release_id: Annotated[str, StringConstraints(pattern=r"^rel_[0-9a-f]{32}$")]
    release_sha256: Sha256Hex
    period: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    status: Literal["accepted"]
    buckets: Count
    remainders: Count


def check_hub_jwks(jwks: Any) -> None:
    """Refuse a hub JWKS without keys or with a key that is not a public Ed25519 JWK."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise ConfigError("hub_jwks: JWKS has no keys")
    for i, jwk in enumerate(keys):
        try:
            check_ed25519_public_jwk(jwk, where=f"hub_jwks keys[{i}]")
        except GatewayError as exc:
            raise ConfigError(f"hub_jwks: {exc}") from exc


class ReleaseService:
    """Verifies hub releases, has them decrypted by the custodian, stores each period once."""

    def __init__(
        self,
        config: InsurerConfig,
        state: InsurerState,
        custodian: KeyCustodian,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if config.hub_id is None or config.hub_jwks is None:
            raise ConfigError("hub releases need hub_id and hub_jwks in the configuration")
        check_hub_jwks(dict(config.hub_jwks))
        self._config = config
        self._hub_id: str = config.hub_id
        self._hub_jwks = dict(config.hub_jwks)
        self._state = state
        self._custodian = custodian
        self._clock = clock

    def accept(self, body: bytes, idempotency_key: str | None = None) -> tuple[int, str]:
        """``(201, receipt)`` for a new release, ``(200, original receipt)`` for a replay.

        ``idempotency_key`` is optional; when sent it must equal the release id (``jti``)."""
        try:
            jws = body.decode("ascii").strip()
            parse_compact(jws, typ=RELEASE_TYP)
        except (UnicodeDecodeError, VerificationError) as exc:
            raise ApiError(400, "malformed_jws", "body is not a well-formed release JWS") from exc
        try:
            verified = verify_release(
                jws, hub_jwks=self._hub_jwks, insurer_id=self._config.insurer_id,
                paillier=self._custodian.public_key, now=int(self._clock()), hub_id=self._hub_id,
            )
        except VerificationError as exc:
            raise ApiError(401, "verification_failed", "the release did not verify") from exc
        if idempotency_key is not None and idempotency_key != verified.jti:
            raise ApiError(422, "idempotency_key_mismatch", "Idempotency-Key must equal jti")
        try:
            release = self._custodian.decrypt_release(verified)
        except VerificationError as exc:
            raise ApiError(422, "release_refused", "the release breaks this insurer's rules") \
                from exc

        def make_receipt() -> tuple[str, str]:
            receipt_id = "rcpt_" + secrets.token_hex(16)
            payload = {
                "schema": RELEASE_RECEIPT_SCHEMA, "jti": receipt_id,
                "iss": self._config.insurer_id, "aud": release.hub_id,
                "iat": int(self._clock()), "release_id": release.release_id,
                "release_sha256": release.sha256, "period": release.period,
                "status": "accepted", "buckets": len(release.buckets),
                "remainders": len(release.remainders),
            }
            body = canonical_payload(payload, ReleaseReceiptPayload, "release receipt")
            return receipt_id, sign_payload_bytes(body, self._config.receipt_key,
                                                  RELEASE_RECEIPT_TYP)

        outcome, receipt = self._state.accept_release(release, jws, make_receipt)
        if outcome is Outcome.CONFLICT or receipt is None:
            raise ApiError(409, "period_already_released",
                           "another release was already accepted for this period or id")
        return (201 if outcome is Outcome.CREATED else 200), receipt
