"""``gateway demo`` end to end, through :func:`gateway.cli.demo.run_demo` (2048-bit insurer key).

The demo generates its keys, starts the reference insurer on a loopback port and syncs the
shipped sample export and the deliberately malformed one. Its printed output is captured with a
rich console writing to a string.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from importlib import resources

import pytest
from rich.console import Console

from gateway.cli.demo import DemoResult, run_demo
from gateway.model import ExportRecord
from gateway.pipeline import Pipeline
from gateway.runtime import build_runtime, open_source, open_store
from gateway.settings import load_settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str]:
    buffer = io.StringIO()
    result = run_demo(
        tmp_path_factory.mktemp("demo"), Console(file=buffer, width=120), paillier_bits=2048
    )
    return result, buffer.getvalue()


def _sample_rows() -> list[dict[str, str]]:
    sample = resources.files("gateway.examples").joinpath("erp", "sample_export.csv")
    with resources.as_file(sample) as path, path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _buyer_names() -> list[str]:
    return sorted({row["buyer_name"] for row in _sample_rows()})


def _documented_defects() -> list[tuple[int, str]]:
    """(line, field) of every defect listed in examples/erp/README.md for malformed_export.csv."""
    readme = resources.files("gateway.examples").joinpath("erp", "README.md").read_text("utf-8")
    section = readme.split("## `malformed_export.csv`", 1)[1]
    rows = re.findall(r"^\| (\d+) \| `([^`]+)` \|", section, re.M)
    return [(int(line), field) for line, field in rows]


def _tokens(name: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", name)
    return {t for t in re.split(r"[\s,.()]+", folded) if len(t) >= 5} | {folded}


def test_every_source_account_balances(demo: tuple[DemoResult, str]) -> None:
    result = demo[0].result
    assert set(result.sources) == {"erp", "erp-malformed", "customs"}
    for account in result.sources.values():
        assert account.balanced()
    total = result.totals()
    assert total.read == sum(a.read for a in result.sources.values())
    assert result.sources["erp"].read == len(_sample_rows())
    assert result.sources["erp"].attached > 0
    assert result.failed == {} and result.delivered == len(result.submissions) >= 1


def test_every_documented_defect_of_the_malformed_file_is_quarantined(
    demo: tuple[DemoResult, str],
) -> None:
    workdir = demo[0].workdir
    defects = _documented_defects()
    assert len(defects) == 9
    with open_store(load_settings(workdir / "gateway.toml")) as store:
        entries = [e for e in store.list_quarantine() if e.source.endswith("malformed_export.csv")]
    assert sorted((e.row, e.field) for e in entries) == sorted(defects)
    assert demo[0].result.sources["erp-malformed"].quarantined == len(defects)


def test_receipts_are_verified_for_every_submission(demo: tuple[DemoResult, str]) -> None:
    result, text = demo
    assert result.receipts, "no receipt"
    assert sorted(r["submission_id"] for r in result.receipts) == sorted(result.result.submissions)
    assert text.count("verified for sub_") == len(result.receipts)


def test_the_insurer_sees_only_buckets_of_at_least_k_records(
    demo: tuple[DemoResult, str],
) -> None:
    exposure = demo[0].exposure
    assert exposure, "the insurer decrypted nothing"
    assert all(bucket["records"] >= 3 for bucket in exposure)
    assert all(int(bucket["total_minor"]) > 0 for bucket in exposure)


def test_the_side_by_side_view_keeps_buyer_names_in_the_building(
    demo: tuple[DemoResult, str],
) -> None:
    text = demo[1]
    assert "stays in the building" in text and "leaves the building" in text
    stays, leaves = [], []
    for line in text.splitlines():
        cells = line.split("│")
        if len(cells) == 5:  # │ field │ stays │ leaves │
            stays.append(cells[2])
            leaves.append(cells[3])
    names = _buyer_names()
    assert any(name in cell for name in names for cell in stays), "parsing found no buyer name"
    for name in names:
        for token in _tokens(name):
            assert not any(token in cell for cell in leaves), f"{name!r} left the building"


def test_no_attachment_of_the_sample_carries_a_buyer_name(demo: tuple[DemoResult, str]) -> None:
    settings = load_settings(demo[0].workdir / "gateway.toml")
    records = [r for r in open_source(settings.sources[0], settings) if isinstance(r, ExportRecord)]
    with open_store(settings) as store:
        rows = Pipeline(build_runtime(settings), store).preview(records)
    attached = [row.attachment for row in rows if row.attachment is not None]
    assert attached, "the default policy attached nothing"
    blob = repr(attached).casefold()
    for name in _buyer_names():
        assert unicodedata.normalize("NFKC", name).casefold() not in blob
    token = re.compile(r"^p1\.psk-[0-9]{8}-[0-9a-f]{6}\.[A-Za-z0-9_-]{22}$")
    names = [a["buyer.name"] for a in attached if "buyer.name" in a]
    assert names and all(token.match(name) for name in names)


def test_the_demo_attaches_the_forgotten_shipment_and_keeps_an_intact_ledger(
    demo: tuple[DemoResult, str],
) -> None:
    result, text = demo
    summary = result.result.reconciliation
    assert summary is not None
    assert [a["declaration_number"] for a in summary.auto_attached] == ["43017261347553"]
    assert "1 customs" in text  # the insurer received it marked as attached from customs
    assert "disclosure ledger intact: 1 entry" in text


def test_syncing_the_same_exports_again_sends_nothing_twice(
    demo: tuple[DemoResult, str],
) -> None:
    result, output = demo
    assert result.again is not None
    first, again = result.result.totals(), result.again.totals()
    assert result.again.submissions == [] and result.again.delivered == 0
    assert again.unchanged == first.attached and again.attached == 0
    assert again.read == first.read and again.pending == first.pending
    assert "7. Sync again" in output and "still holds 1" in output
