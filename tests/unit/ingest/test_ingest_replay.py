"""renormalise(): stored quarantined rows re-read under the current mapping (quarantine retry)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gateway.ingest import ColumnMapping
from gateway.ingest.replay import IN_SOURCE, NEWER_ROW, NO_RAW_ROW, renormalise

Make = Callable[..., ColumnMapping]


@dataclass(frozen=True)
class Stored:
    """A stored quarantine entry as the store returns it (the fields a replay reads)."""

    id: int
    row: int
    raw: dict[str, str | None] = field(default_factory=dict)
    source: str = "erp-0121.csv"


def _row(good_row: Mapping[str, str | None], **changes: str) -> dict[str, str | None]:
    return {**good_row, **changes}


def test_a_row_the_fixed_mapping_parses_is_replayed_with_its_original_place(
    good_row: Mapping[str, str | None], make_mapping: Make
) -> None:
    stored = Stored(3, 17, _row(good_row, IDATE="02/03/2026"))
    before = renormalise([stored], make_mapping())
    assert before.records == [] and before.resolved() == []
    assert (before.failing[3].field, before.failing[3].row) == ("invoice_date", 17)

    after = renormalise([stored], make_mapping(date_format=["%d/%m/%Y", "%Y-%m-%d"]))
    (record,) = after.records
    assert record.source_ref == "erp-0121.csv:17" and record.invoice_number == "EX-1"
    assert record.invoice_date.isoformat() == "2026-03-02"
    assert after.replayed == [3] and after.resolved() == [3] and after.failing == {}


def test_a_row_without_a_stored_raw_row_cannot_be_replayed(make_mapping: Make) -> None:
    replay = renormalise([Stored(5, 40)], make_mapping())
    assert replay.unreplayable == {5: NO_RAW_ROW}
    assert replay.records == [] and replay.resolved() == [] and replay.failing == {}


def test_the_source_s_own_current_row_wins_over_the_stored_one(
    good_row: Mapping[str, str | None], mapping: ColumnMapping
) -> None:
    replay = renormalise([Stored(1, 9, _row(good_row))], mapping, present={"EX-1"})
    assert replay.records == [] and replay.superseded == {1: IN_SOURCE}
    assert replay.resolved() == [1]


def test_of_several_rows_of_one_invoice_only_the_newest_is_replayed(
    good_row: Mapping[str, str | None], mapping: ColumnMapping
) -> None:
    rows = [
        Stored(8, 30, _row(good_row, AMT="13,000.00")),
        Stored(2, 12, _row(good_row, AMT="12,000.00")),
        Stored(4, 5, _row(good_row, INV="EX-2")),
    ]
    replay = renormalise(rows, mapping)
    assert [r.invoice_number for r in replay.records] == ["EX-2", "EX-1"]
    assert str(replay.records[1].amount) == "13000.00"
    assert replay.replayed == [4, 8] and replay.superseded == {2: NEWER_ROW}
    assert replay.resolved() == [2, 4, 8]
