"""A bug deep in a request must not leak record contents or the webhook secret through the 500
answer, a traceback or a log line.

The app runs under uvicorn on loopback with a real SQLite store. The failure is forced with a
fake: ``to_item`` (the mapping step) is replaced by one that raises with the pushed row and the
secret in its message, the worst case of a real bug; no real input makes the real step fail
that way. Every log record (root, ``gateway`` and uvicorn's own loggers, tracebacks formatted
in) and everything written to stdout/stderr is inspected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import PolicyError
from gateway.pipeline import Runtime
from gateway.service import push as service_push
from tests.security.service_support import CANARY, Gateway, build_test_runtime, serve, valid_body

SECRET = "CanarySecretK9q2Xw7Lp4Zt8Rv3Ns6Bm1Hd5Fg0J"
LOGGERS = ("", "gateway", "uvicorn", "uvicorn.error", "uvicorn.access")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # includes a formatted traceback, if any


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return build_test_runtime(tmp_path_factory.mktemp("internal-errors"))


@pytest.fixture
def gateway(runtime: Runtime, tmp_path: Path) -> Iterator[Gateway]:
    with serve(runtime, tmp_path / "gateway.sqlite3", secret=SECRET) as gw:
        yield gw


@pytest.fixture
def logs() -> Iterator[_Collect]:
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)


def _leaky_bug(kind: type[Exception]) -> Any:
    def to_item(record: Mapping[str, Any], *_: Any, **__: Any) -> Any:
        raise kind(f"cannot map {dict(record)!r} signed with {SECRET}")

    return to_item


@pytest.mark.parametrize("kind", [KeyError, RuntimeError, PolicyError])
def test_an_internal_error_leaks_neither_the_record_nor_the_secret(
    gateway: Gateway, logs: _Collect, capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, kind: type[Exception],
) -> None:
    monkeypatch.setattr(service_push, "to_item", _leaky_bug(kind))
    response = gateway.post(valid_body())
    assert response.status_code == 500
    assert response.json() in ({"error": "internal error"}, {"error": kind.__name__})
    assert response.headers["x-content-type-options"] == "nosniff"
    out, err = capfd.readouterr()
    logged = "\n".join(logs.lines)
    assert kind.__name__ in logged  # the failure is logged, by class name
    for text in (response.text, logged, out, err):
        assert CANARY not in text
        assert SECRET not in text
        assert "Traceback" not in text
    assert gateway.nothing_processed()
