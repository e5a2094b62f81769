"""CsvSource streams: memory stays flat however large the export is."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from gateway.adapters.erp import CsvSource, builtin_mapping
from gateway.model import ExportRecord

ROWS = 60_000
HEADER = (
    "invoice_no,invoice_date,ship_date,buyer_name,buyer_country,currency,amount,payment_terms,"
    "due_date,hs_code,buyer_address\n"
)


def write_export(path: Path) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(ROWS):
            out.write(
                f"INV-{i:07d},2026-01-05,2026-01-06,Buyer {i % 97} Trading Co,US,USD,"
                f'"1,234.{i % 100:02d}",T/T,2026-03-01,8471.30,"Street {i}, Some City"\n'
            )
    return path.stat().st_size


@pytest.mark.slow
def test_60k_rows_stream_in_bounded_memory(tmp_path: Path) -> None:
    size = write_export(tmp_path / "big.csv")
    assert size > 6_000_000
    source = CsvSource(tmp_path / "big.csv", builtin_mapping("generic"))
    count = 0
    last = None
    tracemalloc.start()
    try:
        for item in source:
            assert isinstance(item, ExportRecord)
            count += 1
            last = item
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == ROWS
    assert last is not None and last.source_ref == f"big.csv:{ROWS + 1}"
    assert peak < 2_000_000, f"peak {peak} bytes while streaming a {size}-byte file"
