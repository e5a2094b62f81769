"""Mapping files: TOML in, ColumnMapping out, ConfigErrors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.adapters.erp import builtin_mapping, builtin_mapping_names, from_mapping_file
from gateway.errors import ConfigError

VALID = """
name = "custom"
date_format = ["%d/%m/%Y"]

[fields]
invoice_number = "Doc"
invoice_date = "Date"
shipment_date = "Shipped"
currency = "Cur"
amount = "Amount"
payment_method = "Terms"
tenor_days = "Days"
hs_code = "HS"
buyer.name = "Customer"
buyer.country = "Country"

[value_maps.buyer.country]
"South Korea" = "KR"
"""


def test_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "custom.toml"
    path.write_text(VALID, encoding="utf-8")
    mapping = from_mapping_file(path)
    assert mapping.name == "custom"
    assert mapping.fields["buyer.country"] == "Country"
    assert mapping.value_maps["buyer.country"] == {"South Korea": "KR"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID.replace('buyer.name = "Customer"', 'buyer.nmae = "Customer"'),
            r"fields: fields key 'buyer\.nmae' is not a canonical field",
        ),
        (VALID.replace("[fields]", "[fields]\nnot valid toml"), "not valid TOML"),
        ("unknown_key = 1\n" + VALID, "unknown_key: Extra inputs are not permitted"),
        (VALID.replace('date_format = ["%d/%m/%Y"]', 'date_format = ["%H"]'), "date_format"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "custom.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        from_mapping_file(path)
    assert str(path) in str(info.value)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot be read"):
        from_mapping_file(tmp_path / "missing.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes(VALID.replace("South Korea", "Corée du Sud").encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.toml: not UTF-8"):
        from_mapping_file(path)


def test_builtin_mappings_all_load() -> None:
    assert builtin_mapping_names() == ("canonical", "generic", "sap_billing")
    sap = builtin_mapping("sap_billing")
    assert sap.fields["amount"] == "NETWR" and sap.decimal.decimal_separator == ","
    assert sap.value_maps["payment_method"]["ZLC0"] == "LC"
    assert builtin_mapping("generic").fields["declaration_number"] == "export_declaration_no"


@pytest.mark.parametrize("name", ["nope", "../generic", "generic.toml", "GENERIC"])
def test_unknown_builtin_names(name: str) -> None:
    with pytest.raises(ConfigError, match="known: canonical, generic, sap_billing"):
        builtin_mapping(name)
