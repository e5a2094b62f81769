"""Fixtures for the ingest tests: one mapping over short column names and a valid row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import pytest

from gateway.ingest import ColumnMapping, load_mapping

_COLUMNS = {
    "invoice_number": "INV",
    "invoice_date": "IDATE",
    "shipment_date": "SDATE",
    "declaration_number": "DECL",
    "buyer.name": "BNAME",
    "buyer.country": "BCTRY",
    "buyer.registration_id": "BREG",
    "buyer.address": "BADDR",
    "currency": "CUR",
    "amount": "AMT",
    "payment_method": "PAY",
    "due_date": "DUE",
    "tenor_days": "TENOR",
    "incoterms": "INCO",
    "hs_code": "HS",
    "description": "DESC",
}

_GOOD_ROW: dict[str, str | None] = {
    "INV": "EX-1",
    "IDATE": "2026-03-02",
    "SDATE": "2026-03-03",
    "DECL": "43017-26-0000001",
    "BNAME": "Hanoi Precision Parts JSC",
    "BCTRY": "vn",
    "BREG": "0101234567",
    "BADDR": "Lot B4, Thang Long IP",
    "CUR": "USD",
    "AMT": "12,500.50",
    "PAY": "T/T",
    "DUE": "2026-05-02",
    "TENOR": "",
    "INCO": "fob",
    "HS": "8542.31",
    "DESC": "Integrated circuits",
}


def _make_mapping(**overrides: Any) -> ColumnMapping:
    data: dict[str, Any] = {
        "name": "test",
        "fields": dict(_COLUMNS),
        "decimal": {"decimal_separator": ".", "thousands_separator": ","},
        "value_maps": {"payment_method": {"T/T": "TT", "L/C": "LC"}},
    }
    data.update(overrides)
    return load_mapping(data, origin="test.toml")


@pytest.fixture(scope="session")
def columns() -> Mapping[str, str]:
    """Canonical field -> source column of the test mapping (read-only)."""
    return MappingProxyType(_COLUMNS)


@pytest.fixture(scope="session")
def good_row() -> Mapping[str, str | None]:
    """A row that normalises cleanly under the test mapping (read-only)."""
    return MappingProxyType(_GOOD_ROW)


@pytest.fixture(scope="session")
def make_mapping() -> Callable[..., ColumnMapping]:
    """Build the test mapping with top-level keys overridden; origin is ``test.toml``."""
    return _make_mapping


@pytest.fixture
def mapping() -> ColumnMapping:
    return _make_mapping()


@pytest.fixture
def row() -> dict[str, str | None]:
    return dict(_GOOD_ROW)
