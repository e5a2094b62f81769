"""normalise_declaration(): one raw customs row to an ExportDeclaration, or a value-free error."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from gateway.errors import ConfigError, RecordError
from gateway.ingest import Quarantined
from gateway.ingest.customs import declaration_item, normalise_declaration
from gateway.ingest.customs_mapping import CustomsMapping, json_mapping, load_customs_mapping
from gateway.limits import Limits
from gateway.model import ExportDeclaration, PaymentMethod

Row = dict[str, str | None]

COLUMNS = {
    "declaration_number": ["신고번호", "수출신고번호"],
    "acceptance_date": "수리일자",
    "loading_date": ["선적일자", "출항일자"],
    "shipped": "선적여부",
    "exporter_id": "통관고유부호",
    "buyer_name": "해외거래처상호",
    "buyer_code": "해외거래처부호",
    "destination_country": "목적국",
    "hs_code": "세번부호",
    "payment_method": "결제방법",
    "currency": "결제통화",
    "amount": "결제금액",
    "fob_krw": "FOB원화",
    "invoice_number": "송품장번호",
    "bl_number": "B/L번호",
}


def make_mapping(**overrides: Any) -> CustomsMapping:
    data: dict[str, Any] = {
        "name": "test_kr",
        "fields": dict(COLUMNS),
        "date_format": ["%Y-%m-%d", "%Y%m%d"],
        "null_values": ["-"],
        "decimal": {"decimal_separator": ".", "thousands_separator": ","},
        "value_maps": {
            "payment_method": {"LS": "LC", "LU": "LC", "CD": "CAD", "GN": "OTHER"},
            "shipped": {"선적완료": "Y", "미선적": "N"},
        },
    }
    data.update(overrides)
    return load_customs_mapping(data, origin="test.toml")


MAPPING = make_mapping()


def good_row() -> Row:
    return {
        "신고번호": "43017-26-8362112",
        "수리일자": "2026-02-03",
        "선적일자": "20260204",
        "선적여부": "Y",
        "통관고유부호": "가온전자-1-19-1-01-3",
        "해외거래처상호": "MÜLLER MASCHINENBAU GMBH",
        "해외거래처부호": "DE1234567",
        "목적국": "de",
        "세번부호": "8504.40-9090",
        "결제방법": "LU",
        "결제통화": "EUR",
        "결제금액": "85,620.81",
        "FOB원화": "135,375,102",
        "송품장번호": "EX26-00014",
        "B/L번호": "HDMU123456789",
    }


def fail(row: Row, mapping: CustomsMapping = MAPPING, **kwargs: Any) -> RecordError:
    with pytest.raises(RecordError) as info:
        normalise_declaration(row, mapping, source="decl.csv", row=9, **kwargs)
    return info.value


def test_good_row_becomes_a_declaration() -> None:
    found = normalise_declaration(good_row(), MAPPING, source="decl.csv", row=9)
    assert found.source_ref == "decl.csv:9"
    assert found.declaration_number == "43017268362112"  # dashes dropped
    assert found.acceptance_date == date(2026, 2, 3) and found.loading_date == date(2026, 2, 4)
    assert found.shipped is True and found.shipment_date == date(2026, 2, 4)
    assert found.destination_country == "DE" and found.hs_code == "8504409090"
    assert found.payment_method is PaymentMethod.LC  # usance L/C via the value map
    assert found.amount == Decimal("85620.81") and found.amount_minor == 8_562_081
    assert found.fob_krw == 135_375_102
    assert (found.invoice_number, found.bl_number) == ("EX26-00014", "HDMU123456789")


def test_alternative_columns_and_word_flags() -> None:
    row = good_row()
    row["수출신고번호"] = row.pop("신고번호")
    row["출항일자"] = row.pop("선적일자")
    row["선적여부"] = "선적완료"
    found = normalise_declaration(row, MAPPING, source="decl.csv", row=2)
    assert found.declaration_number == "43017268362112" and found.shipped is True
    assert found.loading_date == date(2026, 2, 4)


def test_not_yet_shipped_declaration_without_optional_fields() -> None:
    row = good_row()
    row.update({"선적여부": "미선적", "선적일자": "", "B/L번호": "-"})
    row.update({"결제방법": "", "FOB원화": ""})
    found = normalise_declaration(row, MAPPING, source="decl.csv", row=3)
    assert found.shipped is False and found.loading_date is None and found.bl_number is None
    assert found.shipment_date == date(2026, 2, 3)  # falls back to the acceptance date
    assert found.payment_method is None and found.fob_krw is None


@pytest.mark.parametrize(
    ("column", "value", "field", "reason"),
    [
        ("신고번호", "", "declaration_number", "declaration_number (column '신고번호'): missing"),
        (
            "신고번호",
            "4301-26",
            "declaration_number",
            "declaration_number (column '신고번호'): not a declaration number (10 to 20 letters "
            "or digits; dashes and spaces are ignored)",
        ),
        (
            "신고번호",
            "43017/26/8362112",
            "declaration_number",
            "declaration_number (column '신고번호'): not a declaration number (10 to 20 letters "
            "or digits; dashes and spaces are ignored)",
        ),
        ("수리일자", None, "acceptance_date", "acceptance_date (column '수리일자'): missing"),
        (
            "수리일자",
            "2026-02-30",
            "acceptance_date",
            "acceptance_date (column '수리일자'): not a date in the mapping's date_format",
        ),
        (
            "선적여부",
            "maybe",
            "shipped",
            "shipped (column '선적여부'): not a shipped flag (Y or N, after the mapping's "
            "value_maps)",
        ),
        ("선적여부", "", "shipped", "shipped (column '선적여부'): missing"),
        (
            "목적국",
            "Germany",
            "destination_country",
            "destination_country (column '목적국'): not an ISO 3166-1 alpha-2 country code "
            "(country names are not guessed)",
        ),
        (
            "세번부호",
            "85O4",
            "hs_code",
            "hs_code (column '세번부호'): not an HS code (4 to 12 digits)",
        ),
        (
            "결제방법",
            "ZZ",
            "payment_method",
            "payment_method (column '결제방법'): not a payment method code (map the customs code "
            "to one of LC, DP, DA, OA, CAD, TT, CONSIGNMENT, OTHER in the mapping's value_maps)",
        ),
        (
            "결제통화",
            "WON",
            "currency",
            "currency (column '결제통화'): not an active ISO 4217 currency code",
        ),
        ("결제금액", "12.500,00", "amount", "amount (column '결제금액'): not a number"),
        ("결제금액", "0", "amount", "amount (column '결제금액'): must be greater than zero"),
        (
            "결제금액",
            "10.005",
            "amount",
            "amount (column '결제금액'): more than 2 decimal places for EUR",
        ),
        (
            "FOB원화",
            "1,000.50",
            "fob_krw",
            "fob_krw (column 'FOB원화'): not a whole number of won (KRW has no minor unit)",
        ),
        (
            "해외거래처상호",
            "ACME\u202eGMBH",
            "buyer_name",
            "buyer_name (column '해외거래처상호'): contains bidirectional override characters",
        ),
        (
            "선적일자",
            "2026-02-01",
            "loading_date",
            "loading_date (column '선적일자'): before acceptance_date (column '수리일자')",
        ),
    ],
)
def test_bad_values_name_field_column_and_reason(
    column: str, value: str | None, field: str, reason: str
) -> None:
    row = good_row()
    row[column] = value
    error = fail(row)
    assert (error.source, error.row, error.field, error.reason) == ("decl.csv", 9, field, reason)


def test_amount_decimals_follow_the_currency() -> None:
    row = good_row()
    row.update({"결제통화": "KRW", "결제금액": "1,500,000.50"})
    assert fail(row).reason == "amount (column '결제금액'): more than 0 decimal places for KRW"
    row.update({"결제통화": "KWD", "결제금액": "10.125"})
    found = normalise_declaration(row, MAPPING, source="decl.csv", row=9)
    assert found.amount_minor == 10_125


def test_a_loading_date_on_an_unshipped_declaration_is_refused() -> None:
    row = good_row()
    row["선적여부"] = "N"
    error = fail(row)
    assert error.field == "loading_date"
    assert error.reason == (
        "loading_date (column '선적일자'): given although shipped (column '선적여부') says not "
        "shipped"
    )


def test_reasons_and_quarantine_never_echo_values() -> None:
    secret = "Zeta/Confidential/7731"
    columns = ("결제금액", "목적국", "결제통화", "신고번호", "수리일자", "세번부호", "선적여부")
    for column in columns:
        row = good_row()
        row[column] = secret
        row["INTERNAL_MARGIN"] = "31.5% " + secret
        item = declaration_item(row, MAPPING, source="decl.csv", row=4)
        assert isinstance(item, Quarantined), column
        assert secret not in item.reason and secret not in repr(item) and secret not in str(item)
        assert "INTERNAL_MARGIN" not in item.raw  # only mapped columns are kept for a retry
        assert item.raw[column] == secret


def test_over_long_text_is_refused_by_length_not_echoed() -> None:
    row = good_row()
    row["해외거래처상호"] = "B" * 300
    assert fail(row).reason == "buyer_name (column '해외거래처상호'): longer than 256 characters"
    row["해외거래처상호"] = "B" * 40
    limits = Limits(max_field_chars=32)
    assert fail(row, limits=limits).reason.endswith("longer than 32 characters")


def test_constants_fill_fields_without_columns() -> None:
    fields = {k: v for k, v in COLUMNS.items() if k != "exporter_id"}
    mapping = make_mapping(fields=fields, constants={"exporter_id": "가온전자-1-19-1-01-3"})
    row = good_row()
    del row["통관고유부호"]
    assert normalise_declaration(row, mapping, source="d", row=2).exporter_id.startswith("가온")


def test_json_mapping_reads_field_names_directly() -> None:
    raw: Row = {
        "declaration_number": "43017268362112",
        "acceptance_date": "2026-02-03",
        "shipped": "N",
        "buyer_name": "Hanoi Precision Parts JSC",
        "destination_country": "VN",
        "hs_code": "8542311000",
        "currency": "USD",
        "amount": "100.5",
    }
    found = normalise_declaration(raw, json_mapping(), source="d.json", row=1)
    assert isinstance(found, ExportDeclaration) and found.amount == Decimal("100.5")
    raw["acceptance_date"] = "20260203"  # JSON dates are ISO only
    assert fail(raw, json_mapping()).field == "acceptance_date"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fields": {**COLUMNS, "buyer": "x"}}, "fields key 'buyer' is not a declaration field"),
        (
            {"fields": {k: v for k, v in COLUMNS.items() if k != "amount"}},
            "required declaration field 'amount' is not mapped",
        ),
        ({"fields": {**COLUMNS, "amount": []}}, "fields key 'amount' needs 1 to 8 columns"),
        ({"fields": {**COLUMNS, "amount": " "}}, "fields key 'amount' names an empty column"),
        ({"constants": {"amount": "1"}}, "'amount' is both in fields and in constants"),
        ({"value_maps": {"incoterms": {}}}, "is not a declaration field"),
        ({"date_format": ["%m-%d"]}, "date_format '%m-%d' needs a year, a month and a day"),
    ],
)
def test_bad_mappings_fail_at_start_up(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_mapping(**overrides)
    assert "customs mapping test.toml" in str(info.value) and message in str(info.value)


def test_resolve_prefers_the_first_alternative_and_lists_missing_fields() -> None:
    columns, missing = MAPPING.resolve(["출항일자", "선적일자", "결제금액"])
    assert columns["loading_date"] == "선적일자" and columns["amount"] == "결제금액"
    assert "declaration_number" in missing and "amount" not in missing
    assert missing == sorted(missing)
