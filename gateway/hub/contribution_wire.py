"""The wire schema of ``ecg.contribution/1`` (docs/hub.md), shared by signer and verifier.

Strict like gateway.sign.payload: no coercion, frozen, unknown members refused, no defaults, so
a payload's canonical JSON is a function of the model alone. Validation messages name the
location and the rule, never the value.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from gateway.errors import GatewayError
from gateway.model.country import is_country
from gateway.model.currency import MINOR_UNITS
from gateway.sign.payload import (
    Ciphertext,
    PartyId,
    UnixSeconds,
    describe_errors,
)

CONTRIBUTION_SCHEMA: Final = "ecg.contribution/1"
MAX_CONTRIBUTION_BUCKETS: Final = 100_000

#: ``ic:`` + an insurer buyer code, or ``cp:`` + a consortium pseudonym (``p1.<kid>.<mac>``).
HUB_BUYER_PATTERN: Final = (
    r"^(ic:[A-Z0-9][A-Z0-9._/-]{0,63}"
    r"|cp:p1\.[A-Za-z0-9][A-Za-z0-9_-]{2,63}\.[A-Za-z0-9_-]{22})$"
)
PERIOD_PATTERN: Final = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def _country(value: str) -> str:
    if not is_country(value):
        raise ValueError("not an assigned ISO 3166-1 alpha-2 code")
    return value


def _currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise ValueError("not an active ISO 4217 code")
    return value


HubBuyer = Annotated[str, StringConstraints(pattern=HUB_BUYER_PATTERN)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
Month = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]
ContributionId = Annotated[str, StringConstraints(pattern=r"^ctb_[0-9a-f]{32}$")]
Fingerprint = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True, strict=True)


class ContributionBucketKey(_Wire):
    """A common bucket's four dimensions, all disclosed (no ``"*"``)."""

    buyer: HubBuyer
    country: Country
    currency: Currency
    maturity_month: Month


class ContributionBucket(ContributionBucketKey):
    """One encrypted total: integer minor units under the insurer's Paillier key."""

    ciphertext: Ciphertext


class PaillierRef(_Wire):
    """The insurer's Paillier key the ciphertexts are under."""

    fingerprint: Fingerprint


class ContributionPayload(_Wire):
    """``ecg.contribution/1``: what an exporter signs and the hub verifies."""

    schema_: Literal["ecg.contribution/1"] = Field(alias="schema")
    iss: PartyId
    aud: PartyId
    iat: UnixSeconds
    jti: ContributionId
    period: Month
    paillier: PaillierRef
    buckets: Annotated[
        list[ContributionBucket], Field(min_length=1, max_length=MAX_CONTRIBUTION_BUCKETS)
    ]

    @model_validator(mode="after")
    def _sorted_unique(self) -> Self:
        keys = [(b.buyer, b.country, b.currency, b.maturity_month) for b in self.buckets]
        for i in range(1, len(keys)):
            if keys[i] == keys[i - 1]:
                raise ValueError(f"buckets[{i}] has the same key as buckets[{i - 1}]")
            if keys[i] < keys[i - 1]:
                raise ValueError(
                    f"buckets[{i}] is out of order (sorted by buyer, country, currency, "
                    "maturity_month required)"
                )
        return self


def check_bucket_key(index: int, key: dict[str, Any], error: type[GatewayError]) -> None:
    """Raise ``error`` unless ``key`` is a valid common bucket key (for the signer)."""
    try:
        ContributionBucketKey.model_validate(key)
    except ValidationError as exc:
        raise error(f"contribution buckets[{index}]: {describe_errors(exc)}") from exc
