"""The wire schema of a hub release, ``ecg.release/1`` (docs/hub.md).

The hub signs only what this model accepts, and the insurer verifies against it: strict types,
no defaults, unknown members refused. The k rule is part of the schema: every released bucket
and remainder has at least ``k`` (>= 2) distinct contributors. Buckets, remainders and
contribution hashes are sorted and unique, so a release has one canonical form.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from gateway.hub.contribution_wire import Country, Currency, Fingerprint, HubBuyer, Month
from gateway.sign.payload import Ciphertext, Count, PartyId, Sha256Hex, UnixSeconds

RELEASE_SCHEMA = "ecg.release/1"
RELEASE_TYP = "ecg-release+jws"
MAX_BUCKETS = 200_000
MAX_CONTRIBUTIONS = 100_000
MAX_K = 1000

Period = Month
ReleaseId = Annotated[str, StringConstraints(pattern=r"^rel_[0-9a-f]{32}$")]
Contributors = Annotated[int, Field(ge=2, le=2**53 - 1)]


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True, strict=True)


class PaillierRef(_Wire):
    """The insurer's Paillier key the ciphertexts are under."""

    fingerprint: Fingerprint


class ReleasedBucketWire(_Wire):
    """One bucket with at least k distinct contributors and its ciphertext sum."""

    buyer: HubBuyer
    country: Country
    currency: Currency
    maturity_month: Month
    contributors: Contributors
    ciphertext: Ciphertext

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.buyer, self.country, self.currency, self.maturity_month)


class RemainderWire(_Wire):
    """The sum of ``buckets`` smaller buckets of one (country, currency); ``contributors`` is
    the number of distinct exporters across them."""

    country: Country
    currency: Currency
    contributors: Contributors
    buckets: Annotated[int, Field(ge=1, le=2**53 - 1)]
    ciphertext: Ciphertext

    def sort_key(self) -> tuple[str, str]:
        return (self.country, self.currency)


class Suppressed(_Wire):
    """How many buckets were withheld because even their remainder had fewer than k."""

    buckets: Count
    contributors_below_k: Literal[True]


def _sorted_unique(keys: Sequence[tuple[str, ...]] | Sequence[tuple[str]], what: str) -> None:
    if any(a >= b for a, b in pairwise(keys)):
        raise ValueError(f"{what} must be sorted and unique")


class ReleasePayload(_Wire):
    """``ecg.release/1``: what the hub signs for the insurer."""

    schema_: Literal["ecg.release/1"] = Field(alias="schema")
    iss: PartyId
    aud: PartyId
    iat: UnixSeconds
    jti: ReleaseId
    period: Period
    k: Annotated[int, Field(ge=2, le=MAX_K)]
    paillier: PaillierRef
    buckets: Annotated[list[ReleasedBucketWire], Field(max_length=MAX_BUCKETS)]
    remainders: Annotated[list[RemainderWire], Field(max_length=MAX_BUCKETS)]
    suppressed: Suppressed
    contributions: Annotated[list[Sha256Hex], Field(min_length=1, max_length=MAX_CONTRIBUTIONS)]

    @model_validator(mode="after")
    def _canonical_and_k(self) -> Self:
        _sorted_unique([b.sort_key() for b in self.buckets], "buckets")
        _sorted_unique([r.sort_key() for r in self.remainders], "remainders")
        _sorted_unique([(c,) for c in self.contributions], "contributions")
        below = [b.contributors for b in self.buckets if b.contributors < self.k]
        below += [r.contributors for r in self.remainders if r.contributors < self.k]
        if below:
            raise ValueError("a released bucket or remainder has fewer than k contributors")
        counts = [b.contributors for b in self.buckets] + [r.contributors for r in self.remainders]
        most = max(counts, default=0)
        if most > len(self.contributions):
            raise ValueError("more contributors than contributions in the release")
        return self
