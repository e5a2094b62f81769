"""sign stage: compact JWS (EdDSA) over canonical JSON, and the gateway's JWKS."""

from gateway.sign.jwks import build_jwks
from gateway.sign.jws import (
    RECEIPT_TYP,
    SUBMISSION_TYP,
    sign_receipt,
    sign_submission,
    sign_submission_body,
)
from gateway.sign.payload import (
    RECEIPT_SCHEMA,
    SUBMISSION_SCHEMA,
    ReceiptPayload,
    SubmissionPayload,
)

__all__ = [
    "RECEIPT_SCHEMA",
    "RECEIPT_TYP",
    "SUBMISSION_SCHEMA",
    "SUBMISSION_TYP",
    "ReceiptPayload",
    "SubmissionPayload",
    "build_jwks",
    "sign_receipt",
    "sign_submission",
    "sign_submission_body",
]
