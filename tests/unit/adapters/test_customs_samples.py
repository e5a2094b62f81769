"""The shipped customs samples: regenerable, readable, and matching the ERP samples."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from gateway.adapters.customs import (
    CustomsCsvSource,
    CustomsJsonSource,
    UnipassXmlSource,
    builtin_customs_mapping,
)
from gateway.adapters.erp import CsvSource, builtin_mapping
from gateway.errors import SourceError
from gateway.examples.customs.make_samples import SAMPLES, write_samples
from gateway.ingest.customs import DeclarationStatus, apply_statuses
from gateway.model import ExportDeclaration, ExportRecord
from gateway.transform import canonicalise

CUSTOMS = Path(str(resources.files("gateway.examples.customs")))
ERP = Path(str(resources.files("gateway.examples.erp")))


def declarations(name: str, mapping: str, encoding: str = "auto") -> list[ExportDeclaration]:
    source = CustomsCsvSource(CUSTOMS / name, builtin_customs_mapping(mapping), encoding=encoding)
    found = list(source)
    assert all(isinstance(item, ExportDeclaration) for item in found), name
    return [item for item in found if isinstance(item, ExportDeclaration)]


def invoices(name: str, encoding: str = "auto") -> list[ExportRecord]:
    found = list(CsvSource(ERP / name, builtin_mapping("generic"), encoding=encoding))
    return [item for item in found if isinstance(item, ExportRecord)]


def test_committed_samples_match_the_generator(tmp_path: Path) -> None:
    for path in write_samples(tmp_path):
        assert path.read_bytes() == (CUSTOMS / path.name).read_bytes(), path.name
    data = {p.name for p in CUSTOMS.iterdir() if p.suffix in (".csv", ".json", ".xml")}
    assert set(SAMPLES) == data


def check_against_erp(found: list[ExportDeclaration], erp: list[ExportRecord]) -> None:
    """The documented relationship: every ERP invoice is declared, one of them in two parts,
    one not yet shipped, plus exactly one declaration the ERP lacks."""
    by_invoice: dict[str | None, list[ExportDeclaration]] = defaultdict(list)
    for declaration in found:
        by_invoice[declaration.invoice_number].append(declaration)
    for record in erp:
        parts = by_invoice.pop(record.invoice_number)
        assert record.declaration_number is not None
        numbers = {p.declaration_number for p in parts}
        assert record.declaration_number.replace("-", "") in numbers
        assert sum(p.amount for p in parts) == record.amount
        for part in parts:
            assert part.currency == record.currency
            assert part.destination_country == record.buyer.country
            assert canonicalise(part.buyer_name) == canonicalise(record.buyer.name)
            assert part.hs_code.startswith(record.hs_code)
    (forgotten,) = [d for ds in by_invoice.values() for d in ds]  # declared, never invoiced
    assert forgotten.shipped and forgotten.loading_date is not None
    buckets = Counter((canonicalise(r.buyer.name), r.currency, r.maturity.month) for r in erp)
    assert any(
        key[:2] == (canonicalise(forgotten.buyer_name), forgotten.currency) and count >= 3
        for key, count in buckets.items()
    )
    split = [ds for ds in Counter(d.invoice_number for d in found).items() if ds[1] > 1]
    assert [count for _, count in split] == [2]
    unshipped = [d for d in found if not d.shipped]
    assert len(unshipped) == 1 and unshipped[0].invoice_number in {r.invoice_number for r in erp}
    assert len({d.declaration_number for d in found}) == len(found)


def test_english_download_matches_the_erp_sample() -> None:
    found = declarations("declarations.csv", "customs_en")
    erp = invoices("sample_export.csv")
    assert len(found) == len(erp) + 2 == 42
    check_against_erp(found, erp)


def test_korean_cp949_download_matches_the_cp949_erp_sample() -> None:
    found = declarations("declarations_kr.csv", "customs_kr", encoding="cp949")
    erp = invoices("sample_export_cp949.csv", encoding="cp949")
    assert len(found) == len(erp) + 2 == 22
    check_against_erp(found, erp)
    with pytest.raises(SourceError, match="not valid utf-8"):
        declarations("declarations_kr.csv", "customs_kr")


def test_json_sample_holds_the_same_declarations_as_the_csv() -> None:
    from_json = list(CustomsJsonSource(CUSTOMS / "declarations.json"))
    from_csv = declarations("declarations.csv", "customs_en")
    assert len(from_json) == len(from_csv)
    for j, c in zip(from_json, from_csv, strict=True):
        assert isinstance(j, ExportDeclaration)
        assert j.model_dump(exclude={"source_ref"}) == c.model_dump(exclude={"source_ref"})
    first = from_json[0]
    assert isinstance(first, ExportDeclaration) and first.amount == Decimal("59958.36")


def test_unipass_answers_ship_the_unshipped_declaration() -> None:
    found = declarations("declarations.csv", "customs_en")
    items = list(UnipassXmlSource(CUSTOMS / "unipass_export_status.xml"))
    statuses = [s for s in items if isinstance(s, DeclarationStatus)]
    assert len(statuses) == len(items) == 3
    assert {s.declaration_number for s in statuses} <= {d.declaration_number for d in found}
    refreshed = list(apply_statuses(found, statuses))
    (was_unshipped,) = [d for d in found if not d.shipped]
    (now,) = [d for d in refreshed if d.declaration_number == was_unshipped.declaration_number]
    assert now.shipped and now.loading_date is not None and now.bl_number is not None
    assert all(d.shipped for d in refreshed)
    multi = [s for s in statuses if len(s.bl_numbers) == 2]
    assert len(multi) == 1  # one declaration loaded in two departures
