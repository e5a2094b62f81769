"""Strict text parsers: numbers (never float), dates, whole numbers and free text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.ingest import DecimalFormat, FieldValueError, parse_date, parse_decimal
from gateway.ingest.parse import check_text, parse_whole

US = DecimalFormat(decimal_separator=".", thousands_separator=",", currency_symbols=("$", "US$"))
SAP = DecimalFormat(decimal_separator=",", thousands_separator=".")
PLAIN = DecimalFormat()

FORMATS = (
    st.tuples(
        st.sampled_from([".", ","]),
        st.sampled_from(["", ",", ".", " ", "'", "\u00a0", "\u202f"]),
    )
    .filter(lambda pair: pair[0] != pair[1])
    .map(
        lambda pair: DecimalFormat.model_validate(
            {"decimal_separator": pair[0], "thousands_separator": pair[1]}
        )
    )
)

AMOUNTS = st.decimals(
    min_value=Decimal("-1e18"),
    max_value=Decimal("1e18"),
    allow_nan=False,
    allow_infinity=False,
    places=4,
)


def render(value: Decimal, fmt: DecimalFormat) -> str:
    """Write ``value`` the way an ERP configured with ``fmt`` would."""
    whole, _, frac = format(abs(value), "f").partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    body = fmt.thousands_separator.join([whole, *groups])
    if frac:
        body += fmt.decimal_separator + frac
    return ("-" if value.is_signed() else "") + body


@given(AMOUNTS, FORMATS)
def test_decimal_round_trips_through_any_format(value: Decimal, fmt: DecimalFormat) -> None:
    parsed = parse_decimal(render(value, fmt), fmt)
    assert type(parsed) is Decimal
    assert parsed == value


@given(st.text(max_size=40), FORMATS)
def test_decimal_parser_returns_decimal_or_refuses(text: str, fmt: DecimalFormat) -> None:
    try:
        parsed = parse_decimal(text, fmt)
    except FieldValueError as exc:
        assert exc.reason == "not a number"
    else:
        assert type(parsed) is Decimal and parsed.is_finite()


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("1,234.56", US, Decimal("1234.56")),
        ("$ 1,234.56", US, Decimal("1234.56")),
        ("1234.56 US$", US, Decimal("1234.56")),
        ("0.1", US, Decimal("0.1")),
        (".5", US, Decimal("0.5")),
        ("1.234,56", SAP, Decimal("1234.56")),
        ("1.234,56-", SAP, Decimal("-1234.56")),
        ("(12.00)", US, Decimal("-12.00")),
        ("+7", PLAIN, Decimal(7)),
        ("1234567", US, Decimal(1234567)),
    ],
)
def test_decimal_accepts_erp_notations(text: str, fmt: DecimalFormat, expected: Decimal) -> None:
    parsed = parse_decimal(text, fmt)
    assert parsed == expected
    assert parsed.as_tuple() == expected.as_tuple()  # exact digits, no float detour


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1e5",
        "NaN",
        "Infinity",
        "1,23,456.00",
        "12.500,00",
        "1..2",
        "١٢٣",
        "\uff11\uff12",  # full-width digits
        "5.",
        "--5",
    ],
)
def test_decimal_refuses_non_numbers(text: str) -> None:
    with pytest.raises(FieldValueError, match=r"^not a number$"):
        parse_decimal(text, US)


def test_decimal_format_refuses_equal_separators() -> None:
    with pytest.raises(ValueError, match="must differ"):
        DecimalFormat(decimal_separator=",", thousands_separator=",")


@pytest.mark.parametrize(
    ("text", "formats", "expected"),
    [
        ("2026-03-31", ("%Y-%m-%d",), date(2026, 3, 31)),
        ("31.03.2026", ("%Y-%m-%d", "%d.%m.%Y"), date(2026, 3, 31)),
        ("1.3.2026", ("%d.%m.%Y",), date(2026, 3, 1)),
        ("20260331", ("%Y%m%d",), date(2026, 3, 31)),
        ("31/03/26", ("%d/%m/%y",), date(2026, 3, 31)),
    ],
)
def test_date_formats(text: str, formats: tuple[str, ...], expected: date) -> None:
    assert parse_date(text, formats) == expected


@pytest.mark.parametrize(
    "text", ["2026-02-30", "2026-13-01", "202631", "2026-03-31x", "٢٠٢٦-03-31", ""]
)
def test_date_refuses_impossible_or_foreign(text: str) -> None:
    with pytest.raises(FieldValueError, match="not a date"):
        parse_date(text, ("%Y-%m-%d", "%Y%m%d"))


def test_date_refuses_implausible_years() -> None:
    with pytest.raises(FieldValueError, match="outside the years 1900 to 2999"):
        parse_date("0026-03-31", ("%Y-%m-%d",))


def test_whole_numbers() -> None:
    assert parse_whole(" 90 ") == 90
    for bad in ("-1", "1.5", "٣", "9999999999", ""):
        with pytest.raises(FieldValueError, match="not a whole number"):
            parse_whole(bad)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a\x00b", "control characters"),
        ("a\x1bb", "control characters"),
        ("a\x85b", "control characters"),
        ("Acme \ufffd Ltd", "U\\+FFFD"),
        ("evil\u202etxt.exe", "bidirectional"),
        ("x" * 17, "longer than 16 characters"),
    ],
)
def test_text_refusals(text: str, reason: str) -> None:
    with pytest.raises(FieldValueError, match=reason):
        check_text(text, 16)


def test_text_keeps_unicode_names() -> None:
    assert check_text("  코리아텍 베트남 유한회사 ", 64) == "코리아텍 베트남 유한회사"
