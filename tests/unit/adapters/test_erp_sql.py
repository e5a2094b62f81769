"""SqlSource over a real SQLite file: exact values, streaming, and URLs that never leak."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.adapters.erp import SqlSource, builtin_mapping, redact_url
from gateway.adapters.erp.sql_source import sql_text
from gateway.errors import ConfigError, SourceError
from gateway.ingest import FieldValueError, Quarantined
from gateway.model import ExportRecord

QUERY = "SELECT * FROM invoices WHERE currency = :currency ORDER BY invoice_no"
COLUMNS = (
    "invoice_no TEXT, invoice_date TEXT, ship_date TEXT, buyer_name TEXT, buyer_country TEXT, "
    "currency TEXT, amount TEXT, amount_minor INTEGER, price REAL, payment_terms TEXT, "
    "tenor_days INTEGER, hs_code TEXT, margin TEXT, buyer_reg_no BLOB"
)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "erp.sqlite"
    rows = [
        (
            "EX-1",
            "2026-03-02",
            "2026-03-03",
            "Acme",
            "US",
            "USD",
            "12500.50",
            1250050,
            0.1,
            "T/T",
            60,
            "8542.31",
            "31%",
            b"R1",
        ),
        (
            "EX-2",
            "2026-03-02",
            "2026-03-03",
            "코리아텍",
            "VN",
            "KRW",
            "1500000",
            1500000,
            2.5,
            "OA",
            90,
            "8471.30",
            "9%",
            None,
        ),
        (
            "EX-3",
            "2026-03-02",
            "2026-03-03",
            "Beta",
            "US",
            "USD",
            "-5.00",
            -500,
            1.0,
            "TT",
            30,
            "8471.30",
            "1%",
            None,
        ),
        (
            "EX-4",
            "2026-03-02",
            "2026-03-03",
            "Gamma",
            "US",
            "USD",
            "7.00",
            700,
            1.0,
            "TT",
            30,
            "8471.30",
            "1%",
            b"\xff\xfe",
        ),
    ]
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE invoices ({COLUMNS})")
        conn.executemany(f"INSERT INTO invoices VALUES ({','.join('?' * 14)})", rows)
    conn.close()
    return path


def source(database: Path, currency: str = "USD", **kwargs: object) -> SqlSource:
    return SqlSource(
        f"sqlite:///{database}",
        QUERY,
        builtin_mapping("generic"),
        params={"currency": currency},
        **kwargs,
    )


def test_rows_become_records_with_exact_amounts(database: Path) -> None:
    found = list(source(database, batch_size=2))
    first = found[0]
    assert isinstance(first, ExportRecord)
    assert first.amount == Decimal("12500.50") and first.amount_minor == 1_250_050
    assert first.tenor_days == 60 and first.buyer.registration_id == "R1"
    assert "31%" not in first.model_dump_json()  # an unmapped column never travels
    digest = hashlib.sha256(QUERY.encode()).hexdigest()[:12]
    assert first.source_ref == f"sql:{digest}:1"


def test_bad_rows_are_quarantined_with_result_row_numbers(database: Path) -> None:
    found = list(source(database, name="invoices"))
    assert [(q.source, q.row, q.field) for q in found if isinstance(q, Quarantined)] == [
        ("sql:invoices", 2, "amount"),
        ("sql:invoices", 3, "buyer_reg_no"),
    ]
    assert isinstance(found[2], Quarantined)
    assert found[2].reason == "column 'buyer_reg_no': binary value that is not UTF-8 text"


def test_params_are_bound(database: Path) -> None:
    (record,) = source(database, currency="KRW")
    assert isinstance(record, ExportRecord) and record.buyer.name == "코리아텍"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("x", "x"),
        (12, "12"),
        (Decimal("1E+3"), "1000"),
        (Decimal("12.50"), "12.50"),
        (0.1, "0.1"),  # repr, not the binary expansion 0.1000000000000000055511151231257827
        (1234567.89, "1234567.89"),
        (date(2026, 3, 1), "2026-03-01"),
        (datetime(2026, 3, 1, 23, 59), "2026-03-01"),
        (True, "true"),
        (b"abc", "abc"),
    ],
)
def test_value_conversion_never_goes_through_binary_float_text(
    value: object, expected: str | None
) -> None:
    assert sql_text(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e300, b"\xff"])
def test_value_conversion_refuses_unrepresentable(value: object) -> None:
    with pytest.raises(FieldValueError):
        sql_text(value)


def test_redaction_helper_masks_password() -> None:
    url = "postgresql+psycopg://erp_reader:s3cr3t-pw@db.example:5432/erp"
    assert redact_url(url) == "postgresql+psycopg://erp_reader:***@db.example:5432/erp"
    assert "s3cr3t" not in redact_url("mysql+pymysql://u:s3cr3t@host/db?charset=utf8mb4")
    assert redact_url("not a url with s3cr3t") == "<unparsable database URL>"


def test_unavailable_driver_error_hides_password() -> None:
    """No PostgreSQL driver is installed in the test environment, so create_engine fails for
    real; the SourceError must name the database without the password."""
    src = SqlSource(
        "postgresql+psycopg://u:s3cr3t@127.0.0.1:1/db", "SELECT 1", builtin_mapping("generic")
    )
    assert "s3cr3t" not in repr(src)
    with pytest.raises(SourceError) as info:
        list(src)
    assert "s3cr3t" not in info.value.diagnostics()
    assert "postgresql+psycopg://u:***@127.0.0.1:1/db" in str(info.value)


def test_connection_and_query_failures_are_source_errors(tmp_path: Path, database: Path) -> None:
    missing = SqlSource(
        f"sqlite:///{tmp_path}/no/such/dir/x.sqlite", "SELECT 1", builtin_mapping("generic")
    )
    with pytest.raises(SourceError, match="failed"):
        list(missing)
    bad_query = SqlSource(
        f"sqlite:///{database}", "SELECT * FROM nowhere", builtin_mapping("generic")
    )
    with pytest.raises(SourceError, match=r"query on sqlite:///.*failed \(OperationalError\)"):
        list(bad_query)


def test_sql_needs_a_dot_decimal_iso_date_mapping() -> None:
    with pytest.raises(ConfigError, match="sap_billing"):
        SqlSource("sqlite://", "SELECT 1", builtin_mapping("sap_billing"))
