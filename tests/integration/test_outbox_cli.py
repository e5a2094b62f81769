"""``gateway outbox list|inspect|retry``, run in-process through typer's CliRunner.

Real gateway keys, the reference insurer (2048-bit Paillier key) over loopback HTTP, real SQLite
stores. "The insurer is down" is a closed loopback port; the ``[delivery]`` section retries at
once (tiny delays), gives up after two attempts and does not wait, so a sync leaves a failed
entry and the next one makes it dead.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from gateway.cli import app
from gateway.devsetup import DevInsurer, create_dev_insurer, write_config
from gateway.examples.insurer_api import RunningServer, create_app, load_config, serve_in_thread
from gateway.keys import generate_gateway_keys
from gateway.runtime import open_store
from gateway.settings import load_settings
from gateway.store import Submission, SubmissionStatus

EXPORTER = "exporter-outbox"
CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GATEWAY_")}
DELIVERY = (
    "\n[delivery]\nmax_attempts = 2\nbase_delay_s = 0.001\nmax_delay_s = 0.001\n"
    "wait_s = 0\nbreaker_threshold = 100\n"
)


def gateway(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=CLEAN_ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _payload(jws: str) -> dict[str, Any]:
    segment = jws.split(".")[1]
    doc: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return doc


@dataclass
class Setup:
    config: Path
    insurer: DevInsurer

    def run(self, *args: str) -> Result:
        return gateway(*args, "--config", str(self.config))

    def entries(self) -> list[Submission]:
        with open_store(load_settings(self.config)) as store:
            return store.list_submissions()

    def serve(self) -> RunningServer:
        """Start the insurer and point the configuration at it."""
        server = serve_in_thread(create_app(load_config(self.insurer.config_path)))
        text = self.config.read_text(encoding="utf-8")
        self.config.write_text(
            re.sub(r'^url = ".*"$', f'url = "{server.base_url}"', text, flags=re.M), "utf-8"
        )
        return server

    def at_insurer(self) -> list[str]:
        """Submission ids the insurer accepted, in arrival order."""
        path = self.insurer.directory / "insurer-state.sqlite3"
        if not path.exists():
            return []
        conn = sqlite3.connect(path)
        try:
            return [r[0] for r in conn.execute("SELECT submission_id FROM submissions")]
        finally:
            conn.close()


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    """A configuration whose insurer is down (nothing listens on its port)."""
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    export = tmp_path / "export.csv"
    sample = resources.files("gateway.examples").joinpath("erp", "sample_export.csv")
    export.write_bytes(sample.read_bytes())
    config = write_config(
        tmp_path, exporter_id=EXPORTER, keys=keys, insurer=insurer, sources=[("erp", export)],
        insurer_url=_closed_port_url(),
    )
    with config.open("a", encoding="utf-8") as fh:
        fh.write(DELIVERY)
    return Setup(config, insurer)


@pytest.fixture
def delivered(setup: Setup) -> Iterator[Setup]:
    """One sync delivered to a running insurer."""
    server = setup.serve()
    try:
        assert setup.run("sync").exit_code == 0
        yield setup
    finally:
        server.stop()


def test_an_empty_outbox_says_so(setup: Setup) -> None:
    done = setup.run("outbox", "list")
    assert done.exit_code == 0 and done.stdout.strip() == "the outbox is empty"
    assert json.loads(setup.run("outbox", "list", "--json").stdout) == []


def test_failed_entries_are_listed_and_retry_all_dead_delivers_them_once(setup: Setup) -> None:
    assert setup.run("sync").exit_code == 1
    (entry,) = setup.entries()
    assert entry.status is SubmissionStatus.FAILED and entry.attempts == 1

    listed = setup.run("outbox", "list")
    assert listed.exit_code == 0
    (row,) = [ln for ln in listed.stdout.splitlines() if ln.startswith(f"  {entry.submission_id}")]
    assert re.search(r"\s0\s+failed\s+1\s+\d{4}-\d\d-\d\dT", row)
    assert "cannot reach insurer" in listed.stdout
    doc = json.loads(setup.run("outbox", "list", "--json", "--status", "failed").stdout)
    assert [d["submission_id"] for d in doc] == [entry.submission_id]
    assert doc[0]["next_attempt_at"] is not None and "jws" not in doc[0]
    signature = entry.jws.rsplit(".", 1)[1]
    assert signature not in listed.stdout and signature not in json.dumps(doc)

    setup.run("sync")  # the second failed attempt is the last one
    dead = json.loads(setup.run("outbox", "list", "--json", "--status", "dead").stdout)
    assert [(d["submission_id"], d["attempts"]) for d in dead] == [(entry.submission_id, 2)]
    assert dead[0]["last_error"].startswith("gave up after 2 attempts")

    server = setup.serve()
    try:
        retried = setup.run("outbox", "retry", "--all-dead")
        nothing_left = setup.run("outbox", "retry", "--all-dead")
    finally:
        server.stop()
    assert retried.exit_code == 0, retried.output
    assert f"delivered {entry.submission_id}" in retried.stdout
    assert "delivered: 1, failed: 0, dead: 0" in retried.stdout
    assert setup.at_insurer() == [entry.submission_id]
    with open_store(load_settings(setup.config)) as store:
        now = store.get_submission(entry.submission_id)
        receipt = store.get_receipt(entry.submission_id)
        ledger = store.ledger_entries()
    assert now is not None and now.status is SubmissionStatus.DELIVERED
    assert receipt is not None
    assert [(e.submission_id, e.receipt_id) for e in ledger] == [
        (entry.submission_id, receipt.receipt_id)
    ]
    assert nothing_left.exit_code == 0 and "no dead entries" in nothing_left.stdout


def test_retry_without_delivery_only_requeues(setup: Setup) -> None:
    assert setup.run("sync").exit_code == 1
    (entry,) = setup.entries()
    done = setup.run("outbox", "retry", entry.submission_id, "--no-deliver")
    assert done.exit_code == 0 and f"requeued 1: {entry.submission_id}" in done.stdout
    (now,) = setup.entries()
    assert (now.status, now.attempts, now.next_attempt_at) == (SubmissionStatus.PENDING, 0, None)

    still_down = setup.run("outbox", "retry", entry.submission_id)
    assert still_down.exit_code == 1
    assert f"failed {entry.submission_id}" in still_down.stdout
    (after,) = setup.entries()
    assert (after.status, after.attempts) == (SubmissionStatus.FAILED, 1)


def test_retry_refuses_unknown_and_delivered_entries(delivered: Setup) -> None:
    (entry,) = delivered.entries()
    for args, message in (
        ((entry.submission_id,), f"outbox entry {entry.submission_id} is already delivered"),
        (("sub_0000",), "no outbox entry 'sub_0000'"),
        ((), "name the outbox entries to retry, or give --all-dead"),
    ):
        done = delivered.run("outbox", "retry", *args)
        assert done.exit_code == 2, args
        assert message in done.stderr
    assert delivered.entries()[0].attempts == 1


def test_inspect_shows_an_overview_and_the_attachments_only_on_request(
    delivered: Setup,
) -> None:
    (entry,) = delivered.entries()
    payload = _payload(entry.jws)
    values = {
        value
        for attachment in payload["attachments"]
        for key, value in attachment.items()
        if key in ("invoice_number", "buyer.name")
    }
    assert len(values) > 10
    with open_store(load_settings(delivered.config)) as store:
        receipt = store.get_receipt(entry.submission_id)
    assert receipt is not None

    shown = delivered.run("outbox", "inspect", entry.submission_id)
    assert shown.exit_code == 0
    assert "schema: ecg.submission/1" in shown.stdout
    assert f"attachments: {len(payload['attachments'])}" in shown.stdout
    assert f"exposure_buckets: {len(payload['exposure']['buckets'])}" in shown.stdout
    assert f"receipt_id: {receipt.receipt_id}" in shown.stdout
    assert "seq: 0" in shown.stdout
    assert not any(value in shown.stdout for value in values)
    assert entry.jws.rsplit(".", 1)[1] not in shown.stdout

    doc = json.loads(delivered.run("outbox", "inspect", entry.submission_id, "--json").stdout)
    assert doc["payload"]["attachments"] == len(payload["attachments"])
    assert doc["payload"]["policy"] == payload["policy"]
    assert doc["ledger"]["submission_id"] == entry.submission_id
    assert "attachments" not in doc

    full = delivered.run("outbox", "inspect", entry.submission_id, "--json", "--show-payload")
    assert json.loads(full.stdout)["attachments"] == payload["attachments"]
    assert "warning" in full.stderr
    missing = delivered.run("outbox", "inspect", "sub_0000")
    assert missing.exit_code == 2 and "no outbox entry 'sub_0000'" in missing.stderr
