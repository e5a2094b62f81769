"""Arbitrary bytes in a CSV export: the reader never fails with anything but a SourceError.

Attack: a crafted or corrupted export (stray quotes, NUL bytes, invalid UTF-8 or CP949, a UTF-16
byte order mark, endless lines) that makes the reader raise an unexpected exception, so the sync
crashes instead of quarantining the bad rows and carrying on. Property (hypothesis), over the ERP
and customs CSV sources in every supported encoding: reading either yields records and
quarantined rows, or stops with :class:`~gateway.errors.SourceError` naming the file; a record
never holds U+FFFD, a surrogate or a text longer than ``max_field_chars``, and a quarantined
row's stored columns never hold U+FFFD or a surrogate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.adapters.customs import CustomsCsvSource, builtin_customs_mapping
from gateway.adapters.erp import CsvSource, builtin_mapping
from gateway.errors import SourceError
from gateway.ingest import Quarantined
from gateway.limits import Limits
from gateway.model import ExportDeclaration, ExportRecord

LIMITS = Limits(max_row_bytes=1024, max_field_chars=24)
ERP_HEADER = (
    b"invoice_no,invoice_date,ship_date,export_declaration_no,buyer_name,buyer_country,"
    b"buyer_reg_no,buyer_code,buyer_address,currency,amount,payment_terms,due_date,tenor_days,"
    b"incoterms,hs_code,description,unit_price,quantity\n"
)
ERP_ROW = (
    b"EX26-1,2026-01-16,2026-01-18,43017-26-2015037,Tokyo Denki,JP,T101,JP-22,Minato,JPY,"
    b"10565319,D/P,2026-05-18,,FCA,8504.40,Static converters,42431,249\n"
)
CUSTOMS_HEADER = (
    b"declaration_no,acceptance_date,loading_date,shipped,exporter_id,buyer_name,buyer_code,"
    b"destination_country,hs_code,payment_method,currency,amount,fob_krw,invoice_no,bl_no\n"
)
CUSTOMS_ROW = (
    b"43017261984458,2026-01-08,2026-01-08,Y,EXP-1,Hanbit America INC.,US345,US,8708299000,DP,"
    b"USD,59958.36,87077526,EX26-00036,MAEU403247974\n"
)
FRAGMENTS = [
    b",",
    b";",
    b"\t",
    b"|",
    b'"',
    b'""',
    b"\n",
    b"\r\n",
    b"\r",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xef\xbf\xbd",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xed\xa0\x80",
    b"\xb0\xa1",
    b"\x81\x41",
    b"=cmd|",
    b"-1",
    "한빛".encode(),
    "한빛".encode("cp949"),
    b"x" * 700,
    b"2026-02-30",
    b"1e309",
    b"NaN",
    ERP_ROW,
    CUSTOMS_ROW,
]


def _bodies(header: bytes) -> st.SearchStrategy[bytes]:
    pieces = st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=40), max_size=30)
    return st.one_of(
        st.binary(max_size=400),
        st.builds(lambda b: header + b, st.binary(max_size=400)),
        st.builds(lambda p: header + b"".join(p), pieces),
        st.builds(lambda p: b"".join(p), pieces),
    )


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def _check_value_types(value: Any) -> None:
    assert not isinstance(value, float)
    if isinstance(value, dict):
        for item in value.values():
            _check_value_types(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_value_types(item)
    else:
        assert value is None or isinstance(value, str | int | Decimal | date)


def _clean(text: str) -> bool:
    return "\ufffd" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def _drain(items: Iterable[object], kind: type) -> None:
    try:
        for item in items:
            if isinstance(item, Quarantined):
                assert all(_clean(v) for v in item.raw.values() if v is not None)
                assert _clean(item.reason)
                continue
            assert isinstance(item, kind)
            dumped = item.model_dump()  # type: ignore[attr-defined]
            _check_value_types(dumped)
            for text in _texts(dumped):
                assert _clean(text) and len(text) <= LIMITS.max_field_chars
    except SourceError as exc:
        assert "arbitrary.csv" in str(exc)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("arbitrary") / "arbitrary.csv"


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=_bodies(ERP_HEADER), encoding=st.sampled_from(["auto", "utf-8", "cp949", "euc-kr"]))
def test_erp_csv_reader_survives_arbitrary_bytes(
    csv_path: Path, data: bytes, encoding: str
) -> None:
    csv_path.write_bytes(data)
    _drain(
        CsvSource(csv_path, builtin_mapping("generic"), encoding=encoding, limits=LIMITS),
        ExportRecord,
    )


@FUZZ
@given(data=_bodies(CUSTOMS_HEADER), encoding=st.sampled_from(["auto", "utf-8", "cp949"]))
def test_customs_csv_reader_survives_arbitrary_bytes(
    csv_path: Path, data: bytes, encoding: str
) -> None:
    csv_path.write_bytes(data)
    mapping = builtin_customs_mapping("customs_en")
    _drain(CustomsCsvSource(csv_path, mapping, encoding=encoding, limits=LIMITS), ExportDeclaration)


def test_the_fuzz_corpus_reaches_records_and_quarantine(csv_path: Path) -> None:
    """The generators are not vacuous: the sample rows parse, and a mangled one is quarantined."""
    csv_path.write_bytes(ERP_HEADER + ERP_ROW + ERP_ROW.replace(b"Tokyo", b"\xffokyo"))
    items = list(CsvSource(csv_path, builtin_mapping("generic"), limits=LIMITS))
    assert isinstance(items[0], ExportRecord) and isinstance(items[1], Quarantined)
    csv_path.write_bytes(CUSTOMS_HEADER + CUSTOMS_ROW)
    (decl,) = CustomsCsvSource(csv_path, builtin_customs_mapping("customs_en"), limits=LIMITS)
    assert isinstance(decl, ExportDeclaration)
