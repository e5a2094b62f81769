"""Read model of the exposure page: the exporter's book over time, twice.

*As the insurer sees it*: at each point in time (the end of a sync run, or of a day) the book
is what the latest version of every attached record adds up to, and it is put through the same
k rule the pipeline applies before it encrypts the exposure snapshot
(:func:`gateway.aggregate.aggregate`): buckets under k are merged into per-country, then
per-currency remainders, and what is still under k is suppressed (never sent). *As the exporter
knows it*: the exact sums of the same book, every bucket, nothing merged.

Pure: :func:`exposure_view` takes the store's record history and returns chart data. Amounts
stay integer minor units.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from typing import Final

import pycountry

from gateway.aggregate import ANY, BucketKey, aggregate
from gateway.dashboard.charts import Series, StackedChart
from gateway.store import RecordChange

MAX_POINTS: Final = 24
MAX_SERIES: Final = 8
GROUPINGS: Final = ("run", "day")
SUPPRESSED: Final = "\x00suppressed"
VIEWS: Final = ("insurer", "exporter")
DIMENSIONS: Final = ("buyer", "country")
_MERGED_LABEL: Final = {
    ("insurer", "buyer"): "Merged: buyers under k, or not disclosed",
    ("insurer", "country"): "Merged: countries under k, or not disclosed",
    ("exporter", "buyer"): "Buyer not disclosed by the policy",
    ("exporter", "country"): "Country not disclosed by the policy",
}
_SUPPRESSED_LABEL: Final = "Suppressed: under k even merged, not sent"

Book = dict[str, tuple[BucketKey, int]]
Sums = dict[tuple[str, str, str], Counter[str]]  # (currency, view, dimension) -> label -> minor


@dataclass(frozen=True)
class Snapshot:
    """The book at one point: sums per chart, records and suppressed records per currency."""

    label: str
    sums: Sums
    records: Counter[str]
    suppressed: Counter[str]


@dataclass(frozen=True)
class ExposureView:
    by: str
    k: int
    currencies: tuple[str, ...]
    currency: str | None
    charts: tuple[StackedChart, ...]
    points_total: int
    records: int  # records in the book at the latest point, in ``currency``
    suppressed_records: int  # of those, how many the k rule keeps back


def _key(bucket: Mapping[str, str] | None) -> BucketKey | None:
    if bucket is None:
        return None
    try:
        return BucketKey(**bucket)
    except TypeError:
        return None


def apply_changes(book: Book, changes: Iterable[RecordChange]) -> None:
    """Move ``book`` forward: a record's latest version replaces the earlier one; a version
    that adds no exposure takes the record out (as :meth:`Store.exposure_book` does)."""
    for change in changes:
        key = _key(change.bucket)
        if key is None or change.exposure_minor is None:
            book.pop(change.record_id, None)
        else:
            book[change.record_id] = (key, change.exposure_minor)


def snapshot(label: str, book: Book, k: int) -> Snapshot:
    """Both views of ``book``: exact sums, and the k-rule aggregate the snapshot would send."""
    sums: Sums = defaultdict(Counter)
    records: Counter[str] = Counter()
    for key, amount in book.values():
        sums[(key.currency, "exporter", "buyer")][key.buyer] += amount
        sums[(key.currency, "exporter", "country")][key.country] += amount
        records[key.currency] += 1
    released = aggregate(book.values(), k)
    for bucket in released.buckets:
        sums[(bucket.key.currency, "insurer", "buyer")][bucket.key.buyer] += bucket.total_minor
        sums[(bucket.key.currency, "insurer", "country")][bucket.key.country] += (
            bucket.total_minor
        )
    suppressed: Counter[str] = Counter()
    for part in released.suppressed:
        for dim in DIMENSIONS:
            sums[(part.currency, "insurer", dim)][SUPPRESSED] += part.total_minor
        suppressed[part.currency] += part.records
    return Snapshot(label, dict(sums), records, suppressed)


def _groups(history: Sequence[RecordChange], by: str) -> list[tuple[str, list[RecordChange]]]:
    """Changes grouped by sync run or by UTC day, in the order they were recorded."""
    groups: dict[str, list[RecordChange]] = {}
    labels: dict[str, str] = {}
    for change in history:
        moment = change.recorded_at.astimezone(UTC)
        group = change.run_id if by == "run" else moment.date().isoformat()
        if group not in groups:
            groups[group] = []
            labels[group] = moment.strftime("%Y-%m-%d %H:%M") if by == "run" else group
        groups[group].append(change)
    seen: Counter[str] = Counter()
    out = []
    for group, changes in groups.items():
        label = labels[group]
        seen[label] += 1
        out.append((label if seen[label] == 1 else f"{label} ({seen[label]})", changes))
    return out


def snapshots(history: Sequence[RecordChange], *, k: int, by: str) -> tuple[list[Snapshot], int]:
    """The book at each of the last :data:`MAX_POINTS` points, and how many points exist."""
    groups = _groups(history, by)
    first_shown = max(0, len(groups) - MAX_POINTS)
    book: Book = {}
    out = []
    for index, (label, changes) in enumerate(groups):
        apply_changes(book, changes)
        if index >= first_shown:
            out.append(snapshot(label, book, k))
    return out, len(groups)


@cache
def country_name(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code)
    return f"{code} ({found.name})" if found is not None else code


def _series(values: list[Counter[str]], view: str, dim: str) -> tuple[Series, ...]:
    labels = set().union(*values)
    regular = [name for name in labels if name not in (ANY, SUPPRESSED)]
    latest = values[-1]
    regular.sort(key=lambda n: (-latest.get(n, 0), -max(v.get(n, 0) for v in values), n))
    shown, rest = regular[:MAX_SERIES], regular[MAX_SERIES:]
    out = [
        Series(
            country_name(name) if dim == "country" else name,
            tuple(v.get(name, 0) for v in values),
            "bucket",
        )
        for name in shown
    ]
    if rest:
        plural = "buyers" if dim == "buyer" else "countries"
        out.append(Series(f"{len(rest)} other {plural}",
                          tuple(sum(v.get(n, 0) for n in rest) for v in values), "other"))
    if ANY in labels:
        out.append(Series(_MERGED_LABEL[(view, dim)], tuple(v.get(ANY, 0) for v in values),
                          "merged"))
    if SUPPRESSED in labels:
        out.append(Series(_SUPPRESSED_LABEL, tuple(v.get(SUPPRESSED, 0) for v in values),
                          "suppressed"))
    return tuple(out)


_TITLES: Final = {
    ("buyer", "insurer"): "Exposure per buyer, as the insurer sees it",
    ("buyer", "exporter"): "Exposure per buyer, as the exporter knows it",
    ("country", "insurer"): "Exposure per country, as the insurer sees it",
    ("country", "exporter"): "Exposure per country, as the exporter knows it",
}
_DESCRIPTIONS: Final = {
    "insurer": (
        "Stacked bars, one per point in time: the bucket totals the encrypted exposure "
        "snapshot carries after the k rule (k = {k}); merged remainders and the suppressed "
        "part are drawn apart."
    ),
    "exporter": (
        "Stacked bars, one per point in time: the exact total of every bucket in the "
        "exporter's book, nothing merged or suppressed."
    ),
}


def chart(shots: Sequence[Snapshot], currency: str, dim: str, view: str, k: int) -> StackedChart:
    """One of the four charts for ``currency`` (no points at all while the book is empty)."""
    values = [s.sums.get((currency, view, dim), Counter()) for s in shots]
    return StackedChart(
        chart_id=f"chart-{dim}-{view}",
        title=f"{_TITLES[(dim, view)]} ({currency})" if currency else _TITLES[(dim, view)],
        description=_DESCRIPTIONS[view].format(k=k),
        currency=currency,
        dimension="Buyer (pseudonym or insurer code)" if dim == "buyer" else "Country",
        points=tuple(s.label for s in shots),
        series=_series(values, view, dim) if values else (),
    )


def exposure_view(
    history: Sequence[RecordChange], *, k: int, by: str = "run", currency: str | None = None
) -> ExposureView:
    """The four charts for one currency (``currency`` if the book has it, else the first)."""
    by = by if by in GROUPINGS else "run"
    shots, total = snapshots(history, k=k, by=by)
    currencies = tuple(sorted({cur for s in shots for cur, _, _ in s.sums}))
    if currency not in currencies:
        currency = currencies[0] if currencies else None
    charts = tuple(
        chart(shots if currency else (), currency or "", dim, view, k)
        for dim in DIMENSIONS for view in VIEWS
    )
    records = shots[-1].records[currency] if currency else 0
    suppressed = shots[-1].suppressed[currency] if currency else 0
    return ExposureView(by, k, currencies, currency, charts, total, records, suppressed)
