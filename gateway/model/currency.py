"""ISO 4217 currencies and their minor units.

The table is ISO 4217 (List One, active codes) minor-unit exponents; it is the one place that
decides how many decimals an amount may have. Funds codes and precious metals are excluded: an
invoice is never denominated in XAU.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import Final

_ZERO: Final = [
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
]
_THREE: Final = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]
_FOUR: Final = ["CLF", "UYW"]
_TWO: Final = [
    "AED",
    "AFN",
    "ALL",
    "AMD",
    "ANG",
    "AOA",
    "ARS",
    "AUD",
    "AWG",
    "AZN",
    "BAM",
    "BBD",
    "BDT",
    "BGN",
    "BMD",
    "BND",
    "BOB",
    "BRL",
    "BSD",
    "BTN",
    "BWP",
    "BYN",
    "BZD",
    "CAD",
    "CDF",
    "CHF",
    "CNY",
    "COP",
    "CRC",
    "CUP",
    "CVE",
    "CZK",
    "DKK",
    "DOP",
    "DZD",
    "EGP",
    "ERN",
    "ETB",
    "EUR",
    "FJD",
    "FKP",
    "GBP",
    "GEL",
    "GHS",
    "GIP",
    "GMD",
    "GTQ",
    "GYD",
    "HKD",
    "HNL",
    "HTG",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "IRR",
    "JMD",
    "KES",
    "KGS",
    "KHR",
    "KPW",
    "KYD",
    "KZT",
    "LAK",
    "LBP",
    "LKR",
    "LRD",
    "LSL",
    "MAD",
    "MDL",
    "MGA",
    "MKD",
    "MMK",
    "MNT",
    "MOP",
    "MRU",
    "MUR",
    "MVR",
    "MWK",
    "MXN",
    "MYR",
    "MZN",
    "NAD",
    "NGN",
    "NIO",
    "NOK",
    "NPR",
    "NZD",
    "PAB",
    "PEN",
    "PGK",
    "PHP",
    "PKR",
    "PLN",
    "QAR",
    "RON",
    "RSD",
    "RUB",
    "SAR",
    "SBD",
    "SCR",
    "SDG",
    "SEK",
    "SGD",
    "SHP",
    "SLE",
    "SOS",
    "SRD",
    "SSP",
    "STN",
    "SVC",
    "SYP",
    "SZL",
    "THB",
    "TJS",
    "TMT",
    "TOP",
    "TRY",
    "TTD",
    "TWD",
    "TZS",
    "UAH",
    "USD",
    "UYU",
    "UZS",
    "VES",
    "WST",
    "XCD",
    "YER",
    "ZAR",
    "ZMW",
    "ZWG",
]

MINOR_UNITS: Final = MappingProxyType(
    {
        code: digits
        for digits, codes in ((0, _ZERO), (2, _TWO), (3, _THREE), (4, _FOUR))
        for code in codes
    }
)


def minor_units(currency: str) -> int:
    """Number of decimals of ``currency``; ``KeyError`` if it is not an active ISO 4217 code."""
    return MINOR_UNITS[currency]


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` in integer minor units; ``ValueError`` if it has more decimals than allowed."""
    digits = MINOR_UNITS[currency]
    scaled = amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"more than {digits} decimal places for {currency}")
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    """Integer minor units back to a ``Decimal`` amount with the currency's exponent."""
    return Decimal(minor).scaleb(-MINOR_UNITS[currency])
