"""ColumnMapping validation: mistakes are ConfigErrors naming the mapping and the key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from gateway.errors import ConfigError
from gateway.ingest import REQUIRED_FIELDS, ColumnMapping, load_mapping

Make = Callable[..., ColumnMapping]
Columns = Mapping[str, str]


def test_toml_style_nested_buyer_table_becomes_dotted_fields(
    make_mapping: Make, columns: Columns
) -> None:
    fields: dict[str, Any] = {
        k: v for k, v in columns.items() if not k.startswith("buyer.") and k != "tenor_days"
    }
    fields["buyer"] = {"name": "BNAME", "country": "BCTRY"}
    mapping = make_mapping(
        fields=fields,
        value_maps={"buyer": {"country": {"Korea": "KR"}}},
        constants={"tenor_days": 30},
    )
    assert mapping.fields["buyer.name"] == "BNAME"
    assert mapping.value_maps == {"buyer.country": {"Korea": "KR"}}
    assert mapping.constants == {"tenor_days": "30"}


def test_unknown_canonical_field_names_file_and_key(make_mapping: Make, columns: Columns) -> None:
    with pytest.raises(ConfigError) as info:
        make_mapping(fields={**columns, "buyer.nmae": "X"})
    assert str(info.value) == (
        "mapping test.toml: fields: fields key 'buyer.nmae' is not a canonical field"
    )


@pytest.mark.parametrize("section", ["constants", "value_maps"])
def test_unknown_field_in_constants_or_value_maps(make_mapping: Make, section: str) -> None:
    value: Any = {"amout": "1"} if section == "constants" else {"amout": {"a": "b"}}
    with pytest.raises(ConfigError, match=rf"test\.toml: {section}: {section} key 'amout'"):
        make_mapping(**{section: value})


def test_unknown_top_level_key_is_refused(make_mapping: Make) -> None:
    with pytest.raises(ConfigError, match=r"test\.toml: colums: Extra inputs"):
        make_mapping(colums={})


@pytest.mark.parametrize("field", sorted(REQUIRED_FIELDS))
def test_every_required_field_must_be_mapped(
    make_mapping: Make, columns: Columns, field: str
) -> None:
    fields = {k: v for k, v in columns.items() if k != field}
    with pytest.raises(ConfigError, match=f"required canonical field '{field}'"):
        make_mapping(fields=fields)


def test_constant_satisfies_a_required_field(make_mapping: Make, columns: Columns) -> None:
    fields = {k: v for k, v in columns.items() if k != "currency"}
    assert make_mapping(fields=fields, constants={"currency": "EUR"}).constants == {
        "currency": "EUR"
    }


def test_due_date_or_tenor_is_required(make_mapping: Make, columns: Columns) -> None:
    fields = {k: v for k, v in columns.items() if k not in ("due_date", "tenor_days")}
    with pytest.raises(ConfigError, match="'due_date' or 'tenor_days'"):
        make_mapping(fields=fields)


def test_field_in_both_fields_and_constants(make_mapping: Make) -> None:
    with pytest.raises(ConfigError, match="'currency' is both"):
        make_mapping(constants={"currency": "USD"})


def test_line_item_fields_are_all_or_nothing(make_mapping: Make, columns: Columns) -> None:
    with pytest.raises(ConfigError, match="go together"):
        make_mapping(fields={**columns, "line_item.quantity": "QTY"})
    both = {"line_items": "LINES", "line_item.quantity": "Q", "line_item.unit_price": "P"}
    with pytest.raises(ConfigError, match="not both"):
        make_mapping(fields={**columns, **both})


@pytest.mark.parametrize("fmt", ["%Y-%m", "%H:%M", "%Y-%m-%d %Y"])
def test_bad_date_formats(make_mapping: Make, fmt: str) -> None:
    with pytest.raises(ConfigError, match="date_format"):
        make_mapping(date_format=[fmt])


def test_empty_column_name_is_refused(make_mapping: Make, columns: Columns) -> None:
    with pytest.raises(ConfigError, match="empty column"):
        make_mapping(fields={**columns, "description": "  "})


def test_currency_symbols_may_not_contain_digits(make_mapping: Make) -> None:
    with pytest.raises(ConfigError, match="currency symbols"):
        make_mapping(decimal={"currency_symbols": ["$1"]})


def test_header_columns(make_mapping: Make, columns: Columns) -> None:
    mapping = make_mapping(required_columns=["DESC", "EXTRA"])
    required = {columns[f] for f in REQUIRED_FIELDS}
    assert mapping.header_columns() == frozenset(required | {"DESC", "EXTRA"})
    assert "DUE" not in mapping.header_columns()
    assert mapping.source_columns() == frozenset(columns.values())


def test_mapping_is_frozen(make_mapping: Make) -> None:
    mapping = make_mapping()
    with pytest.raises(ValueError, match="frozen"):
        setattr(mapping, "name", "other")  # noqa: B010 - assigning must fail


def test_load_mapping_error_does_not_echo_values(columns: Columns) -> None:
    data = {"name": "x", "fields": {**columns, "amount": ["SECRET-COLUMN"]}}
    with pytest.raises(ConfigError) as info:
        load_mapping(data, origin="m.toml")
    assert "SECRET-COLUMN" not in str(info.value)
    assert "m.toml: fields.amount" in str(info.value)
