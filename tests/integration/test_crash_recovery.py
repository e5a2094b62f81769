"""Crash recovery: ``gateway sync`` killed with SIGKILL loses no record and sends none twice.

Real parts throughout: gateway keys and a 2048-bit insurer Paillier key generated here, the
reference insurer in its own process over loopback HTTP, real SQLite stores, and every
``gateway`` command run as a subprocess (tests/crash/ is the harness; ``crash_test.py`` there
runs the long version).
"""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.crash import checks, stores
from tests.crash.harness import (
    CrashSettings,
    Workspace,
    kill_when,
    run_crash_test,
)
from tests.crash.processes import run_gateway
from tests.crash.workspace import SOURCE

pytestmark = pytest.mark.slow


@pytest.fixture
def space(tmp_path: Path) -> Iterator[Workspace]:
    """300 rows in submissions of at most 20 attachments: the first is committed long before
    delivery starts."""
    workspace = Workspace.create(tmp_path / "ws", 300, random.Random(11), chunk=20)
    try:
        yield workspace
    finally:
        workspace.close()


def _findings(space: Workspace) -> checks.Findings:
    findings = checks.Findings()
    checks.check_insurer(
        space.export, space.insurer_view(), space.gateway_view(), SOURCE, space.identities(),
        findings,
    )
    return findings


def _ledger_entries(space: Workspace, submission_id: str) -> int:
    with sqlite3.connect(space.store) as conn:
        row = conn.execute(
            "SELECT count(*) FROM ledger WHERE submission_id = ?", (submission_id,)
        ).fetchone()
    return int(row[0])


def test_six_killed_syncs_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    settings = CrashSettings(runs=6, records=60, seed=7, chunk=20, triggered=0.5)
    report = run_crash_test(tmp_path, settings, log=lambda _: None)
    totals = report.totals()
    assert totals["runs"] == 6
    assert report.rows_at_end > 60  # rows were appended between runs
    failures = {k: totals[k] for k in (
        "records_lost", "duplicates", "version_errors", "ledger_failures", "account_failures",
        "outbox_left", "recovery_failures",
    )}
    assert failures == dict.fromkeys(failures, 0), report.as_json()["failures"]


def test_a_sync_killed_after_its_first_commit_is_delivered_once_by_recovery(
    space: Workspace,
) -> None:
    space.relay.switch.hold()  # nothing reaches the insurer until the sync is dead
    try:
        proc = space.start_sync()
        exited = kill_when(proc, lambda: stores.open_submissions(space.store) > 0, 120.0)
    finally:
        space.relay.switch.release()
    assert exited is None, "the sync finished before any submission was committed"
    committed = space.gateway_view().with_status("pending")
    assert committed
    assert not committed & stores.insurer_ids(space.insurer_state), "killed after delivery"

    recovery = space.sync("recovery.log")

    assert recovery.returncode == 0, recovery.output
    after = space.gateway_view()
    assert committed <= after.with_status("delivered")
    assert committed <= stores.insurer_ids(space.insurer_state)
    assert all(_ledger_entries(space, sid) == 1 for sid in committed)
    findings = _findings(space)
    assert (findings.lost, findings.duplicates, findings.version_errors) == (0, 0, 0)
    assert space.check(recovery).failed() is False


def test_a_second_sync_is_refused_and_a_killed_sync_leaves_no_lock(space: Workspace) -> None:
    holder = space.start_sync()
    try:
        assert _wait_for(lambda: bool(space.gateway_view().runs)), "the sync never began a run"
        holder.send_signal(signal.SIGSTOP)  # frozen while it holds the store
        second = run_gateway("sync", "--config", str(space.config),
                             log=space.root / "second.log", cwd=space.root, timeout=120)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert second.returncode != 0
    assert "lock" in second.output.lower()

    recovery = space.sync("recovery.log")

    assert recovery.returncode == 0, recovery.output
    assert space.check(recovery).failed() is False


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def test_the_checks_notice_a_lost_record_and_a_duplicate(space: Workspace) -> None:
    """The harness's own check, on a tampered copy of the insurer's state (a lost submission,
    then one stored twice): a check that cannot fail would prove nothing."""
    done = space.sync()
    assert done.returncode == 0, done.output
    assert _findings(space).failed() is False
    with sqlite3.connect(space.insurer_state) as conn:
        sid, attachments = conn.execute(
            "SELECT submission_id, attachments FROM submissions WHERE attachments > 0 LIMIT 1"
        ).fetchone()
        conn.execute(
            "INSERT INTO submissions SELECT submission_id || '-copy', exporter_id, kid, "
            "payload_sha256, received_at, attachments, jws, receipt_id || '-copy', receipt_jws "
            "FROM submissions WHERE submission_id = ?", (sid,),
        )
    assert _findings(space).duplicates == attachments
    with sqlite3.connect(space.insurer_state) as conn:
        conn.execute("DELETE FROM submissions WHERE submission_id LIKE ?", (f"{sid}%",))
    lost = _findings(space)
    assert lost.lost == attachments
    assert lost.duplicates == 0
