"""Exposure bucket keys, derived only from what the attachment already discloses.

A key has four dimensions: buyer, country, currency and maturity month. ``"*"`` means "not
disclosed or merged". The buyer is the insurer's buyer code if the attachment carries one, else
the buyer-name token, else ``"*"``; the country is ``buyer.country``; the month is the first
seven characters of ``due_date`` or ``maturity_date`` (a full date or an already generalised
month). Dimensions not requested are ``"*"``. The currency is always part of the key (totals
are never summed across currencies), so an attachment without a currency cannot be aggregated.

Validated dimension tuples and the keys handed out are memoised (bounded, in memory): many
records fall into one bucket, so they share one immutable :class:`BucketKey`.
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
_MEMO_SIZE: Final = 65_536
_Flags = tuple[bool, bool, bool]  # buyer, country, maturity month requested
_DIMS: dict[tuple[str, ...], _Flags] = {}
_KEYS: dict[tuple[str, str, str, str], BucketKey] = {}


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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _month(attachment: Mapping[str, Any]) -> str:
    for field in ("due_date", "maturity_date"):
        value = attachment.get(field)
        if isinstance(value, str) and _MONTH.match(value):
            return value[:7]
    return ANY


def _flags(dims: Sequence[str]) -> _Flags:
    """Which optional dimensions ``dims`` requests (``ConfigError`` for an unknown one)."""
    if type(dims) is tuple:
        try:
            flags = _DIMS.get(dims)
        except TypeError:  # an unhashable dimension: check_dimensions refuses it below
            flags = None
        if flags is not None:
            return flags
    check_dimensions(dims)
    flags = ("buyer" in dims, "country" in dims, "maturity_month" in dims)
    if type(dims) is tuple and all(type(dim) is str for dim in dims) and len(_DIMS) < 256:
        _DIMS[dims] = flags
    return flags


def _shared(buyer: str, country: str, currency: str, month: str) -> BucketKey:
    """The :class:`BucketKey` of these dimensions, one object per distinct bucket."""
    parts = (buyer, country, currency, month)
    key = _KEYS.get(parts)
    if key is None:
        key = BucketKey(buyer, country, currency, month)
        if len(_KEYS) >= _MEMO_SIZE:
            _KEYS.clear()
        _KEYS[parts] = key
    return key


def check_dimensions(dims: Sequence[str]) -> None:
    """``ConfigError`` unless every dimension is one of :data:`DIMENSIONS`."""
    if isinstance(dims, str) or any(dim not in DIMENSIONS for dim in dims):
        raise ConfigError(f"bucket dimensions must be drawn from {', '.join(DIMENSIONS)}")


def bucket_key(attachment: Mapping[str, Any], dims: Sequence[str]) -> BucketKey:
    """The bucket of one record from its transformed attachment and the requested ``dims``."""
    by_buyer, by_country, by_month = _flags(dims)
    currency = attachment.get("currency")
    if not isinstance(currency, str) or currency not in MINOR_UNITS:
        raise AggregationError("currency", "the attachment discloses no ISO 4217 currency")
    buyer = ANY
    if by_buyer:
        get = attachment.get
        buyer = _text(get("buyer.insurer_code")) or _text(get("buyer.name")) or ANY
    country = _text(attachment.get("buyer.country")) if by_country else None
    return _shared(
        buyer,
        country if country and _COUNTRY.fullmatch(country) else ANY,
        currency,
        _month(attachment) if by_month else ANY,
    )
