"""The overview's read model against a real store filled by the real pipeline (book.py), and
the notification clock of invoices pending customs on a real business-day calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gateway.booking import ReconcileSetup
from gateway.dashboard import views
from gateway.deadlines import BusinessCalendar, IndividualRule
from gateway.pipeline import Runtime
from gateway.policy.bundle import PolicyBundle
from gateway.reconcile import ReconcileConfig
from gateway.store import PendingRecord, SqliteStore
from tests.unit.dashboard.book import RUN_1, RUN_2, RUN_3, Book, record

TODAY = date(2026, 5, 6)


def test_runs_are_newest_first_with_the_pipeline_account(book: Book) -> None:
    ov = views.overview(book.store, book.runtime, today=TODAY)
    assert [r.run_id for r in ov.runs] == list(reversed(book.runs))
    first = ov.runs[-1]
    assert (first.read, first.attached, first.quarantined) == (len(RUN_1) + 1, len(RUN_1), 1)
    assert (first.withheld, first.pending, first.unchanged) == (0, 0, 0)
    assert first.read == first.attached + first.withheld + first.quarantined + first.pending \
        + first.unchanged
    assert ov.last is not None and ov.last.attached == len(RUN_3)
    assert ov.runs[1].attached == len(RUN_2)
    assert all(r.finished_at is not None and r.sources == ("erp",) for r in ov.runs)


def test_outbox_and_quarantine_counts(book: Book) -> None:
    ov = views.overview(book.store, book.runtime, today=TODAY)
    delivered = len(book.submissions[0]) + len(book.submissions[1])
    assert dict(ov.outbox) == {"pending": len(book.submissions[2]), "delivered": delivered,
                               "failed": 0, "dead": 0}
    assert ov.open_quarantine == 1


def test_without_customs_nothing_is_pending_and_the_configured_policy_is_in_force(
    book: Book,
) -> None:
    ov = views.overview(book.store, book.runtime, today=TODAY)
    assert not ov.customs and ov.pending == () and ov.pending_total == 0
    assert ov.policy.version == book.runtime.engine.version
    assert ov.policy.activated_at is None and ov.policy.name == "default"


def test_the_latest_activation_is_the_policy_in_force(book: Book, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "gw.sqlite3")
    bundle = PolicyBundle({"a.rego": "package a\n"}, name="stricter")
    store.put_policy_version(bundle)
    store.record_activation(bundle.version, action="activate", actor="officer",
                            reason="tighter", exceptions={})
    in_force = views.policy_in_use(store, book.runtime)
    assert (in_force.version, in_force.name) == (bundle.version, "stricter")
    assert (in_force.action, in_force.activated_by) == ("activate", "officer")


def with_deadlines(runtime: Runtime, calendar: BusinessCalendar) -> Runtime:
    setup = ReconcileSetup(ReconcileConfig(), IndividualRule(3), calendar, warn_business_days=1)
    return Runtime(**{**runtime.__dict__, "reconcile": setup})


def pending_store(path: Path) -> SqliteStore:
    """A store whose last run left two invoices pending customs (shipped 1 and 4 May 2026)."""
    store = SqliteStore(path)
    store.begin_run("run_" + "1" * 32)
    early = record("P-1", "acme", "10.00").model_copy(update={"shipment_date": date(2026, 5, 1)})
    late = record("P-2", "beta", "10.00")  # shipped 2026-05-04
    store.finish_run("run_" + "1" * 32, {}, pending=[
        PendingRecord("invoice:erp:P-1", "erp", early.model_dump_json()),
        PendingRecord("invoice:erp:P-2", "erp", late.model_dump_json()),
    ])
    return store


def test_pending_invoices_get_their_deadline_on_the_business_day_calendar(
    book: Book, tmp_path: Path
) -> None:
    # 2026-05-01 is a Friday: 3 business days later is Wednesday 6 May (weekend skipped);
    # 2026-05-04 is a Monday: Thursday 7 May, but that is a company holiday -> Friday 8 May.
    calendar = BusinessCalendar([date(2026, 5, 7)])
    runtime = with_deadlines(book.runtime, calendar)
    ov = views.overview(pending_store(tmp_path / "p.sqlite3"), runtime, today=date(2026, 5, 8))
    assert ov.customs and ov.pending_total == 2
    by_ref = {p.ref: p for p in ov.pending}
    early, late = by_ref["erp.csv:P-1"], by_ref["erp.csv:P-2"]
    assert (early.deadline, early.state) == (date(2026, 5, 6), "missed")
    assert early.business_days_left == -1
    assert (late.deadline, late.state, late.business_days_left) == (date(2026, 5, 8), "at_risk", 0)


def test_a_deadline_outside_the_calendar_years_is_unknown_not_guessed(
    book: Book, tmp_path: Path
) -> None:
    calendar = BusinessCalendar([], covered_years=[2025])
    runtime = with_deadlines(book.runtime, calendar)
    ov = views.overview(pending_store(tmp_path / "p.sqlite3"), runtime, today=date(2026, 5, 7))
    assert {(p.state, p.deadline) for p in ov.pending} == {("unknown", None)}
