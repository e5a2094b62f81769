"""The compiled fast path of ingest decides exactly as the full path does.

``normalise`` and ``normalise_declaration`` try a fast path first (gateway/ingest/_fast.py) and
run the full, field-by-field path when it cannot vouch for a row. These properties run both on
rows made from a valid row with one to three cells replaced (malformed dates and numbers,
codes in other cases, value-map keys, null markers, padding, U+FFFD, surrogates, control and
bidi characters, over-long text, arbitrary Unicode, absent columns), under several mappings
(shipped ones, constants, odd value-map outputs, JSON line items, comma decimals, dates that are
not ISO first) and limits, and require the same outcome: an equal record, down to the type
and exponent of every value, the fields recorded as set and the policy input, or the same
error naming the same field with the same reason. Other tests check that the fast path is
really taken for clean rows, so the speed-up cannot silently switch off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from gateway.adapters.customs import builtin_customs_mapping
from gateway.adapters.erp import builtin_mapping
from gateway.errors import RecordError
from gateway.ingest import ColumnMapping, load_mapping, normalise
from gateway.ingest._fast import Fallback
from gateway.ingest.customs import (
    customs_plan,
    normalise_declaration,
    normalise_declaration_full,
)
from gateway.ingest.customs_mapping import CustomsMapping, json_mapping, load_customs_mapping
from gateway.ingest.normalise import erp_plan, normalise_full
from gateway.limits import Limits
from gateway.model import ExportRecord

DEFAULT = Limits()
TIGHT = Limits(max_field_chars=20, max_line_items=2)
WIDE = Limits(max_field_chars=4096)
LIMITS = pytest.mark.parametrize(
    "limits", [DEFAULT, TIGHT, WIDE], ids=["default", "tight", "wide"]
)

_ALL_FIELDS = {
    "invoice_number": "INV",
    "invoice_date": "IDATE",
    "shipment_date": "SDATE",
    "declaration_number": "DECL",
    "buyer.name": "BNAME",
    "buyer.country": "BCTRY",
    "buyer.registration_id": "BREG",
    "buyer.insurer_code": "BCODE",
    "buyer.address": "BADDR",
    "currency": "CUR",
    "amount": "AMT",
    "payment_method": "PAY",
    "due_date": "DUE",
    "tenor_days": "TENOR",
    "incoterms": "INCO",
    "hs_code": "HS",
    "description": "DESC",
    "line_item.description": "LDESC",
    "line_item.quantity": "QTY",
    "line_item.unit_price": "PRICE",
}
_ALL_ROW: dict[str, str | None] = {
    "INV": "EX-1",
    "IDATE": "2026-03-02",
    "SDATE": "2026-03-03",
    "DECL": "43017-26-0000001",
    "BNAME": "Hanoi Precision Parts JSC",
    "BCTRY": "vn",
    "BREG": "0101234567",
    "BCODE": "VN-0000042",
    "BADDR": "Lot B4, Thang Long IP",
    "CUR": "USD",
    "AMT": "12,500.50",
    "PAY": "T/T",
    "DUE": "2026-05-02",
    "TENOR": "",
    "INCO": "fob",
    "HS": "8542.31",
    "DESC": "Integrated circuits",
    "LDESC": "ICs",
    "QTY": "10",
    "PRICE": "1250.05",
}


def _erp_mapping(**overrides: Any) -> ColumnMapping:
    data: dict[str, Any] = {
        "name": "equivalence",
        "fields": dict(_ALL_FIELDS),
        "decimal": {"decimal_separator": ".", "thousands_separator": ","},
        "value_maps": {"payment_method": {"T/T": "TT", "L/C": "LC"}},
        "null_values": ["-", "N/A"],
    }
    data.update(overrides)
    return load_mapping(data, origin="equivalence.toml")


def _without(names: set[str]) -> dict[str, str]:
    return {k: v for k, v in _ALL_FIELDS.items() if k not in names}


GENERIC = builtin_mapping("generic")
GENERIC_ROW: dict[str, str | None] = {
    "invoice_no": "EX26-0000001",
    "invoice_date": "2025-12-30",
    "ship_date": "2026-01-01",
    "export_declaration_no": "43017-26-0000001",
    "buyer_name": "Global Steel 0384 Ltd",
    "buyer_country": "US",
    "buyer_reg_no": "US68881919",
    "buyer_code": "US-0000384",
    "buyer_address": "",
    "currency": "USD",
    "amount": "586823.12",
    "payment_terms": "D/P",
    "due_date": "2026-01-31",
    "tenor_days": "",
    "incoterms": "FOB",
    "hs_code": "7208.51",
    "description": "Steel plate",
    "unit_price": "2529.41",
    "quantity": "232",
}
ERP_CASES: list[tuple[str, ColumnMapping, dict[str, str | None]]] = [
    ("all fields", _erp_mapping(), _ALL_ROW),
    ("generic", GENERIC, GENERIC_ROW),
    (
        "constants and odd value maps",
        _erp_mapping(
            fields=_without({"currency", "incoterms", "buyer.registration_id"}),
            constants={"currency": " usd ", "incoterms": "fob", "buyer.registration_id": "R-1"},
            value_maps={
                "payment_method": {"T/T": " tt ", "X": " ", "L/C": "LC\u202e", "B": "Bank"},
                "buyer.country": {"Vietnam": "VN", "Nowhere": ""},
                "buyer.name": {"ACME": "  Acme Corp  "},
                "line_item.description": {"Blank": " "},
            },
        ),
        _ALL_ROW,
    ),
    (
        "JSON lines, comma decimals, European dates first",
        _erp_mapping(
            fields={**_without({"line_item.description", "line_item.quantity",
                                "line_item.unit_price"}), "line_items": "LINES"},
            decimal={"decimal_separator": ",", "thousands_separator": ".",
                     "currency_symbols": ["€", "US$"]},
            date_format=["%d.%m.%Y", "%Y-%m-%d", "%Y%m%d"],
        ),
        {**_ALL_ROW, "AMT": "12.500,50", "IDATE": "02.03.2026", "TENOR": "60", "DUE": None,
         "LINES": '[{"description": "ICs", "quantity": 10, "unit_price": "1250.05"}]'},
    ),
]

CUSTOMS_EN = builtin_customs_mapping("customs_en")
CUSTOMS_ROW: dict[str, str | None] = {
    "declaration_no": "43017260000001",
    "acceptance_date": "2026-01-01",
    "loading_date": "2026-01-01",
    "shipped": "Y",
    "exporter_id": "EXPORTER-1",
    "buyer_name": "GLOBAL STEEL 0384 LTD",
    "buyer_code": "US-0000384",
    "destination_country": "US",
    "hs_code": "7208510000",
    "payment_method": "DP",
    "currency": "USD",
    "amount": "586823.12",
    "fob_krw": "792211212",
    "invoice_no": "EX26-0000001",
    "bl_no": "MAEU000000001",
}
_KR_ROW: dict[str, str | None] = {
    "신고번호": "43017-26-1984458",
    "수리일자": "20260108",
    "선적일자": "2026.01.09",
    "선적여부": "Y",
    "해외거래처상호": "한빛 아메리카",
    "목적국": "us",
    "세번부호": "8708.29-9000",
    "결제방법": "LS",
    "결제통화": "usd",
    "결제금액": "59,958.36",
}
# The JSON mapping reads the field names as columns.
_JSON_ROW: dict[str, str | None] = {
    "declaration_number": "43017260000001",
    "acceptance_date": "2026-01-01",
    "shipped": "N",
    "buyer_name": "Hanbit",
    "destination_country": "DE",
    "hs_code": "8708299000",
    "currency": "EUR",
    "amount": "12.50",
    "fob_krw": "16000",
}
_ODD_CUSTOMS = load_customs_mapping(
    {
        "name": "odd",
        "fields": {k: v for k, v in CUSTOMS_EN.fields.items() if k not in {"currency", "shipped"}},
        "constants": {"currency": "usd", "shipped": " y "},
        "value_maps": {"payment_method": {"DP": " dp ", "ZZ": "", "LS": "LC\x00"}},
        "decimal": {"decimal_separator": ",", "thousands_separator": " "},
        "date_format": ["%Y%m%d", "%Y-%m-%d"],
        "null_values": ["-"],
    },
    origin="odd.toml",
)
CUSTOMS_CASES: list[tuple[str, CustomsMapping, dict[str, str | None]]] = [
    ("customs_en", CUSTOMS_EN, CUSTOMS_ROW),
    ("customs_kr", builtin_customs_mapping("customs_kr"), _KR_ROW),
    ("json", json_mapping(), _JSON_ROW),
    ("constants and odd value maps", _ODD_CUSTOMS,
     {**CUSTOMS_ROW, "acceptance_date": "20260101", "amount": "586 823,12"}),
]

#: What kind of value each field holds, so that a variant is often a near miss of its kind.
KIND = {
    "invoice_date": "date", "shipment_date": "date", "due_date": "date",
    "acceptance_date": "date", "loading_date": "date",
    "amount": "number", "line_item.quantity": "number", "line_item.unit_price": "number",
    "fob_krw": "number",
    "currency": "code", "buyer.country": "code", "destination_country": "code",
    "payment_method": "code", "incoterms": "code", "shipped": "code",
    "tenor_days": "whole", "hs_code": "whole", "declaration_number": "whole",
    "line_items": "json",
}
NEAR = {
    "date": [
        "2026-03-01", "2026-3-1", "2026-3-2", "2026-01-01", "2025-12-31", "2026-02-30",
        "2026-13-01", "1899-12-31", "1900-01-01", "2999-12-31", "3000-01-01", "0000-01-01",
        "20260302", "20251231", "02.03.2026", "2026.03.02", "2026/03/02", "2026-03-02T00:00",
        "2026-W10-1", "2026-061", "\uff12\uff10\uff12\uff16-03-02", "2027-06-30",
        "2026-03-04", "2026-03-02",
    ],
    "number": [
        "12,500.50", "12500.5", "0", "0.00", "-0", "-5", "5-", "(5)", "1e5", "NaN", "Infinity",
        "0.5", "0.001", "0.0001", "1.5", "100.00", "100.5", "\u0661\u0662\u0663", "12.", ".5",
        "$5", "5 €", "US$ 1,000", "0001.10", "1" * 21, "1" * 24, "1" * 25, "0" * 30 + "1",
        "0.0001" + "0" * 23, "1" + "0" * 23 + ".0", "0." + "0" * 30 + "1", "1.234,56",
        "1 234,5", "1,00", "1.000", "1,000", "99999999999999999999.5", "586 823,12",
    ],
    "code": [
        "lc", "LC", "T/T", "L/C", "tt", "TT", "fob", "FOB", "xx", "\u00df", "SS", "vn", "VN",
        "Vietnam", "Nowhere", "usd", "USD", "jpy", "JPY", "CLF", "KWD", "XAU", "Y", "N", "y",
        "n", "yes", "no", "No", "TRUE", "false", "X", "B", "DP", "ZZ", "LS", "OTHER",
    ],
    "whole": [
        "8542.31", "85-42 31", "854", "8542310000000", "0", "30", "3650", "3651", "999999999",
        "1234567890", "\u0663\u0660", "43017-26-0000001", "4301726000000", "abc1234567",
        "43017 26 0000001", "4301726000000\u00df", "430172600000012345678",
    ],
    "json": [
        "[]", '[{"quantity": 1, "unit_price": 2.5}]', '[{"quantity": 0, "unit_price": 1}]',
        '[{"quantity": "1", "unit_price": "-1"}]', '[{"quantity": 1e30, "unit_price": 1}]',
        '[{"quantity": 123456789012345678901, "unit_price": 1}]',
        '[{"quantity": 1, "unit_price": 1, "x": 1}]', '[{"quantity": 1, "unit_price": 1}, '
        '{"quantity": 2, "unit_price": 2}, {"quantity": 3, "unit_price": 3}]',
        '[{"description": "\\u0000", "quantity": 1, "unit_price": 1}]', "{",
        '[{"description": "  ", "quantity": 1, "unit_price": 1}]',
        '[{"description": "' + "d" * 1100 + '", "quantity": 1, "unit_price": 1}]',
    ],
    "text": [
        "ACME", "Blank", "ICs", "Nordic Ltd.", "x" * 21, "x" * 257, "x" * 1025, "x" * 2000,
        "한빛 아메리카",
    ],
}
BLANKS = ["", " ", "-", "N/A", "n/a", "\u00a0", "\u3000"]
NASTY = ["\ufffd", "\ud800", "\udfff", "\u202e", "\u2066", "\x00", "\x1f", "\x7f", "\x85",
         "\x9f", "\t", "\n", "\r", "\u2028", "\u180e", "\u200b", "\ufeff", "\x1c", "한"]
PADDING = st.text(st.sampled_from([" ", "\t", "\u00a0", "\u2028", "\u3000", "\x85", "\x1c"]),
                  max_size=2)
SOURCES = ["erp.csv", " lead.csv", "trail.csv ", "a\x00b.csv", "x" * 300, "bad\ufffd.csv",
           "tab\there.csv", "한국.csv", "\ud800.csv"]


@st.composite
def _cell(draw: st.DrawFn, valid: str | None, kind: str) -> str | None:
    choice = draw(st.integers(0, 9))
    if choice < 5:
        return draw(st.sampled_from(NEAR[kind]))
    if choice == 5:
        return draw(st.sampled_from(BLANKS))
    if choice == 6:
        return draw(st.text(st.characters() | st.sampled_from(NASTY), max_size=30))
    if choice == 7:
        return draw(PADDING) + (valid or "") + draw(PADDING)
    if choice == 8 and valid:
        at = draw(st.integers(0, len(valid)))
        return valid[:at] + draw(st.sampled_from(NASTY)) + valid[at:]
    return None


@st.composite
def _variant(
    draw: st.DrawFn, good: Mapping[str, str | None], kinds: Mapping[str, str]
) -> dict[str, str | None]:
    """``good`` with up to three cells replaced (a tenth of them dropped from the row)."""
    row = dict(good)
    for column in draw(st.lists(st.sampled_from(sorted(good)), max_size=3, unique=True)):
        if draw(st.integers(0, 9)) == 0:
            del row[column]
        else:
            row[column] = draw(_cell(good[column], kinds.get(column, "text")))
    return row


def _erp_kinds(mapping: ColumnMapping) -> dict[str, str]:
    return {column: KIND.get(field, "text") for field, column in mapping.fields.items()}


def _customs_kinds(mapping: CustomsMapping) -> dict[str, str]:
    return {
        column: KIND.get(field, "text")
        for field, columns in mapping.fields.items()
        for column in columns
    }


def _shape(value: Any) -> Any:
    """A value with everything equality hides made visible: types, Decimal exponents, the
    fields a model records as set and the order of its fields."""
    if isinstance(value, BaseModel):
        fields = [(name, _shape(item)) for name, item in value.__dict__.items()]
        return type(value).__name__, fields, sorted(value.model_fields_set)
    if isinstance(value, tuple):
        return tuple(_shape(item) for item in value)
    return type(value).__name__, repr(value)


def _outcome(run: Callable[..., BaseModel], *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    """``run(*args, **kwargs)`` as a comparable value: the model's shape, its JSON and policy
    input, or the error's source, row, field and reason."""
    try:
        model = run(*args, **kwargs)
    except RecordError as exc:
        return ("error", exc.source, exc.row, exc.field, exc.reason)
    extra = model.policy_input() if isinstance(model, ExportRecord) else None
    return ("model", _shape(model), model.model_dump_json(), extra)


@pytest.mark.parametrize(("case", "mapping", "good"), ERP_CASES, ids=[c[0] for c in ERP_CASES])
@LIMITS
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_erp_fast_path_equals_full_path(
    case: str,
    mapping: ColumnMapping,
    good: dict[str, str | None],
    limits: Limits,
    data: st.DataObject,
) -> None:
    raw = data.draw(_variant(good, _erp_kinds(mapping)))
    source = data.draw(st.sampled_from(SOURCES) if data.draw(st.integers(0, 7)) == 0
                       else st.just("erp.csv"))
    row = data.draw(st.integers(-5, 10**6))

    kwargs: dict[str, Any] = {"source": source, "row": row, "limits": limits}
    assert _outcome(normalise, raw, mapping, **kwargs) == _outcome(
        normalise_full, raw, mapping, **kwargs
    )


@pytest.mark.parametrize(("case", "mapping", "good"), CUSTOMS_CASES,
                         ids=[c[0] for c in CUSTOMS_CASES])
@LIMITS
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_customs_fast_path_equals_full_path(
    case: str,
    mapping: CustomsMapping,
    good: dict[str, str | None],
    limits: Limits,
    data: st.DataObject,
) -> None:
    raw = data.draw(_variant(good, _customs_kinds(mapping)))
    source = data.draw(st.sampled_from(SOURCES) if data.draw(st.integers(0, 7)) == 0
                       else st.just("customs.csv"))
    columns = mapping.resolve(good.keys())[0] if data.draw(st.booleans()) else None
    kwargs: dict[str, Any] = {"source": source, "row": 7, "columns": columns, "limits": limits}

    assert _outcome(normalise_declaration, raw, mapping, **kwargs) == _outcome(
        normalise_declaration_full, raw, mapping, **kwargs
    )


def _single_changes(
    good: Mapping[str, str | None], kinds: Mapping[str, str]
) -> list[dict[str, str | None]]:
    """``good`` with each cell in turn replaced by every near miss of its kind, a blank, a
    padded copy, a copy holding each suspect character, or dropped."""
    rows = []
    for column, valid in good.items():
        values: list[str | None] = [*NEAR[kinds.get(column, "text")], *BLANKS, None]
        values += [f" {valid}\u00a0", f"\u2028{valid}\x85"] if valid else []
        values += [f"{valid or ''}{char}" for char in NASTY]
        rows += [{**good, column: value} for value in values]
        rows.append({k: v for k, v in good.items() if k != column})
    return rows


@pytest.mark.parametrize(("case", "mapping", "good"), ERP_CASES, ids=[c[0] for c in ERP_CASES])
@LIMITS
def test_erp_every_single_cell_change_agrees(
    case: str, mapping: ColumnMapping, good: dict[str, str | None], limits: Limits
) -> None:
    kwargs: dict[str, Any] = {"source": "e.csv", "row": 3, "limits": limits}
    plan = erp_plan(mapping, limits)
    for raw in _single_changes(good, _erp_kinds(mapping)):
        full = _outcome(normalise_full, raw, mapping, **kwargs)
        assert _outcome(normalise, raw, mapping, **kwargs) == full
        if full[0] == "error":  # a refusal is never the fast path's to make
            with pytest.raises(Fallback):
                plan.record(raw, "e.csv", 3)


@pytest.mark.parametrize(("case", "mapping", "good"), CUSTOMS_CASES,
                         ids=[c[0] for c in CUSTOMS_CASES])
@LIMITS
def test_customs_every_single_cell_change_agrees(
    case: str, mapping: CustomsMapping, good: dict[str, str | None], limits: Limits
) -> None:
    columns = mapping.resolve(good.keys())[0]
    kwargs: dict[str, Any] = {"source": "c.csv", "row": 3, "columns": columns, "limits": limits}
    plan = customs_plan(mapping, columns, limits)
    for raw in _single_changes(good, _customs_kinds(mapping)):
        full = _outcome(normalise_declaration_full, raw, mapping, **kwargs)
        assert _outcome(normalise_declaration, raw, mapping, **kwargs) == full
        if full[0] == "error":  # a refusal is never the fast path's to make
            with pytest.raises(Fallback):
                plan.declaration(raw, "c.csv", 3)


@pytest.mark.parametrize(("case", "mapping", "good"), ERP_CASES, ids=[c[0] for c in ERP_CASES])
def test_clean_erp_rows_take_the_fast_path(
    case: str, mapping: ColumnMapping, good: dict[str, str | None]
) -> None:
    record = erp_plan(mapping, DEFAULT).record(good, "erp.csv", 2)
    assert _shape(record) == _shape(normalise_full(good, mapping, source="erp.csv", row=2))


@pytest.mark.parametrize(("case", "mapping", "good"), CUSTOMS_CASES,
                         ids=[c[0] for c in CUSTOMS_CASES])
def test_clean_declarations_take_the_fast_path(
    case: str, mapping: CustomsMapping, good: dict[str, str | None]
) -> None:
    columns = mapping.resolve(good.keys())[0]
    declaration = customs_plan(mapping, columns, DEFAULT).declaration(good, "c.csv", 2)
    full = normalise_declaration_full(good, mapping, source="c.csv", row=2, columns=columns)
    assert _shape(declaration) == _shape(full)


def test_a_refused_constant_leaves_every_row_to_the_full_path() -> None:
    mapping = _erp_mapping(
        fields=_without({"currency"}), constants={"currency": "US\ufffdD"}
    )
    assert erp_plan(mapping, DEFAULT).cells is None
    with pytest.raises(RecordError) as caught:
        normalise(_ALL_ROW, mapping, source="e.csv", row=2)
    assert caught.value.field == "currency"
    assert caught.value.reason.startswith("currency (constant): contains U+FFFD")


def test_plans_follow_the_mapping_limits_and_columns_they_were_built_for() -> None:
    lc = _erp_mapping(value_maps={"payment_method": {"T/T": "LC"}})
    tt = _erp_mapping(value_maps={"payment_method": {"T/T": "TT"}})
    for _ in range(2):  # alternating mappings never share a compiled plan
        assert normalise(_ALL_ROW, lc, source="e.csv", row=2).payment_method == "LC"
        assert normalise(_ALL_ROW, tt, source="e.csv", row=2).payment_method == "TT"
    assert normalise(_ALL_ROW, tt, source="e.csv", row=2).buyer.name == _ALL_ROW["BNAME"]
    with pytest.raises(RecordError, match=r"buyer\.name .*longer than 16 characters"):
        normalise(_ALL_ROW, tt, source="e.csv", row=2, limits=Limits(max_field_chars=16))

    other = {**CUSTOMS_ROW, "payment_amount": CUSTOMS_ROW["amount"], "amount": "1.00"}
    by_amount = CUSTOMS_EN.resolve(["amount", *CUSTOMS_ROW])[0]
    by_payment = {**by_amount, "amount": "payment_amount"}
    first = normalise_declaration(other, CUSTOMS_EN, source="c", row=2, columns=by_amount)
    second = normalise_declaration(other, CUSTOMS_EN, source="c", row=2, columns=by_payment)
    assert (str(first.amount), str(second.amount)) == ("1.00", CUSTOMS_ROW["amount"])
