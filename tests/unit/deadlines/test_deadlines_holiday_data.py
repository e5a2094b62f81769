"""The shipped Korean holiday data: well-known dates, provenance, validation of the file's
shape, and (when the ``holidays`` package is installed) agreement with it, date for date."""

from __future__ import annotations

import copy
import json
from datetime import date
from importlib import resources
from typing import Any

import pytest

from gateway.deadlines import kr_public_holidays
from gateway.deadlines.kr_holidays import parse_holiday_data
from gateway.errors import ConfigError


def raw_document() -> dict[str, Any]:
    text = resources.files("gateway.deadlines.data").joinpath("kr_public_holidays.json")
    document: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return document


def days(year: int) -> set[date]:
    return {h.day for h in kr_public_holidays()[year]}


def test_the_current_and_next_year_are_shipped() -> None:
    assert set(kr_public_holidays()) == {2026, 2027}


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2026, 2, 16), "lunar"),
        (date(2026, 2, 17), "lunar"),
        (date(2026, 2, 18), "lunar"),
        (date(2026, 9, 24), "lunar"),
        (date(2026, 9, 25), "lunar"),
        (date(2026, 9, 26), "lunar"),
        (date(2026, 5, 24), "lunar"),  # Buddha's Birthday
        (date(2026, 5, 25), "substitute"),
        (date(2026, 3, 2), "substitute"),
        (date(2026, 8, 17), "substitute"),
        (date(2026, 10, 5), "substitute"),
        (date(2026, 6, 3), "election"),
        (date(2027, 2, 9), "substitute"),  # Seollal 2027 falls on a Sunday
        (date(2027, 9, 15), "lunar"),  # Chuseok 2027
        (date(2027, 12, 27), "substitute"),
    ],
)
def test_well_known_dates(day: date, kind: str) -> None:
    (holiday,) = [h for h in kr_public_holidays()[day.year] if h.day == day]
    assert holiday.kind == kind
    if kind == "substitute":
        assert "대체" in holiday.name


def test_memorial_day_on_a_saturday_has_no_substitute() -> None:
    assert date(2026, 6, 6) in days(2026)
    assert date(2026, 6, 8) not in days(2026)


def test_every_date_names_itself_and_its_source() -> None:
    document = raw_document()
    assert "holidays" in document["source"] and "월력요항" in document["source"]
    for holidays in kr_public_holidays().values():
        for holiday in holidays:
            assert holiday.name.strip() and holiday.name_en.strip() and holiday.source.strip()


def test_the_file_agrees_with_the_holidays_package() -> None:
    holidays = pytest.importorskip(
        "holidays", reason="the 'holidays' package (a development-time check) is not installed"
    )
    for year, shipped in kr_public_holidays().items():
        reference = holidays.country_holidays("KR", years=year)
        assert {h.day for h in shipped} == set(reference), year


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.update(schema="other/1"), "not an ecg.holidays/1 document"),
        (lambda d: d.update(source=" "), "where its data comes from"),
        (lambda d: d.update(years={}), "no years"),
        (lambda d: d["years"].update({"26": d["years"]["2026"]}), "four digits"),
        (lambda d: d["years"]["2026"][0].update(date="2025-01-01"), "falls in 2025"),
        (lambda d: d["years"]["2026"][0].update(date="2026-02-30"), "malformed date"),
        (lambda d: d["years"]["2026"][0].update(kind="bridge"), "unknown kind"),
        (lambda d: d["years"]["2026"][0].update(name=""), "non-empty"),
        (lambda d: d["years"]["2026"][0].pop("source"), "expected keys"),
        (lambda d: d["years"]["2026"].append(d["years"]["2026"][0]), "each date once"),
        (lambda d: d["years"]["2026"].reverse(), "in order"),
    ],
)
def test_malformed_data_is_refused(damage: Any, message: str) -> None:
    document = copy.deepcopy(raw_document())
    damage(document)
    with pytest.raises(ConfigError, match=message):
        parse_holiday_data(document)
