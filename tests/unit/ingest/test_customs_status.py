"""status_from_lookup() and apply_statuses(): UNI-PASS statuses refresh broker declarations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.errors import RecordError
from gateway.ingest.customs import DeclarationStatus, apply_statuses, status_from_lookup
from gateway.model import ExportDeclaration

Texts = dict[str, str | None]


def summary(**changes: str | None) -> Texts:
    texts: Texts = {
        "expDclrNo": "43017268362112",
        "acptDt": "20260203",
        "shpmCmplYn": "Y",
        "exppnConm": "가온전자(주)",
    }
    texts.update(changes)
    return texts


def declaration(**changes: Any) -> ExportDeclaration:
    data: dict[str, Any] = {
        "source_ref": "declarations.csv:5",
        "declaration_number": "43017268362112",
        "acceptance_date": date(2026, 2, 3),
        "loading_date": None,
        "shipped": False,
        "buyer_name": "HANOI PRECISION PARTS JSC",
        "destination_country": "VN",
        "hs_code": "8542311000",
        "currency": "USD",
        "amount": Decimal("48260.00"),
        "invoice_number": "EX26-00041",
    }
    data.update(changes)
    return ExportDeclaration.model_validate(data)


def test_a_shipped_answer_gives_earliest_departure_and_ordered_bl_numbers() -> None:
    details: list[Texts] = [
        {"blNo": "HLCU2", "tkofDt": "20260207", "shpmcmplYn": "Y"},
        {"blNo": "HDMU1", "tkofDt": "20260204"},
        {"blNo": "HDMU1", "tkofDt": "20260204"},  # the same B/L listed twice
    ]
    status = status_from_lookup(summary(), details, source="s.xml", row=1)
    assert status == DeclarationStatus(
        declaration_number="43017268362112",
        acceptance_date=date(2026, 2, 3),
        shipped=True,
        loading_date=date(2026, 2, 4),
        bl_numbers=("HDMU1", "HLCU2"),
    )


def test_a_partly_shipped_answer_has_bl_numbers_but_no_loading_date() -> None:
    details: list[Texts] = [{"blNo": "HDMU1", "tkofDt": "20260204"}]
    status = status_from_lookup(summary(shpmCmplYn="N"), details, source="s.xml", row=1)
    assert status.shipped is False and status.loading_date is None
    assert status.bl_numbers == ("HDMU1",)


@pytest.mark.parametrize(
    ("changes", "details", "field", "reason"),
    [
        ({"expDclrNo": None}, [], "declaration_number", "(element 'expDclrNo'): missing"),
        ({"expDclrNo": "12-34"}, [], "declaration_number", "not a declaration number"),
        ({"acptDt": "  "}, [], "acceptance_date", "(element 'acptDt'): missing"),
        ({"acptDt": "2026-13-40"}, [], "acceptance_date", "not a date (YYYYMMDD)"),
        ({"shpmCmplYn": "X"}, [], "shipped", "not a shipped flag (Y or N)"),
        ({}, [{"tkofDt": "20260231"}], "loading_date", "(element 'tkofDt'): not a date"),
        (
            {},
            [{"tkofDt": "20260201"}],
            "loading_date",
            "(element 'tkofDt'): before acceptance_date (element 'acptDt')",
        ),
        ({}, [{"blNo": "HD\x00MU"}], "bl_number", "contains control characters"),
    ],
)
def test_bad_answers_name_the_element_not_the_value(
    changes: Texts, details: list[Texts], field: str, reason: str
) -> None:
    with pytest.raises(RecordError) as info:
        status_from_lookup(summary(**changes), details, source="s.xml", row=3)
    error = info.value
    assert (error.source, error.row, error.field) == ("s.xml", 3, field)
    assert reason in error.reason
    for value in changes.values():
        if value and value.strip():
            assert value not in str(error)


def test_status_model_refuses_inconsistent_states() -> None:
    with pytest.raises(ValidationError):
        DeclarationStatus(
            declaration_number="43017268362112",
            acceptance_date=date(2026, 2, 3),
            shipped=False,
            loading_date=date(2026, 2, 4),
        )
    with pytest.raises(ValidationError):
        DeclarationStatus(
            declaration_number="43017268362112",
            acceptance_date=date(2026, 2, 3),
            shipped=True,
            loading_date=date(2026, 2, 1),
        )


def shipped_status(**changes: Any) -> DeclarationStatus:
    data: dict[str, Any] = {
        "declaration_number": "43017-26-8362112",
        "acceptance_date": date(2026, 2, 3),
        "shipped": True,
        "loading_date": date(2026, 2, 5),
        "bl_numbers": ("HDMU777", "HLCU888"),
    }
    data.update(changes)
    return DeclarationStatus.model_validate(data)


def test_apply_statuses_marks_an_unshipped_declaration_shipped() -> None:
    other = declaration(declaration_number="43017260000001", invoice_number="EX26-00002")
    (refreshed, untouched) = apply_statuses([declaration(), other], [shipped_status()])
    assert refreshed.shipped is True and refreshed.loading_date == date(2026, 2, 5)
    assert refreshed.bl_number == "HDMU777" and refreshed.shipment_date == date(2026, 2, 5)
    assert refreshed.source_ref == "declarations.csv:5" and refreshed.amount == Decimal("48260")
    assert untouched == other


def test_the_later_status_for_a_number_wins() -> None:
    early = shipped_status(shipped=False, loading_date=None, bl_numbers=())
    (refreshed,) = apply_statuses([declaration()], [early, shipped_status()])
    assert refreshed.shipped is True
    (refreshed,) = apply_statuses([declaration()], [shipped_status(), early])
    assert refreshed.shipped is False


def test_a_shipped_status_without_departure_keeps_a_consistent_loading_date() -> None:
    known = declaration(shipped=True, loading_date=date(2026, 2, 6), bl_number="OLD1")
    status = shipped_status(loading_date=None, bl_numbers=())
    (refreshed,) = apply_statuses([known], [status])
    assert refreshed.loading_date == date(2026, 2, 6) and refreshed.bl_number == "OLD1"
    later = shipped_status(acceptance_date=date(2026, 2, 7), loading_date=None, bl_numbers=())
    (refreshed,) = apply_statuses([known], [later])
    assert refreshed.acceptance_date == date(2026, 2, 7) and refreshed.loading_date is None


def test_a_not_shipped_status_clears_the_loading_date() -> None:
    known = declaration(shipped=True, loading_date=date(2026, 2, 6))
    status = shipped_status(shipped=False, loading_date=None, bl_numbers=())
    (refreshed,) = apply_statuses([known], [status])
    assert refreshed.shipped is False and refreshed.loading_date is None


def test_more_bl_numbers_than_the_status_holds_is_refused_without_values() -> None:
    details: list[Texts] = [{"blNo": f"HDMU{i:06d}", "tkofDt": "20260204"} for i in range(101)]
    with pytest.raises(RecordError) as info:
        status_from_lookup(summary(), details, source="s.xml", row=2)
    assert (info.value.field, info.value.reason) == ("bl_numbers", "bl_numbers: invalid value")
    assert "HDMU" not in str(info.value)
