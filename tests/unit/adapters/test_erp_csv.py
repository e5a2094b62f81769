"""CsvSource over real files: encodings, strict decoding, quoting, row numbers, bad rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.adapters.erp import CsvSource, builtin_mapping
from gateway.errors import ConfigError, SourceError
from gateway.ingest import Quarantined, SourceItem
from gateway.limits import Limits
from gateway.model import ExportRecord

HEADER = (
    "invoice_no,invoice_date,ship_date,buyer_name,buyer_country,currency,amount,payment_terms,"
    "due_date,hs_code,buyer_address"
)
WIDTH = HEADER.count(",") + 1


def line(
    n: int, name: str = "Acme Trading", address: str = "Main St 1", amount: str = "100.00"
) -> str:
    return (
        f'EX-{n},2026-01-05,2026-01-06,"{name}",US,USD,"{amount}",T/T,2026-03-01,8471.30,'
        f'"{address}"'
    )


def write(tmp_path: Path, data: bytes, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def items(path: Path, **kwargs: Any) -> list[SourceItem]:
    return list(CsvSource(path, builtin_mapping("generic"), **kwargs))


def records(found: list[SourceItem]) -> list[ExportRecord]:
    return [i for i in found if isinstance(i, ExportRecord)]


def bad(found: list[SourceItem]) -> list[Quarantined]:
    return [i for i in found if isinstance(i, Quarantined)]


def row_of(item: SourceItem) -> int:
    """The line number of any item (records carry it in ``source_ref``)."""
    if isinstance(item, Quarantined):
        return item.row
    return int(item.source_ref.rsplit(":", 1)[1])


def assert_no_replacement_char(found: list[SourceItem]) -> None:
    for item in found:
        text = (
            item.model_dump_json()
            if isinstance(item, ExportRecord)
            else repr((item.reason, item.raw))
        )
        assert "\ufffd" not in text and "\\ufffd" not in text


def text_file(*rows: str) -> str:
    return "\r\n".join([HEADER, *rows]) + "\r\n"


KOREAN = "코리아텍 베트남 유한회사"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (text_file(line(1, KOREAN)).encode("utf-8"), "auto"),
        (b"\xef\xbb\xbf" + text_file(line(1, KOREAN)).encode("utf-8"), "auto"),
        (b"\xef\xbb\xbf" + text_file(line(1, KOREAN)).encode("utf-8"), "utf-8-sig"),
        (b"\xef\xbb\xbf" + text_file(line(1, KOREAN)).encode("utf-8"), "utf-8"),
        (text_file(line(1, KOREAN)).encode("utf-8"), "utf-8-sig"),
        (text_file(line(1, KOREAN)).encode("cp949"), "cp949"),
        (text_file(line(1, KOREAN)).encode("euc_kr"), "euc-kr"),
    ],
)
def test_every_encoding_reads_korean_names(tmp_path: Path, data: bytes, encoding: str) -> None:
    found = items(write(tmp_path, data), encoding=encoding)
    assert [r.buyer.name for r in records(found)] == [KOREAN]


def test_cp949_only_syllable_needs_cp949_not_euc_kr(tmp_path: Path) -> None:
    path = write(tmp_path, text_file(line(1, "똠양꿍 푸드"), line(2, KOREAN)).encode("cp949"))
    assert [r.buyer.name for r in records(items(path, encoding="cp949"))] == ["똠양꿍 푸드", KOREAN]
    found = items(path, encoding="euc-kr")
    assert [(q.row, q.field) for q in bad(found)] == [(2, "<row>")]
    assert bad(found)[0].reason.startswith("invalid euc-kr byte sequence at byte ")
    assert [r.buyer.name for r in records(found)] == [KOREAN]
    assert_no_replacement_char(found)


def test_auto_never_switches_to_cp949(tmp_path: Path) -> None:
    """A CP949 file read as 'auto' quarantines its Korean rows and says how to fix it."""
    path = write(tmp_path, text_file(line(1, KOREAN), line(2), line(3, "한빛전자")).encode("cp949"))
    found = items(path)
    assert [(row_of(i), type(i).__name__) for i in found] == [
        (2, "Quarantined"),
        (3, "ExportRecord"),
        (4, "Quarantined"),
    ]
    first = bad(found)[0]
    at = len(line(1, KOREAN).split(KOREAN)[0])  # the ASCII before the first Korean byte
    assert first.reason.startswith(f"invalid utf-8 byte sequence at byte {at} of the row")
    assert 'set encoding "cp949"' in first.reason
    assert first.raw == {}
    assert_no_replacement_char(found)


def test_invalid_byte_quarantines_only_its_row_with_offset(tmp_path: Path) -> None:
    data = text_file(line(1), "@@BAD@@", line(3)).encode("cp949")
    broken = line(2, "Korea Tech").encode("cp949").replace(b"Tech", b"Te\x80ch")
    path = write(tmp_path, data.replace(b"@@BAD@@", broken))
    found = items(path, encoding="cp949")
    assert [row_of(i) for i in found] == [2, 3, 4]
    (q,) = bad(found)
    assert (q.row, q.field) == (3, "<row>")
    at = broken.index(b"\x80")
    assert q.reason == f"invalid cp949 byte sequence at byte {at} of the row"
    assert_no_replacement_char(found)


def test_multiline_quoted_fields_keep_physical_line_numbers(tmp_path: Path) -> None:
    rows = [
        line(1, address="Industriestraße 12\r\n70565 Stuttgart"),
        line(2),
        line(3, address="a\nb\nc"),
        line(4, amount="abc"),
    ]
    found = items(write(tmp_path, text_file(*rows).encode("utf-8")))
    assert [row_of(i) for i in found] == [2, 4, 5, 8]
    assert records(found)[0].buyer.address == "Industriestraße 12\r\n70565 Stuttgart"
    assert bad(found)[0].reason == "amount (column 'amount'): not a number"


def test_decode_error_inside_multiline_record(tmp_path: Path) -> None:
    rows = [line(1), line(2, address="first\nsecond @@ line\nthird"), line(3)]
    data = text_file(*rows).encode("cp949").replace(b"@@", b"\xff\xff")
    found = items(write(tmp_path, data), encoding="cp949")
    assert [(row_of(i), type(i).__name__) for i in found] == [
        (2, "ExportRecord"),
        (3, "Quarantined"),
        (6, "ExportRecord"),
    ]
    offset = line(2, address="first\nsecond @@ line\nthird").encode().index(b"@@")
    assert bad(found)[0].reason == f"invalid cp949 byte sequence at byte {offset} of the row"


def test_unknown_columns_are_dropped(tmp_path: Path) -> None:
    data = HEADER + ",cost_price\r\n" + line(1) + ",42.17\r\n" + line(2, amount="x") + ",43.99\r\n"
    found = items(write(tmp_path, data.encode()))
    assert "42.17" not in records(found)[0].model_dump_json()
    assert "cost_price" not in bad(found)[0].raw
    assert bad(found)[0].raw["amount"] == "x"


def test_wrong_column_count_is_quarantined(tmp_path: Path) -> None:
    found = items(
        write(tmp_path, text_file(line(1) + ",extra", line(2), "EX-3,2026-01-05").encode())
    )
    assert [(q.row, q.reason) for q in bad(found)] == [
        (2, f"expected {WIDTH} columns, found {WIDTH + 1}"),
        (4, f"expected {WIDTH} columns, found 2"),
    ]
    assert len(records(found)) == 1


def test_malformed_quoting_is_quarantined(tmp_path: Path) -> None:
    found = items(write(tmp_path, text_file(line(1), 'EX-2,"2026"-01-05,x', line(3)).encode()))
    assert [(row_of(i), type(i).__name__) for i in found] == [
        (2, "ExportRecord"),
        (3, "Quarantined"),
        (4, "ExportRecord"),
    ]
    assert bad(found)[0].reason.startswith("malformed CSV: ")


def test_overlong_rows_are_quarantined_and_skipped(tmp_path: Path) -> None:
    limits = Limits(max_row_bytes=1024)
    rows = [
        line(1),
        line(2, address="x" * 3000),
        line(3),
        line(4, address='q""' + "\n".join(["y" * 400] * 4)),
        line(5),
    ]
    found = items(write(tmp_path, text_file(*rows).encode()), limits=limits)
    assert [(row_of(i), type(i).__name__) for i in found] == [
        (2, "ExportRecord"),
        (3, "Quarantined"),
        (4, "ExportRecord"),
        (5, "Quarantined"),
        (9, "ExportRecord"),
    ]
    assert bad(found)[0].reason == "row longer than 1024 bytes"


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    found = items(write(tmp_path, text_file(line(1), "", line(2), "").encode()))
    assert [row_of(i) for i in found] == [2, 4]


@pytest.mark.parametrize(
    ("delimiter", "explicit"), [(";", False), ("\t", False), ("|", True), (";", True)]
)
def test_delimiters(tmp_path: Path, delimiter: str, explicit: bool) -> None:
    text = (
        text_file(line(1, name="Acme, Inc."))
        .replace(",", delimiter)
        .replace(f"Acme{delimiter} Inc.", "Acme, Inc.")
    )
    text = text.replace('"100.00"', "100.00")
    kwargs = {"delimiter": delimiter} if explicit else {}
    assert [r.buyer.name for r in records(items(write(tmp_path, text.encode()), **kwargs))] == [
        "Acme, Inc."
    ]


def test_header_with_duplicate_column(tmp_path: Path) -> None:
    path = write(tmp_path, (HEADER + ",amount\r\n").encode())
    with pytest.raises(SourceError, match=r"export\.csv: header repeats column 'amount'"):
        items(path)


def test_header_missing_required_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEADER.replace("currency,", "").replace(",hs_code", "").encode() + b"\r\n"
    )
    with pytest.raises(
        SourceError, match=r"export\.csv: header lacks required column\(s\) 'currency', 'hs_code'"
    ):
        items(path)


def test_optional_mapped_columns_may_be_absent(tmp_path: Path) -> None:
    found = items(write(tmp_path, text_file(line(1)).encode()))
    assert records(found)[0].declaration_number is None


@pytest.mark.parametrize(
    ("data", "encoding", "message"),
    [
        (b"", "auto", "empty file"),
        (b"\xff\xfei\x00n\x00", "auto", "UTF-16"),
        (b"\xef\xbb\xbf" + HEADER.encode(), "cp949", "byte order mark"),
        (
            HEADER.replace("buyer_name", "구매자").encode("cp949") + b"\r\n",
            "auto",
            "header is not valid utf-8",
        ),
    ],
)
def test_unreadable_files_are_source_errors(
    tmp_path: Path, data: bytes, encoding: str, message: str
) -> None:
    with pytest.raises(SourceError, match=message) as info:
        items(write(tmp_path, data), encoding=encoding)
    assert "export.csv" in str(info.value)


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope\.csv: cannot be opened"):
        items(tmp_path / "nope.csv")


def test_bad_settings_are_config_errors(tmp_path: Path) -> None:
    mapping = builtin_mapping("generic")
    with pytest.raises(ConfigError, match="unsupported encoding"):
        CsvSource(tmp_path / "x.csv", mapping, encoding="latin-1")
    with pytest.raises(ConfigError, match="delimiter"):
        CsvSource(tmp_path / "x.csv", mapping, delimiter='"')


def test_source_is_reiterable_and_names_the_file(tmp_path: Path) -> None:
    source = CsvSource(
        write(tmp_path, text_file(line(1), line(2)).encode()), builtin_mapping("generic")
    )
    first, second = list(source), list(source)
    assert first == second and len(first) == 2
    assert [r.source_ref for r in records(first)] == ["export.csv:2", "export.csv:3"]
