"""Fuzz target: JWS verification (``verify_submission`` / ``verify_receipt``) with a fixed JWKS.

The only acceptable failure is :class:`~gateway.errors.VerificationError`; anything else escapes
and is a crash. The first input byte picks a mode, the rest is its material:

====  ===========================================================================================
mode  material
====  ===========================================================================================
0, 1  the whole text as a compact JWS, verified as a submission (0) or a receipt (1)
2, 3  ``header NUL payload`` bytes (or payload bytes under the regular header), really signed
      with the key in the JWKS, so header and payload rules are reached past the signature
4, 5  JSON made canonical (RFC 8785) and signed under the regular header, so the wire schema,
      claims and ciphertext checks are reached; input that is not JSON is skipped
====  ===========================================================================================

Before signing (modes 2 to 5) the placeholders ``@KID@``, ``@FP@`` and ``@CT@`` become the
signing key's kid, the Paillier key's fingerprint and a valid ciphertext under it, so short seeds
can reach every check. A successful verification must return the signed bytes and the kid.

The signing key is derived from a public constant: it is a test key for fuzzing, signs nothing
but fuzz inputs, and lets committed seeds in modes 0 and 1 carry valid signatures.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Final

from gateway.canonical import CanonicalJSONError, canonical_json
from gateway.crypto import PaillierPublicKey, SigningKey, encrypt_bucket_totals
from gateway.errors import VerificationError
from gateway.sign import build_jwks
from gateway.sign.jws import RECEIPT_TYP, SUBMISSION_TYP
from gateway.verify import verify_receipt, verify_submission

#: 2026-01-01T00:00:00Z, the ``iat`` of the seeds; verification runs "now" at this instant.
NOW: Final = 1_767_225_600
ISSUER: Final = "exporter-kr-001"
AUDIENCE: Final = "insurer-ksure"
SUBMISSION_ID: Final = "sub_" + "0123456789abcdef" * 2
MODES: Final = 6


def fuzz_signing_key() -> SigningKey:
    """The fixed, public fuzzing key (never a real key: its seed is in this file)."""
    return SigningKey.from_seed(hashlib.sha256(b"export-credit-gateway fuzz key").digest())


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class FuzzFailure(AssertionError):
    """A verification succeeded with a result that does not match what was signed."""


class JwsTarget:
    """The fixed JWKS, signing key and Paillier key; ``__call__`` is the target."""

    def __init__(self, paillier_public_key: PaillierPublicKey) -> None:
        self.key = fuzz_signing_key()
        self.jwks: dict[str, Any] = build_jwks([self.key])
        self.paillier = paillier_public_key
        ciphertext = encrypt_bucket_totals(paillier_public_key, [125_000])[0]
        self.placeholders = {
            b"@KID@": self.key.kid.encode(),
            b"@FP@": paillier_public_key.fingerprint.encode(),
            b"@CT@": ciphertext.encode(),
        }

    def __call__(self, data: bytes) -> str:
        """Run one input; returns an outcome label, raises on a crash or a broken property."""
        if not data:
            return "empty"
        mode, body = data[0] % MODES, data[1:]
        receipt = mode % 2 == 1
        if mode < 2:
            jws, signed = body.decode("utf-8", errors="replace"), None
        else:
            built = self._signed(body, receipt, canonical=mode >= 4)
            if built is None:
                return "skipped"
            jws, signed = built
        try:
            payload_bytes, kid = self._verify(jws, receipt)
        except VerificationError as exc:
            str(exc)  # the reason must be printable text
            return "rejected"
        if kid != self.key.kid or (signed is not None and payload_bytes != signed):
            raise FuzzFailure("a verified result differs from what was signed")
        return "verified"

    def _verify(self, jws: str, receipt: bool) -> tuple[bytes, str]:
        common: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, "now": NOW}
        if receipt:
            got_r = verify_receipt(jws, self.jwks, submission_id=SUBMISSION_ID, **common)
            return got_r.payload_bytes, got_r.kid
        got_s = verify_submission(jws, self.jwks, self.paillier, **common)
        return got_s.payload_bytes, got_s.kid

    def _substitute(self, data: bytes) -> bytes:
        for placeholder, value in self.placeholders.items():
            data = data.replace(placeholder, value)
        return data

    def _signed(self, body: bytes, receipt: bool, *, canonical: bool) -> tuple[str, bytes] | None:
        typ = RECEIPT_TYP if receipt else SUBMISSION_TYP
        header = json.dumps({"alg": "EdDSA", "kid": self.key.kid, "typ": typ}).encode()
        if canonical:
            try:
                payload = canonical_json(json.loads(self._substitute(body)))
            except (ValueError, RecursionError, CanonicalJSONError):
                return None
        elif b"\x00" in body:
            raw_header, raw_payload = body.split(b"\x00", 1)
            header, payload = self._substitute(raw_header), self._substitute(raw_payload)
        else:
            payload = self._substitute(body)
        signing_input = f"{b64url(header)}.{b64url(payload)}"
        signature = self.key.jws_key().sign(signing_input.encode("ascii"))
        return f"{signing_input}.{b64url(signature)}", payload
