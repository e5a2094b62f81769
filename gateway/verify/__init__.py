"""verify stage: the insurer-side verification library for submissions and receipts."""

from gateway.verify.submission import (
    VerifiedReceipt,
    VerifiedSubmission,
    verify,
    verify_receipt,
    verify_submission,
)

__all__ = [
    "VerifiedReceipt",
    "VerifiedSubmission",
    "verify",
    "verify_receipt",
    "verify_submission",
]
