"""ReceivablesCsvSource on real files: encodings, quarantine, header checks, mapping files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway.adapters.erp import builtin_mapping_names
from gateway.adapters.erp.receivables import (
    ReceivablesCsvSource,
    builtin_receivables_mapping,
    receivables_mapping_from_file,
)
from gateway.errors import ConfigError, SourceError
from gateway.guard import Receivable, buyer_key
from gateway.ingest import Quarantined
from gateway.limits import Limits

MAPPING = builtin_receivables_mapping()
HEADER = "invoice_no,buyer_name,buyer_code,currency,outstanding,due_date,paid_date\r\n"
GOOD = "R-1,한빛전자 아메리카 Inc.,,USD,\"1,250.50\",2026-01-31,\r\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "ar.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read(path: Path, encoding: str = "auto", **kwargs: object) -> list[Receivable | Quarantined]:
    return list(ReceivablesCsvSource(path, MAPPING, encoding, **kwargs))  # type: ignore[arg-type]


def test_reads_receivables(tmp_path: Path) -> None:
    settled = "R-2,Pacific Rim Traders LLC,US-7731020,USD,0,2026-01-15,2026-01-20\r\n"
    first, second = read(write(tmp_path, HEADER + GOOD + settled))
    assert isinstance(first, Receivable) and isinstance(second, Receivable)
    assert first.buyer_key == buyer_key("한빛전자 아메리카")
    assert (first.outstanding_minor, first.due_date) == (125_050, date(2026, 1, 31))
    assert first.paid_on is None
    assert first.source_ref == "ar.csv:2"
    assert (second.paid_on, second.outstanding_minor) == (date(2026, 1, 20), 0)


def test_cp949_needs_cp949(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD.replace("한빛전자", "똠양전자"), encoding="cp949")
    (item,) = read(path, encoding="cp949")
    assert isinstance(item, Receivable) and item.buyer_key == buyer_key("똠양전자 아메리카")
    (bad,) = read(path)
    assert isinstance(bad, Quarantined) and bad.field == "<row>"
    assert bad.reason.startswith("invalid utf-8 byte sequence at byte 4 of the row")
    assert 'set encoding "cp949"' in bad.reason
    assert bad.raw == {}


def test_bad_rows_are_quarantined_and_the_rest_continue(tmp_path: Path) -> None:
    rows = [
        GOOD,
        "R-3,Secret Buyer,,USD,12x,2026-01-31,\r\n",  # line 3: bad amount
        "R-4,Secret Buyer,,USD,5\r\n",  # line 4: too few columns
        'R-5,"Secret\nBuyer",,USD,1,2026-01-31,\r\n',  # lines 5-6: one quoted row
        "R-6,Secret Buyer,,USD,0,2026-01-31,\r\n",  # line 7: no paid date
        GOOD.replace("R-1", "R-7"),  # line 8
    ]
    items = read(write(tmp_path, HEADER + "".join(rows)))
    summary = [
        (i.row, i.field) if isinstance(i, Quarantined) else i.invoice_number for i in items
    ]
    assert summary == ["R-1", (3, "outstanding"), (4, "<row>"), "R-5", (7, "paid_on"), "R-7"]
    assert [i.source_ref for i in items if isinstance(i, Receivable)] == [
        "ar.csv:2", "ar.csv:5", "ar.csv:8"
    ]
    for item in items:
        if isinstance(item, Quarantined):
            assert "Secret" not in item.reason and "12x" not in item.reason
            assert "Secret" not in repr(item)


def test_overlong_rows_are_quarantined(tmp_path: Path) -> None:
    long_name = "L" * 2000
    text = HEADER + GOOD.replace("한빛전자", long_name) + GOOD
    items = read(write(tmp_path, text), limits=Limits(max_row_bytes=1024))
    assert isinstance(items[0], Quarantined) and items[0].reason == "row longer than 1024 bytes"
    assert isinstance(items[1], Receivable) and items[1].source_ref == "ar.csv:3"


def test_semicolon_files_and_blank_lines(tmp_path: Path) -> None:
    text = (HEADER + "\r\n" + GOOD.replace('"1,250.50"', "1250.50")).replace(",", ";")
    (item,) = read(write(tmp_path, text))
    assert isinstance(item, Receivable) and item.source_ref == "ar.csv:3"


@pytest.mark.parametrize(
    ("text", "encoding", "message"),
    [
        ("", "utf-8", "empty file"),
        (
            "invoice_no,buyer_name,currency\r\n",
            "utf-8",
            "lacks required column(s) 'due_date', 'outstanding'",
        ),
        (HEADER.replace("buyer_code", "currency"), "utf-8", "repeats column 'currency'"),
        ("\ufeff" + HEADER, "utf-8", None),
    ],
)
def test_header_problems(tmp_path: Path, text: str, encoding: str, message: str | None) -> None:
    path = write(tmp_path, text, encoding)
    if message is None:
        assert read(path) == []
        with pytest.raises(SourceError, match="byte order mark"):
            read(path, encoding="cp949")
        return
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(path)


def test_missing_file_and_bad_options(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot be opened"):
        read(tmp_path / "absent.csv")
    with pytest.raises(ConfigError, match="unsupported encoding"):
        ReceivablesCsvSource(tmp_path / "x.csv", MAPPING, "latin-1")
    with pytest.raises(ConfigError, match="delimiter"):
        ReceivablesCsvSource(tmp_path / "x.csv", MAPPING, delimiter='"')


def test_mapping_files(tmp_path: Path) -> None:
    good = tmp_path / "ar.toml"
    good.write_text(
        'name = "sap_open_items"\n[fields]\ninvoice_number = "BELNR"\ncurrency = "WAERS"\n'
        'outstanding = "DMBTR"\ndue_date = "NETDT"\npaid_on = "AUGDT"\n'
        '[fields.buyer]\nname = "NAME1"\n',
        encoding="utf-8",
    )
    mapping = receivables_mapping_from_file(good)
    assert mapping.fields["buyer.name"] == "NAME1"
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[fields\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        receivables_mapping_from_file(bad)
    with pytest.raises(ConfigError, match="cannot be read"):
        receivables_mapping_from_file(tmp_path / "absent.toml")


def test_the_receivables_mapping_is_not_an_erp_record_mapping() -> None:
    assert "receivables" not in builtin_mapping_names()
    assert MAPPING.name == "receivables"
