"""Korea's public holidays, shipped as data (``data/kr_public_holidays.json``).

The file lists, per year, every public holiday with its Korean and English name, a kind
(``fixed``, ``lunar``, ``substitute``, ``election``) and the source it was checked against; its
header names how it was built. Only the years in the file are known: :func:`korea_calendar`
refuses any other year unless the caller configures that year's holidays itself (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final, Literal, cast

from gateway.deadlines.calendar import DEFAULT_WEEKEND, BusinessCalendar
from gateway.errors import ConfigError

_PACKAGE: Final = "gateway.deadlines.data"
_FILE: Final = "kr_public_holidays.json"
_SCHEMA: Final = "ecg.holidays/1"
_KINDS: Final = frozenset({"fixed", "lunar", "substitute", "election"})

HolidayKind = Literal["fixed", "lunar", "substitute", "election"]


@dataclass(frozen=True, slots=True)
class Holiday:
    """One public holiday as the shipped data lists it."""

    day: date
    name: str
    name_en: str
    kind: HolidayKind
    source: str


def _entry(year: int, raw: Any) -> Holiday:
    if not isinstance(raw, dict) or set(raw) != {"date", "name", "name_en", "kind", "source"}:
        raise ConfigError(f"{_FILE}: a {year} entry does not have the expected keys")
    try:
        day = date.fromisoformat(raw["date"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{_FILE}: a {year} entry has a malformed date") from exc
    if day.year != year:
        raise ConfigError(f"{_FILE}: an entry listed under {year} falls in {day.year}")
    if raw["kind"] not in _KINDS:
        raise ConfigError(f"{_FILE}: {day}: unknown kind")
    texts = (raw["name"], raw["name_en"], raw["source"])
    if not all(isinstance(t, str) and t.strip() for t in texts):
        raise ConfigError(f"{_FILE}: {day}: name, name_en and source must be non-empty text")
    return Holiday(day, raw["name"], raw["name_en"], cast(HolidayKind, raw["kind"]), raw["source"])


def parse_holiday_data(document: Any) -> dict[int, tuple[Holiday, ...]]:
    """Validate a holiday document (parsed JSON) and return its holidays by year, sorted."""
    if not isinstance(document, dict) or document.get("schema") != _SCHEMA:
        raise ConfigError(f"{_FILE}: not an {_SCHEMA} document")
    if not isinstance(document.get("source"), str) or not document["source"].strip():
        raise ConfigError(f"{_FILE}: the document must say where its data comes from")
    years = document.get("years")
    if not isinstance(years, dict) or not years:
        raise ConfigError(f"{_FILE}: no years")
    parsed: dict[int, tuple[Holiday, ...]] = {}
    for key, entries in years.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) == 4):
            raise ConfigError(f"{_FILE}: year keys must be four digits")
        if not isinstance(entries, list) or not entries:
            raise ConfigError(f"{_FILE}: {key} has no holidays")
        holidays = tuple(_entry(int(key), raw) for raw in entries)
        days = [h.day for h in holidays]
        if days != sorted(set(days)):
            raise ConfigError(f"{_FILE}: {key} must list each date once, in order")
        parsed[int(key)] = holidays
    return parsed


@cache
def kr_public_holidays() -> dict[int, tuple[Holiday, ...]]:
    """The shipped Korean public holidays by year (read once, then cached)."""
    text = resources.files(_PACKAGE).joinpath(_FILE).read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{_FILE}: not valid JSON (line {exc.lineno})") from exc
    return parse_holiday_data(document)


def korea_calendar(
    years: Iterable[int] | None = None,
    *,
    extra_holidays: Iterable[date] = (),
    weekend: Iterable[int] = DEFAULT_WEEKEND,
) -> BusinessCalendar:
    """A business calendar with Korea's public holidays plus ``extra_holidays`` (company
    closing days, or a whole year's holidays that the shipped data lacks).

    ``years=None`` covers every year in the shipped data and every year that
    ``extra_holidays`` names. A requested year that is in neither raises
    :class:`ConfigError`. Configuring any extra holiday in a year declares that year covered:
    list all of its holidays then.
    """
    data = kr_public_holidays()
    extra = frozenset(extra_holidays)
    available = set(data) | {d.year for d in extra}
    wanted = available if years is None else set(years)
    unknown = sorted(wanted - available)
    if unknown:
        shipped = ", ".join(str(y) for y in sorted(data))
        raise ConfigError(
            f"no Korean holiday data for {', '.join(str(y) for y in unknown)} "
            f"(shipped: {shipped}); configure that year's holidays as extra holidays"
        )
    shipped_days = {h.day for year in wanted & set(data) for h in data[year]}
    return BusinessCalendar(shipped_days | extra, weekend, covered_years=wanted)
