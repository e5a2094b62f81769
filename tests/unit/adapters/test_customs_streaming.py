"""Customs sources stream: memory stays flat however large the download is."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterable
from pathlib import Path

import pytest

from gateway.adapters.customs import CustomsCsvSource, CustomsJsonSource, builtin_customs_mapping
from gateway.ingest.customs import DeclarationItem
from gateway.model import ExportDeclaration

ROWS = 50_000
KR_HEADER = (
    "신고번호,수리일자,선적일자,선적여부,통관고유부호,해외거래처상호,해외거래처부호,목적국,"
    "세번부호,결제방법,결제통화,결제금액,FOB원화,송품장번호,B/L번호\r\n"
)


def write_csv(path: Path) -> int:
    with path.open("w", encoding="cp949", newline="") as out:
        out.write(KR_HEADER)
        for i in range(ROWS):
            out.write(
                f"43017-26-{i:07d},2026-02-03,2026-02-04,Y,가온전자-1-19-1-01-3,"
                f"구매자 {i % 97} 무역,VN{i % 97:07d},VN,8542.31-1000,TT,USD,"
                f'"1,234.{i % 100:02d}","1,792,{i % 1000:03d}",EX26-{i:06d},HDMU{i:09d}\r\n'
            )
    return path.stat().st_size


def write_json(path: Path) -> int:
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for i in range(ROWS):
            comma = "," if i else ""
            out.write(
                f'{comma}{{"declaration_number": "4301726{i:07d}", "acceptance_date": '
                f'"2026-02-03", "shipped": true, "loading_date": "2026-02-04", '
                f'"buyer_name": "Buyer {i % 97} Trading", "destination_country": "US", '
                f'"hs_code": "8471300000", "currency": "USD", "amount": 1234.{i % 100:02d}}}\n'
            )
        out.write("]\n")
    return path.stat().st_size


def drain(items: Iterable[DeclarationItem]) -> tuple[int, DeclarationItem | None, int]:
    count, last = 0, None
    tracemalloc.start()
    try:
        for item in items:
            assert isinstance(item, ExportDeclaration)
            count, last = count + 1, item
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, last, peak


@pytest.mark.slow
def test_50k_row_csv_streams_in_bounded_memory(tmp_path: Path) -> None:
    size = write_csv(tmp_path / "big.csv")
    assert size > 7_000_000
    mapping = builtin_customs_mapping("customs_kr")
    count, last, peak = drain(CustomsCsvSource(tmp_path / "big.csv", mapping, encoding="cp949"))
    assert count == ROWS
    assert isinstance(last, ExportDeclaration) and last.source_ref == f"big.csv:{ROWS + 1}"
    assert peak < 2_000_000, f"peak {peak} bytes while streaming a {size}-byte file"


@pytest.mark.slow
def test_50k_element_json_array_streams_in_bounded_memory(tmp_path: Path) -> None:
    size = write_json(tmp_path / "big.json")
    assert size > 10_000_000
    count, last, peak = drain(CustomsJsonSource(tmp_path / "big.json"))
    assert count == ROWS
    assert isinstance(last, ExportDeclaration) and last.source_ref == f"big.json:{ROWS + 1}"
    assert peak < 2_000_000, f"peak {peak} bytes while streaming a {size}-byte file"
