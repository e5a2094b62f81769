"""Customs mappings from TOML: the shipped ones, a user's file, and start-up errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.adapters.customs import (
    builtin_customs_mapping,
    customs_mapping_from_file,
    customs_mapping_names,
)
from gateway.adapters.erp import builtin_mapping_names
from gateway.errors import ConfigError
from gateway.ingest.customs_mapping import DECLARATION_FIELDS, DECLARATION_REQUIRED
from gateway.model import PaymentMethod


def test_shipped_customs_mappings_are_listed_apart_from_erp_mappings() -> None:
    assert customs_mapping_names() == ("customs_en", "customs_kr")
    assert not any(name.startswith("customs_") for name in builtin_mapping_names())


@pytest.mark.parametrize("name", ["customs_en", "customs_kr"])
def test_shipped_mappings_map_every_field(name: str) -> None:
    mapping = builtin_customs_mapping(name)
    assert mapping.name == name
    assert set(mapping.fields) == set(DECLARATION_FIELDS) >= DECLARATION_REQUIRED
    targets = set(mapping.value_maps["payment_method"].values())
    assert targets <= {m.value for m in PaymentMethod}
    assert set(mapping.value_maps["shipped"].values()) == {"Y", "N"}


def test_korean_mapping_knows_the_customs_payment_codes() -> None:
    codes = builtin_customs_mapping("customs_kr").value_maps["payment_method"]
    assert (codes["LS"], codes["LU"], codes["CD"], codes["TT"], codes["GN"]) == (
        "LC",
        "LC",
        "CAD",
        "TT",
        "OTHER",
    )
    loading = builtin_customs_mapping("customs_kr").fields["loading_date"]
    assert loading[:2] == ("선적일자", "출항일자")


@pytest.mark.parametrize("name", ["generic", "customs_xx", "../customs_kr", "CUSTOMS_KR"])
def test_unknown_builtin_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="no built-in customs mapping of that name"):
        builtin_customs_mapping(name)


def test_a_users_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "broker.toml"
    path.write_text(
        """
name = "broker"
date_format = ["%d/%m/%Y"]
[fields]
declaration_number = "Decl"
acceptance_date = "Accepted"
shipped = ["Shipped", "Loaded"]
buyer_name = "Buyer"
destination_country = "Dest"
hs_code = "HS"
currency = "Cur"
amount = "Amount"
""",
        encoding="utf-8",
    )
    mapping = customs_mapping_from_file(path)
    assert mapping.fields["shipped"] == ("Shipped", "Loaded")
    assert mapping.fields["amount"] == ("Amount",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name = ", "not valid TOML"),
        (b"\xff", "not UTF-8"),
        (b'name = "x"\n[fields]\ndeclaration_number = "D"', "is not mapped"),
        (b'name = "x"\nextra = 1', "extra: Extra inputs are not permitted"),
    ],
)
def test_bad_mapping_files_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as info:
        customs_mapping_from_file(path)
    assert str(path) in str(info.value)
    with pytest.raises(ConfigError, match="cannot be read"):
        customs_mapping_from_file(tmp_path / "missing.toml")
