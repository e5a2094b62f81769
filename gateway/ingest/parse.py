"""Strict parsers for the text an ERP export holds: numbers, dates, whole numbers, free text.

Every parser raises :class:`FieldValueError` with a reason that never contains the value (values
may be trade secrets). Numbers become :class:`~decimal.Decimal` straight from their digits: no
float is ever involved, so ``0.1`` stays ``0.1``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final

from gateway.ingest.mapping import DecimalFormat

_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates can make a buyer name display as something else.
_BIDI: Final = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Unpaired surrogates come from JSON escapes such as "\\ud800": not Unicode text, and not
# encodable as UTF-8, so they would break every later stage (store, canonical JSON, MAC).
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_SUSPECT: Final = re.compile(f"{_CONTROL.pattern}|{_BIDI.pattern}|{_SURROGATE.pattern}|\ufffd")
#: Why a text cannot be trusted as decoded at all, or None (see :func:`lossy_reason`).
_LOSSY: Final = re.compile(f"{_SURROGATE.pattern}|\ufffd")
#: The first character :func:`check_text` or :func:`lossy_reason` would refuse, or None: text
#: without one is faithfully decoded and free of control and bidi characters.
find_suspect: Final = _SUSPECT.search
FFFD_REASON: Final = "contains U+FFFD (the text was decoded with replacement characters)"
SURROGATE_REASON: Final = "contains unpaired surrogates (not valid Unicode text)"
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2999
_DIRECTIVES: Final = {"%Y": "year", "%m": "month", "%d": "day"}


class FieldValueError(ValueError):
    """A value cannot be parsed; ``reason`` is safe to show (it never holds the value).

    ``part`` names the sub-field at fault in composite values (``quantity`` of a line item).
    """

    def __init__(self, reason: str, *, part: str | None = None) -> None:
        self.reason = reason
        self.part = part
        super().__init__(reason)


def lossy_reason(value: str) -> str | None:
    """Why ``value`` is not faithfully decoded text (a U+FFFD replacement character, from a
    lossy upstream or typed literally, or an unpaired surrogate), or None if it is."""
    found = _LOSSY.search(value)
    if found is None:
        return None
    return FFFD_REASON if found.group() == "\ufffd" else SURROGATE_REASON


def check_text(value: str, max_chars: int) -> str:
    """``value`` stripped; refuses over-long text, control characters, U+FFFD, unpaired
    surrogates and bidi controls."""
    text = value.strip()
    if len(text) > max_chars:
        raise FieldValueError(f"longer than {max_chars} characters")
    if _SUSPECT.search(text) is None:
        return text
    lossy = lossy_reason(text)
    if lossy is not None:
        raise FieldValueError(lossy)
    if _CONTROL.search(text):
        raise FieldValueError("contains control characters")
    if _BIDI.search(text):
        raise FieldValueError("contains bidirectional override characters")
    return text


@lru_cache(maxsize=64)
def _number_pattern(fmt: DecimalFormat) -> re.Pattern[str]:
    dec = re.escape(fmt.decimal_separator)
    if fmt.thousands_separator:
        sep = re.escape(fmt.thousands_separator)
        whole = rf"(?:[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+|[0-9]+)"
    else:
        whole = r"[0-9]+"
    return re.compile(rf"(?P<whole>{whole})?(?:{dec}(?P<frac>[0-9]+))?")


def _strip_symbol(text: str, symbols: tuple[str, ...]) -> str:
    for symbol in symbols:
        if text.startswith(symbol):
            return text[len(symbol) :].strip()
        if text.endswith(symbol):
            return text[: -len(symbol)].strip()
    return text


def _split_sign(text: str) -> tuple[bool, str]:
    """Leading ``-``/``+``, SAP's trailing ``-`` and accounting parentheses."""
    if text.startswith("(") and text.endswith(")"):
        return True, text[1:-1].strip()
    if text.endswith("-"):
        return True, text[:-1].strip()
    if text and text[0] in "+-":
        return text[0] == "-", text[1:].strip()
    return False, text


def parse_decimal(value: str, fmt: DecimalFormat) -> Decimal:
    """Parse ``value`` written in ``fmt`` into an exact :class:`~decimal.Decimal`.

    Accepts an optional currency symbol from ``fmt.currency_symbols`` before or after the number,
    a sign (leading ``-``/``+``, a trailing ``-`` as SAP writes credit notes, or parentheses),
    thousands separators in groups of three, and the decimal separator. Refuses exponents,
    non-ASCII digits, NaN and infinity.
    """
    text = _strip_symbol(value.strip(), fmt.currency_symbols)
    if not text:
        raise FieldValueError("not a number")
    negative, body = _split_sign(text)
    match = _number_pattern(fmt).fullmatch(body)
    if match is None or not (match["whole"] or match["frac"]):
        raise FieldValueError("not a number")
    whole = (match["whole"] or "0").replace(fmt.thousands_separator or "\x00", "")
    digits = f"{whole}.{match['frac']}" if match["frac"] else whole
    try:
        number = Decimal(digits)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise FieldValueError("not a number") from exc
    return -number if negative else number


def parse_whole(value: str) -> int:
    """A non-negative whole number written with ASCII digits only."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise FieldValueError("not a whole number")
    return int(text)


@lru_cache(maxsize=64)
def _date_pattern(fmt: str) -> re.Pattern[str] | None:
    """A regex for formats made only of ``%Y``, ``%m``, ``%d`` and literal separators (the
    common case, ten times faster than strptime); None for anything else."""
    parts = re.split(r"(%.)", fmt)
    if any(p.startswith("%") and p not in _DIRECTIVES for p in parts):
        return None
    compact = not any(p and not p.startswith("%") for p in parts)
    pattern = ""
    for part in parts:
        if part in _DIRECTIVES:
            digits = "{4}" if part == "%Y" else "{2}" if compact else "{1,2}"
            pattern += f"(?P<{_DIRECTIVES[part]}>[0-9]{digits})"
        else:
            pattern += re.escape(part)
    return re.compile(pattern)


def _try_format(text: str, fmt: str) -> date | None:
    pattern = _date_pattern(fmt)
    try:
        if pattern is None:
            return datetime.strptime(text, fmt).date()
        match = pattern.fullmatch(text)
        if match is None:
            return None
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None


def parse_date(value: str, formats: tuple[str, ...]) -> date:
    """The first of ``formats`` that parses ``value`` (ASCII only; years 1900 to 2999)."""
    text = value.strip()
    if not text.isascii():
        raise FieldValueError("not a date in the mapping's date_format")
    for fmt in formats:
        parsed = _try_format(text, fmt)
        if parsed is None:
            continue
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise FieldValueError(f"date outside the years {MIN_YEAR} to {MAX_YEAR}")
        return parsed
    raise FieldValueError("not a date in the mapping's date_format")
