"""Exposure bucket keys, derived only from what the attachment already discloses.

A key has four dimensions: buyer, country, currency and maturity month. ``"*"`` means "not
disclosed or merged". The buyer is the insurer's buyer code if the attachment carries one, else
the buyer-name token, else ``"*"``; the country is ``buyer.country``; the month is the first
seven characters of ``due_date`` or ``maturity_date`` (a full date or an already generalised
month). Dimensions not requested are ``"*"``. The currency is always part of the key (totals
are never summed across currencies), so an attachment without a currency cannot be aggregated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gateway.aggregate.errors import AggregationError
from gateway.errors import ConfigError
from gateway.model.currency import MINOR_UNITS

ANY: Final = "*"
DIMENSIONS: Final = ("buyer", "country", "currency", "maturity_month")
_COUNTRY: Final = re.compile(r"[A-Z]{2}", re.ASCII)
_MONTH: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])", re.ASCII)


@dataclass(frozen=True, order=True)
class BucketKey:
    """One exposure bucket; ``"*"`` in a dimension means not disclosed or merged."""

    buyer: str
    country: str
    currency: str
    maturity_month: str

    def as_dict(self) -> dict[str, str]:
        """The key as a JSON object (the submission's bucket ``key``)."""
        return {
            "buyer": self.buyer,
            "country": self.country,
            "currency": self.currency,
            "maturity_month": self.maturity_month,
        }

    def without_buyer(self) -> BucketKey:
        """The per-country remainder this bucket merges into: ``(*, country, currency, *)``."""
        return BucketKey(ANY, self.country, self.currency, ANY)

    def currency_only(self) -> BucketKey:
        """The per-currency remainder: ``(*, *, currency, *)``."""
        return BucketKey(ANY, ANY, self.currency, ANY)


def _text(attachment: Mapping[str, Any], *fields: str) -> str | None:
    for field in fields:
        value = attachment.get(field)
        if isinstance(value, str) and value:
            return value
    return None


def _month(attachment: Mapping[str, Any]) -> str:
    for field in ("due_date", "maturity_date"):
        value = attachment.get(field)
        if isinstance(value, str) and _MONTH.match(value):
            return value[:7]
    return ANY


def check_dimensions(dims: Sequence[str]) -> None:
    """``ConfigError`` unless every dimension is one of :data:`DIMENSIONS`."""
    if isinstance(dims, str) or any(dim not in DIMENSIONS for dim in dims):
        raise ConfigError(f"bucket dimensions must be drawn from {', '.join(DIMENSIONS)}")


def bucket_key(attachment: Mapping[str, Any], dims: Sequence[str]) -> BucketKey:
    """The bucket of one record from its transformed attachment and the requested ``dims``."""
    check_dimensions(dims)
    currency = attachment.get("currency")
    if not isinstance(currency, str) or currency not in MINOR_UNITS:
        raise AggregationError("currency", "the attachment discloses no ISO 4217 currency")
    buyer = _text(attachment, "buyer.insurer_code", "buyer.name") or ANY
    country = _text(attachment, "buyer.country")
    return BucketKey(
        buyer=buyer if "buyer" in dims else ANY,
        country=country if country and "country" in dims and _COUNTRY.fullmatch(country) else ANY,
        currency=currency,
        maturity_month=_month(attachment) if "maturity_month" in dims else ANY,
    )
