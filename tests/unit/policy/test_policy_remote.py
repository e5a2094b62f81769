"""OpaEngine's handling of what an OPA server answers, against canned answers over real HTTP.

OPA itself cannot be installed here. These tests use a stand-in: a real ``http.server`` on a
loopback port that answers the start-up checks (``operators``, ``settings``) with the policy's
real values and answers ``decisions`` with whatever body the test sets, so that each malformed
or hostile answer can be produced exactly. Decisions evaluated by Rego behind a REST server are
covered in ``tests/integration/test_policy_remote_opa.py``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gateway.adapters.policy_opa import OpaEngine
from gateway.errors import ConfigError, PolicyError
from gateway.policy import PolicyBundle, RegoEngine
from gateway.policy.decision import (
    POLICY_ERROR,
    POLICY_INPUT,
    POLICY_MALFORMED,
    POLICY_TIMEOUT,
    POLICY_UNDEFINED,
)
from gateway.settings import PolicySettings as PolicyConfig

ATTACH = {"outcome": "attach", "fields": {"currency": ["keep"]}}


class Canned:
    """What the stand-in server answers; ``seen`` records request paths and auth headers."""

    def __init__(self, operators: Any, settings: Any) -> None:
        self.start = {"operators": operators, "settings": settings}
        self.status = 200
        self.body: bytes = b"{}"
        self.trickle_s = 0.0
        self.seen: list[tuple[str, str | None]] = []


def _handler(canned: Canned) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.canned_seen()
            rule = self.path.rsplit("/", 1)[-1]
            if rule in canned.start:
                status, body = 200, json.dumps({"result": canned.start[rule]}).encode()
            else:
                status, body = canned.status, canned.body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            chunks = [body[i : i + 1] for i in range(len(body))] if canned.trickle_s else [body]
            try:
                for chunk in chunks:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    time.sleep(canned.trickle_s)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on a trickling answer, as it should

        def canned_seen(self) -> None:
            canned.seen.append((self.path, self.headers.get("Authorization")))

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture
def canned(default_engine: RegoEngine) -> Canned:
    return Canned(default_engine.operators(), default_engine.settings().model_dump(mode="json"))


@pytest.fixture
def url(canned: Canned) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(canned))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


def _reasons(engine: OpaEngine, count: int = 3) -> list[str | None]:
    """Decide ``count`` records that differ in what the policy sees (its projection), so each
    is asked of the server, in one request."""
    currencies = ["EUR", "USD", "JPY", "GBP", "KRW", "CNY"]
    return [d.reason for d in engine.decide([{"currency": c} for c in currencies[:count]])]


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (200, {"result": {"0": ATTACH, "1": ATTACH, "2": {"outcome": "maybe"}}}, None),
        (200, {"result": ["not", "an", "object"]}, POLICY_MALFORMED),
        (200, {"result": {"0": ATTACH, "7": ATTACH}}, POLICY_MALFORMED),
        (200, {"decision_id": "x"}, POLICY_UNDEFINED),
        (200, ["result"], POLICY_ERROR),
        (404, {"result": {"0": ATTACH}}, POLICY_ERROR),
    ],
)
def test_bad_answers_withhold_the_batch(
    default_bundle: PolicyBundle, canned: Canned, url: str, status: int, body: Any, reason: str
) -> None:
    engine = OpaEngine(default_bundle, url, timeout_s=2.0)
    canned.status, canned.body = status, json.dumps(body).encode()
    if reason is None:  # per-record: the two good decisions stand, the bad one is malformed
        assert _reasons(engine) == [None, None, POLICY_MALFORMED]
    else:
        assert _reasons(engine) == [reason] * 3


def test_missing_decision_is_undefined_and_non_json_is_error(
    default_bundle: PolicyBundle, canned: Canned, url: str
) -> None:
    engine = OpaEngine(default_bundle, url, timeout_s=2.0)
    canned.body = json.dumps({"result": {"1": ATTACH}}).encode()
    assert _reasons(engine) == [POLICY_UNDEFINED, None, POLICY_UNDEFINED]
    canned.body = b"<html>proxy error</html>"
    # The decision the server reached for the second record stands (cached for this policy
    # version); the undefined ones were not remembered, are asked again, and fail.
    assert _reasons(engine) == [POLICY_ERROR, None, POLICY_ERROR]
    assert _reasons(OpaEngine(default_bundle, url, timeout_s=2.0)) == [POLICY_ERROR] * 3


def test_answer_trickling_in_past_the_timeout_is_a_timeout(
    default_bundle: PolicyBundle, canned: Canned, url: str
) -> None:
    """Each byte arrives well within the read timeout; the whole answer does not."""
    engine = OpaEngine(default_bundle, url, timeout_s=0.4)
    canned.body = json.dumps({"result": {"0": ATTACH}}).encode()
    canned.trickle_s = 0.05
    assert _reasons(engine, 1) == [POLICY_TIMEOUT]


def test_inexact_input_is_not_sent(default_bundle: PolicyBundle, canned: Canned, url: str) -> None:
    engine = OpaEngine(default_bundle, url, timeout_s=2.0)
    canned.body = json.dumps({"result": {"0": ATTACH}}).encode()
    decisions = engine.decide([{"currency": 1.5}, {"currency": "EUR"}])  # a projected field
    assert [d.reason for d in decisions] == [POLICY_INPUT, None]


def test_token_is_sent_and_data_api_paths_are_used(
    default_bundle: PolicyBundle, canned: Canned, url: str
) -> None:
    engine = OpaEngine(default_bundle, url, timeout_s=2.0, token="s3cret-token")
    canned.body = json.dumps({"result": {"0": ATTACH}}).encode()
    engine.decide([{"currency": "EUR"}])
    base = "/v1/data/redaction/export_record/"
    assert canned.seen == [
        (base + "operators", "Bearer s3cret-token"),
        (base + "settings", "Bearer s3cret-token"),
        (base + "decisions", "Bearer s3cret-token"),
    ]


def test_refuses_other_operators(default_bundle: PolicyBundle, canned: Canned, url: str) -> None:
    canned.start["operators"] = {"keep": {"type": "keep"}}
    with pytest.raises(PolicyError, match="different operators"):
        OpaEngine(default_bundle, url, timeout_s=2.0)


def test_refuses_server_answering_500_at_start(
    default_bundle: PolicyBundle, canned: Canned, url: str
) -> None:
    canned.start.clear()
    canned.status = 500
    with pytest.raises(PolicyError, match="cannot read the policy"):
        OpaEngine(default_bundle, url, timeout_s=2.0)


def test_engine_refuses_bad_batch_size(default_bundle: PolicyBundle) -> None:
    with pytest.raises(ConfigError):
        OpaEngine(default_bundle, "http://127.0.0.1:9", batch_size=0)


def test_settings_opa_needs_a_url_without_credentials() -> None:
    assert PolicyConfig(engine="opa", opa_url="http://opa:8181/").opa_url == "http://opa:8181"
    with pytest.raises(ValueError, match="needs opa_url"):
        PolicyConfig(engine="opa")
    with pytest.raises(ValueError, match="without credentials"):
        PolicyConfig(engine="opa", opa_url="http://user:pw@opa:8181")
