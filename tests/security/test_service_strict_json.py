"""Ambiguous or oversized JSON in a signed push, one test per construct.

Each attack is sent correctly signed (so it reaches the parser) to the app under uvicorn on
loopback with a real SQLite store, and must be refused with 422 before anything is processed;
the parser's own reason is checked on ``gateway.service.body.parse_body`` directly, since the
HTTP answer is deliberately generic.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.pipeline import Runtime
from gateway.service.body import MAX_DEPTH, MAX_INT, BodyError, parse_body
from tests.security.service_support import MAX_BODY, ROW, Gateway, build_test_runtime, serve


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return build_test_runtime(tmp_path_factory.mktemp("strict-json"))


@pytest.fixture
def gateway(runtime: Runtime, tmp_path: Path) -> Iterator[Gateway]:
    with serve(runtime, tmp_path / "gateway.sqlite3") as gw:
        yield gw


def _row_with(raw_amount: bytes) -> bytes:
    row = json.dumps({**ROW, "amount": "@"}).encode().replace(b'"@"', raw_amount)
    return b'{"records": [' + row + b"]}"


def _refused(gw: Gateway, body: bytes) -> bool:
    response = gw.post(body)
    return response.status_code == 422 and response.json() == {
        "detail": "body is not a valid record push"
    }


def test_duplicate_json_keys_are_refused(gateway: Gateway) -> None:
    """Two parsers could keep different duplicates: ``amount`` would mean two things."""
    row = json.dumps(ROW)[:-1] + ', "amount": "9999999.00"}'
    inner = b'{"records": [' + row.encode() + b"]}"
    top = b'{"source": "erp", "source": "other", "records": [' + json.dumps(ROW).encode() + b"]}"
    for body in (inner, top):
        with pytest.raises(BodyError, match="duplicate object key"):
            parse_body(body)
        assert _refused(gateway, body)
    assert gateway.nothing_processed()


def test_nan_and_infinity_are_refused(gateway: Gateway) -> None:
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        with pytest.raises(BodyError, match="NaN or Infinity"):
            parse_body(_row_with(constant))
        assert _refused(gateway, _row_with(constant)), constant
    assert gateway.nothing_processed()


def test_floating_point_numbers_are_refused(gateway: Gateway) -> None:
    """Money is never a float: 1000.10 must not silently become 1000.0999..."""
    for number in (b"1000.10", b"1e3", b"-0.0"):
        with pytest.raises(BodyError, match="floating-point"):
            parse_body(_row_with(number))
        assert _refused(gateway, _row_with(number)), number
    assert gateway.nothing_processed()


def test_integers_beyond_the_bound_are_refused(gateway: Gateway) -> None:
    assert parse_body(_row_with(str(MAX_INT).encode()))["records"][0]["amount"] == MAX_INT
    for number in (MAX_INT + 1, -(MAX_INT + 1), 10**40):
        with pytest.raises(BodyError, match="integer beyond"):
            parse_body(_row_with(str(number).encode()))
        assert _refused(gateway, _row_with(str(number).encode())), number
    huge = b"9" * 5000  # past CPython's digit cap: refused before it is converted
    with pytest.raises(BodyError, match="integer longer than"):
        parse_body(_row_with(huge))
    assert _refused(gateway, _row_with(huge))
    assert gateway.nothing_processed()


def test_nesting_beyond_the_bound_is_refused(gateway: Gateway) -> None:
    def nested(depth: int) -> bytes:  # ``depth`` containers in all, the outer object included
        inner = depth - 3  # {"records": [{"amount": ...}]} is three
        return _row_with(b"[" * inner + b"]" * inner)

    assert parse_body(nested(MAX_DEPTH))["records"][0]["amount"] == [[[[[]]]]]
    with pytest.raises(BodyError, match=f"nested deeper than {MAX_DEPTH}"):
        parse_body(nested(MAX_DEPTH + 1))
    assert _refused(gateway, nested(MAX_DEPTH + 1))
    deep = nested(3900)  # deeper than the interpreter's recursion limit: no RecursionError leaks
    assert len(deep) <= MAX_BODY  # so the answer below is the parser's, not the size limit's
    with pytest.raises(BodyError, match="nested too deeply"):
        parse_body(deep)
    assert _refused(gateway, deep)
    assert gateway.nothing_processed()
