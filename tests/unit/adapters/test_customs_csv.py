"""CustomsCsvSource over real files: Korean and English headers, encodings, quarantine reasons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.adapters.customs import CustomsCsvSource, builtin_customs_mapping
from gateway.errors import ConfigError, SourceError
from gateway.ingest import Quarantined
from gateway.ingest.customs import DeclarationItem
from gateway.limits import Limits
from gateway.model import ExportDeclaration, PaymentMethod

KR_HEADER = (
    "신고번호,수리일자,선적일자,선적여부,통관고유부호,해외거래처상호,해외거래처부호,목적국,"
    "세번부호,결제방법,결제통화,결제금액,FOB원화,송품장번호,B/L번호"
)
EN_HEADER = (
    "declaration_no,acceptance_date,loading_date,shipped,exporter_id,buyer_name,buyer_code,"
    "destination_country,hs_code,payment_method,currency,amount,fob_krw,invoice_no,bl_no"
)


def kr_line(n: int, **changes: str) -> str:
    values = {
        "number": f"43017-26-{n:07d}",
        "accepted": "2026-02-03",
        "loaded": "2026-02-04",
        "shipped": "Y",
        "buyer": "코리아텍 베트남 유한회사",
        "country": "VN",
        "payment": "LS",
        "currency": "USD",
        "amount": '"12,500.50"',
    }
    values.update(changes)
    return (
        f"{values['number']},{values['accepted']},{values['loaded']},{values['shipped']},"
        f"가온전자-1-19-1-01-3,{values['buyer']},VN0942272,{values['country']},8542.31-1000,"
        f"{values['payment']},{values['currency']},{values['amount']},\"18,154,151\","
        f"EX26-{n:05d},HDMU{n:09d}"
    )


def write(tmp_path: Path, lines: list[str], encoding: str = "cp949", bom: bool = False) -> Path:
    path = tmp_path / "declarations.csv"
    data = "\r\n".join(lines).encode(encoding) + b"\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def read(path: Path, mapping: str = "customs_kr", **kwargs: Any) -> list[DeclarationItem]:
    return list(CustomsCsvSource(path, builtin_customs_mapping(mapping), **kwargs))


def test_cp949_download_with_korean_headers(tmp_path: Path) -> None:
    path = write(tmp_path, [KR_HEADER, kr_line(1), kr_line(2, shipped="N", loaded="")])
    first, second = read(path, encoding="cp949")
    assert isinstance(first, ExportDeclaration) and isinstance(second, ExportDeclaration)
    assert first.buyer_name == "코리아텍 베트남 유한회사"
    assert first.source_ref == "declarations.csv:2"
    assert first.declaration_number == "43017260000001" and first.hs_code == "8542311000"
    assert first.payment_method is PaymentMethod.LC and first.amount == Decimal("12500.50")
    assert first.fob_krw == 18_154_151 and first.loading_date == date(2026, 2, 4)
    assert second.shipped is False and second.loading_date is None


def test_a_cp949_file_read_as_utf8_is_quarantined_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, [KR_HEADER.replace("신고번호", "declaration_no"), kr_line(1)])
    with pytest.raises(SourceError, match="header is not valid utf-8"):
        read(path)
    english_header = EN_HEADER
    path = write(tmp_path, [english_header, kr_line(1)], encoding="cp949")
    (item,) = read(path, "customs_en")
    assert isinstance(item, Quarantined) and item.field == "<row>" and item.raw == {}
    assert item.reason.startswith("invalid utf-8 byte sequence at byte ")
    assert item.reason.endswith('set encoding "cp949" for a Korean export)')


def test_utf8_with_bom_and_euc_kr_limits(tmp_path: Path) -> None:
    path = write(tmp_path, [KR_HEADER, kr_line(1, buyer="똠양꿍 푸드")], encoding="utf-8", bom=True)
    (item,) = read(path)
    assert isinstance(item, ExportDeclaration) and item.buyer_name == "똠양꿍 푸드"
    path = write(tmp_path, [KR_HEADER, kr_line(1, buyer="똠양꿍 푸드"), kr_line(2)])
    first, second = read(path, encoding="euc-kr")  # 똠 is CP949, not EUC-KR
    assert isinstance(first, Quarantined) and first.reason.startswith("invalid euc-kr byte")
    assert isinstance(second, ExportDeclaration)
    with pytest.raises(SourceError, match="byte order mark, not cp949"):
        read(write(tmp_path, [KR_HEADER, kr_line(1)], encoding="utf-8", bom=True), encoding="cp949")


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"number": "43017-26"}, "declaration_number", "not a declaration number"),
        ({"accepted": ""}, "acceptance_date", "acceptance_date (column '수리일자'): missing"),
        ({"country": "Vietnam"}, "destination_country", "not an ISO 3166-1 alpha-2 country"),
        ({"currency": "US$"}, "currency", "not an active ISO 4217 currency code"),
        ({"currency": "KRW"}, "amount", "more than 0 decimal places for KRW"),
        ({"loaded": "2026-02-01"}, "loading_date", "before acceptance_date (column '수리일자')"),
        ({"shipped": "O"}, "shipped", "not a shipped flag"),
        ({"payment": "QQ"}, "payment_method", "not a payment method code"),
    ],
)
def test_bad_rows_are_quarantined_with_file_row_field_reason(
    tmp_path: Path, changes: dict[str, str], field: str, reason: str
) -> None:
    path = write(tmp_path, [KR_HEADER, kr_line(1), kr_line(2, **changes), kr_line(3)])
    first, bad, third = read(path, encoding="cp949")
    assert isinstance(first, ExportDeclaration) and isinstance(third, ExportDeclaration)
    assert isinstance(bad, Quarantined)
    assert (bad.source, bad.row, bad.field) == ("declarations.csv", 3, field)
    assert reason in bad.reason
    assert "12,500.50" not in bad.reason
    for value in changes.values():
        if len(value) > 2 and field != "amount":  # KRW is named as the amount's currency
            assert value not in bad.reason
    assert bad.raw["신고번호"] == changes.get("number", "43017-26-0000002")


def test_ragged_and_over_long_rows_are_quarantined_without_raw(tmp_path: Path) -> None:
    long_name = "가" * 2000
    lines = [KR_HEADER, kr_line(1) + ",extra", kr_line(2, buyer=long_name), kr_line(3)]
    path = write(tmp_path, lines)
    ragged, long, good = read(path, encoding="cp949", limits=Limits(max_row_bytes=2048))
    assert isinstance(ragged, Quarantined) and ragged.reason == "expected 15 columns, found 16"
    assert isinstance(long, Quarantined) and long.reason == "row longer than 2048 bytes"
    assert ragged.raw == {} and long.raw == {} and isinstance(good, ExportDeclaration)
    assert (ragged.row, long.row, good.source_ref) == (2, 3, "declarations.csv:4")


def test_english_headers_alternatives_and_word_flags(tmp_path: Path) -> None:
    header = EN_HEADER.replace("loading_date", "departure_date").replace("amount", "payment_amount")
    line = (
        "43017268362112,2026-02-03,2026-02-04,yes,,Hanoi Precision Parts JSC,,VN,8542311000,"
        "T/T,USD,$48260.00,,EX26-00041,"
    )
    (item,) = read(write(tmp_path, [header, line], encoding="utf-8"), "customs_en")
    assert isinstance(item, ExportDeclaration) and item.shipped is True
    assert item.payment_method is PaymentMethod.TT and item.amount == Decimal("48260.00")
    assert item.loading_date == date(2026, 2, 4) and item.exporter_id is None


def test_header_problems_are_source_errors(tmp_path: Path) -> None:
    no_date = KR_HEADER.replace("수리일자", "신고일자")
    with pytest.raises(SourceError, match=r"lacks a column for acceptance_date \('수리일자' or"):
        read(write(tmp_path, [no_date, kr_line(1)]), encoding="cp949")
    twice = KR_HEADER + ",목적국"
    with pytest.raises(SourceError, match="header repeats column '목적국'"):
        read(write(tmp_path, [twice]), encoding="cp949")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(SourceError, match="empty file"):
        read(tmp_path / "empty.csv")
    with pytest.raises(SourceError, match="cannot be opened"):
        read(tmp_path / "missing.csv")


def test_semicolon_delimiter_is_sniffed(tmp_path: Path) -> None:
    header = EN_HEADER.replace(",", ";")
    line = "43017268362112;2026-02-03;;N;;ACME;;US;8471300000;TT;USD;10.00;;;"
    (item,) = read(write(tmp_path, [header, line], encoding="utf-8"), "customs_en")
    assert isinstance(item, ExportDeclaration) and item.amount == Decimal("10.00")


def test_bad_options_are_config_errors(tmp_path: Path) -> None:
    mapping = builtin_customs_mapping("customs_kr")
    with pytest.raises(ConfigError, match="unsupported encoding"):
        CustomsCsvSource(tmp_path / "x.csv", mapping, encoding="latin-1")
    with pytest.raises(ConfigError, match="delimiter"):
        CustomsCsvSource(tmp_path / "x.csv", mapping, delimiter='"')


def test_malformed_quoting_quarantines_the_row_and_reading_goes_on(tmp_path: Path) -> None:
    broken = kr_line(2).replace("코리아텍", '"코리아텍"x', 1)
    first, bad, last = read(write(tmp_path, [KR_HEADER, kr_line(1), broken, kr_line(3)]),
                            encoding="cp949")  # fmt: skip
    assert isinstance(first, ExportDeclaration) and isinstance(last, ExportDeclaration)
    assert isinstance(bad, Quarantined) and bad.row == 3 and bad.field == "<row>"
    assert bad.reason.startswith("malformed CSV: ") and "코리아텍" not in bad.reason
