"""The exposure read model: the book over time as the insurer sees it (k rule) and as the
exporter knows it (exact). Against the real book (book.py), the insurer's view at the last
point is checked against the snapshot actually sent, decrypted with the insurer's private key;
the exporter's view against the invoice amounts the test itself put in."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from gateway.dashboard.charts import StackedChart, render_chart
from gateway.dashboard.exposure_views import (
    MAX_SERIES,
    apply_changes,
    exposure_view,
    snapshot,
)
from gateway.store import RecordChange
from tests.unit.dashboard.book import BUYERS, RUN_1, Book, latest_amounts


def charts_of(book: Book, currency: str, by: str = "run") -> dict[str, StackedChart]:
    view = exposure_view(book.store.record_history(), k=3, by=by, currency=currency)
    assert view.currency == currency
    return {c.chart_id: c for c in view.charts}


def last(chart: StackedChart) -> dict[str, int]:
    """Series label -> amount at the latest point (kind-tagged for merged/suppressed)."""
    return {(s.label if s.kind == "bucket" else s.kind): s.values[-1] for s in chart.series}


def exact_by(book: Book, currency: str, key: str) -> Counter[str]:
    sums: Counter[str] = Counter()
    for r in latest_amounts().values():
        if r.currency == currency:
            sums[book.token(_buyer(r.buyer.name)) if key == "buyer" else r.buyer.country] += \
                r.amount_minor
    return sums


def _buyer(name: str) -> str:
    return next(k for k, (n, _, _) in BUYERS.items() if n == name)


def test_one_point_per_sync_and_currencies_in_separate_charts(book: Book) -> None:
    view = exposure_view(book.store.record_history(), k=3)
    assert view.currencies == ("EUR", "USD") and view.currency == "EUR"
    assert view.points_total == 3
    assert [c.chart_id for c in view.charts] == [
        "chart-buyer-insurer", "chart-buyer-exporter", "chart-country-insurer",
        "chart-country-exporter",
    ]
    assert all(c.currency == "EUR" and len(c.points) == 3 for c in view.charts)
    fallback = exposure_view(book.store.record_history(), k=3, currency="XXX")
    assert fallback.currency == "EUR"


def test_the_exporter_view_is_the_exact_book_with_revisions_replacing_versions(
    book: Book,
) -> None:
    for currency in ("EUR", "USD"):
        charts = charts_of(book, currency)
        assert last(charts["chart-buyer-exporter"]) == dict(exact_by(book, currency, "buyer"))
        by_country = {k[:2]: v for k, v in last(charts["chart-country-exporter"]).items()}
        assert by_country == dict(exact_by(book, currency, "country"))
    beta = next(s for s in charts_of(book, "EUR")["chart-buyer-exporter"].series
                if s.label == book.token("beta"))
    first = sum(r.amount_minor for r in RUN_1 if r.buyer.name == BUYERS["beta"][0])
    assert beta.values == (first, first - 50_000 + 55_000, first + 5_000)


def test_the_insurer_view_is_the_snapshot_the_insurer_decrypts(book: Book) -> None:
    sent = book.decrypted_snapshot()
    for currency in ("EUR", "USD"):
        chart = charts_of(book, currency)["chart-buyer-insurer"]
        released: Counter[str] = Counter()
        for key, total in sent:
            if key["currency"] == currency:
                released[key["buyer"]] += total
        shown = last(chart)
        suppressed = shown.pop("suppressed", 0)
        assert shown == dict(released)
        exact = sum(exact_by(book, currency, "buyer").values())
        assert suppressed == exact - sum(released.values()) > 0


def test_buyers_under_k_never_appear_as_their_own_insurer_bucket(book: Book) -> None:
    for currency, small in (("USD", "gamma"), ("EUR", "delta")):
        charts = charts_of(book, currency)
        token = book.token(small)
        insurer = {s.label for c in ("chart-buyer-insurer", "chart-country-insurer")
                   for s in charts[c].series}
        assert token not in insurer
        assert token in {s.label for s in charts["chart-buyer-exporter"].series}
        assert any(s.kind == "suppressed" for s in charts["chart-buyer-insurer"].series)


def test_both_views_account_for_the_same_total_at_every_point(book: Book) -> None:
    for currency in ("EUR", "USD"):
        charts = charts_of(book, currency)
        for dim in ("buyer", "country"):
            insurer, exporter = charts[f"chart-{dim}-insurer"], charts[f"chart-{dim}-exporter"]
            assert insurer.totals() == exporter.totals()


def test_points_by_day_fold_the_syncs_of_one_day(book: Book) -> None:
    view = exposure_view(book.store.record_history(), k=3, by="day", currency="USD")
    today = datetime.now(UTC).date().isoformat()
    assert view.points_total == 1 and view.charts[0].points == (today,)
    assert view.records == sum(1 for r in latest_amounts().values() if r.currency == "USD")
    assert view.suppressed_records == 1  # Gamma's one invoice


def change(record_id: str, version: int, buyer: str, amount: int | None, day: int,
           currency: str = "USD", country: str = "US") -> RecordChange:
    bucket = None if amount is None else {"buyer": buyer, "country": country,
                                          "currency": currency, "maturity_month": "2026-07"}
    return RecordChange(record_id, version, f"run_{day:032x}", "sub_" + "0" * 32,
                        datetime(2026, 5, 1, tzinfo=UTC) + timedelta(days=day), bucket, amount)


def test_a_version_without_exposure_takes_the_record_out_of_the_book() -> None:
    book: dict[str, tuple[object, int]] = {}
    apply_changes(book, [change("r1", 1, "a", 500, 0), change("r2", 1, "a", 300, 0)])  # type: ignore[arg-type]
    apply_changes(book, [change("r1", 2, "a", None, 1)])  # type: ignore[arg-type]
    assert list(book) == ["r2"]


def test_many_buyers_fold_into_one_other_series_keeping_the_largest() -> None:
    history = [change(f"r{i}-{n}", 1, f"buyer-{i:02d}", 100 * (i + 1), 0)
               for i in range(MAX_SERIES + 3) for n in range(3)]
    view = exposure_view(history, k=3, currency="USD")
    chart = view.charts[1]  # buyer, exporter
    regular = [s for s in chart.series if s.kind == "bucket"]
    assert [s.label for s in regular] == [f"buyer-{i:02d}" for i in
                                         range(MAX_SERIES + 2, 2, -1)]
    other = next(s for s in chart.series if s.kind == "other")
    assert other.label == "3 other buyers" and other.values == (3 * (100 + 200 + 300),)
    assert chart.totals() == (sum(3 * 100 * (i + 1) for i in range(MAX_SERIES + 3)),)


def test_a_snapshot_merges_small_buckets_by_country_before_suppressing() -> None:
    book = {}
    apply_changes(book, [change(f"x{n}", 1, f"b{n}", 1000, 0, country="DE") for n in range(3)])
    shot = snapshot("now", book, 3)
    assert shot.sums[("USD", "insurer", "buyer")] == Counter({"*": 3000})
    assert shot.sums[("USD", "insurer", "country")] == Counter({"DE": 3000})
    assert shot.sums[("USD", "exporter", "buyer")] == Counter({"b0": 1000, "b1": 1000,
                                                               "b2": 1000})
    assert shot.suppressed["USD"] == 0


def test_an_empty_book_still_gives_the_four_charts_without_points() -> None:
    view = exposure_view([], k=3)
    assert view.currency is None and view.currencies == () and view.points_total == 0
    assert [c.chart_id for c in view.charts] == [
        "chart-buyer-insurer", "chart-buyer-exporter", "chart-country-insurer",
        "chart-country-exporter",
    ]
    for c in view.charts:
        assert c.points == () and c.series == ()
        assert "No exposure recorded yet." in render_chart(c)
