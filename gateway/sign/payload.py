"""The wire schema of signed submissions and receipts (docs/submission-format.md).

Both the signer and the verifier validate against these models, so the gateway cannot sign what
an insurer would refuse. Models are strict (no type coercion), frozen, refuse unknown fields and
have no defaults: every member is present on the wire, so a payload's canonical JSON is a
function of the model alone.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

SUBMISSION_SCHEMA = "ecg.submission/1"
RECEIPT_SCHEMA = "ecg.receipt/1"
MAX_ATTACHMENTS = 100_000
MAX_BUCKETS = 100_000
MAX_TEXT = 65_536

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    return value


PartyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
SubmissionId = Annotated[str, StringConstraints(pattern=r"^sub_[0-9a-f]{32}$")]
ReceiptId = Annotated[str, StringConstraints(pattern=r"^rcpt_[0-9a-f]{32}$")]
RunId = Annotated[str, StringConstraints(pattern=r"^run_[0-9a-f]{32}$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
UnixSeconds = Annotated[int, Field(ge=0, le=2**53 - 1)]
Count = Annotated[int, Field(ge=0, le=2**53 - 1)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_printable)]
FieldName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$")]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Scalar = Text | Annotated[int, Field(ge=-(2**53 - 1), le=2**53 - 1)] | bool | None
SmallObject = Annotated[dict[FieldName, Scalar], Field(max_length=16)]
AttachmentValue = Scalar | SmallObject
Attachment = Annotated[dict[FieldName, AttachmentValue], Field(max_length=256)]
Ciphertext = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,8192}$")]


class _Wire(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", hide_input_in_errors=True, strict=True
    )


class PolicyRef(_Wire):
    """The policy bundle that decided what this submission discloses."""

    version: Sha256Hex
    name: Name


class Batch(_Wire):
    """Where the submission sits in its sync run."""

    run_id: RunId
    sequence: Count
    final: bool


class BucketKey(_Wire):
    """An exposure bucket's dimensions; ``"*"`` means merged or not disclosed."""

    buyer: Name
    country: Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}|\*)$")]
    currency: Annotated[str, StringConstraints(pattern=r"^([A-Z]{3}|\*)$")]
    maturity_month: Annotated[str, StringConstraints(pattern=r"^([0-9]{4}-(0[1-9]|1[0-2])|\*)$")]


class Bucket(_Wire):
    """One encrypted exposure total (integer minor units under the insurer's Paillier key)."""

    key: BucketKey
    records: Annotated[int, Field(ge=1, le=2**53 - 1)]
    ciphertext: Ciphertext


class Encoding(_Wire):
    """How plaintexts are encoded before encryption: integer minor units, exponent 0."""

    unit: Literal["minor"]
    exponent: Literal[0]


class Exposure(_Wire):
    """Paillier-encrypted bucket totals and the key they are encrypted under."""

    key_fingerprint: Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
    encoding: Encoding
    buckets: Annotated[list[Bucket], Field(max_length=MAX_BUCKETS)]
    suppressed_records: Count

    @model_validator(mode="after")
    def _distinct_keys(self) -> Self:
        keys = {bucket.key for bucket in self.buckets}
        if len(keys) != len(self.buckets):
            raise ValueError("two buckets have the same key")
        return self


class LedgerHead(_Wire):
    """The head of the exporter's disclosure ledger (docs/ledger.md): the last entry's sequence
    number and hash when the submission was signed. The insurer's receipt repeats it, which
    countersigns the head, so a later truncation of the ledger is detectable from outside."""

    seq: Count
    hash: Sha256Hex


class SubmissionPayload(_Wire):
    """``ecg.submission/1``: what the gateway signs and the insurer verifies."""

    schema_: Literal["ecg.submission/1"] = Field(alias="schema")
    jti: SubmissionId
    iss: PartyId
    aud: PartyId
    iat: UnixSeconds
    policy: PolicyRef
    batch: Batch
    attachments: Annotated[list[Attachment], Field(max_length=MAX_ATTACHMENTS)]
    exposure: Exposure | None
    ledger: LedgerHead | None


class ReceiptPayload(_Wire):
    """``ecg.receipt/1``: the insurer's signed acknowledgement of one submission."""

    schema_: Literal["ecg.receipt/1"] = Field(alias="schema")
    jti: ReceiptId
    iss: PartyId
    aud: PartyId
    iat: UnixSeconds
    submission_id: SubmissionId
    payload_sha256: Sha256Hex
    status: Literal["accepted"]
    attachments: Count
    buckets: Count
    ledger: LedgerHead | None


_SAFE_LOC = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def describe_errors(exc: ValidationError, *, limit: int = 5) -> str:
    """``loc: message`` for the first errors, never the input values (nor unsafe keys)."""
    parts = []
    for error in exc.errors(include_url=False, include_context=False, include_input=False)[:limit]:
        loc = ".".join(
            str(p) if isinstance(p, int) or _SAFE_LOC.match(str(p)) else "<key>"
            for p in error["loc"]
        )
        parts.append(f"{loc or '$'}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
