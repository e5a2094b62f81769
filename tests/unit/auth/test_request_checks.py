"""Same-origin checks and the ``next`` redirect target (no open redirect)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from gateway.auth.request_checks import safe_next, same_origin


def request(headers: dict[str, str], scheme: str = "http") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "scheme": scheme, "path": "/ui/login",
                    "query_string": b"", "headers": raw, "server": ("127.0.0.1", 8700)})


@pytest.mark.parametrize(
    "target",
    ["/ui", "/ui/", "/ui/ledger", "/ui/ledger?buyer=a&date_from=2026-01-01", "/ui/ledger/sub_1",
     "/ui?x=1", "/ui#top"],
)
def test_local_dashboard_paths_are_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\\evil.example", "https://evil.example/ui", "http:/ui", "/ui\\@evil",
     "//evil.example/ui", "/uievil", "/v1/records", "javascript:alert(1)", "/ui/\r\nSet-Cookie:x",
     "/ui/ x", "\\\\evil", "", None, "/ui/" + "a" * 3000, "ui/ledger", "/ui/\x00"],
)
def test_anything_else_goes_to_the_overview(target: str | None) -> None:
    assert safe_next(target) == "/ui/"


def test_same_origin_accepts_the_own_origin_or_no_origin() -> None:
    assert same_origin(request({"host": "gw.local:8700", "origin": "http://gw.local:8700"}))
    assert same_origin(request({"host": "gw.local:8700"}))
    assert same_origin(request({"host": "gw.local:8700", "sec-fetch-site": "same-origin"}))


@pytest.mark.parametrize(
    "headers",
    [
        {"host": "gw.local:8700", "origin": "http://evil.example"},
        {"host": "gw.local:8700", "origin": "http://gw.local:8701"},
        {"host": "gw.local:8700", "origin": "https://gw.local:8700"},
        {"host": "gw.local:8700", "origin": "null"},
        {"host": "gw.local:8700", "sec-fetch-site": "cross-site"},
        {"host": "gw.local:8700", "sec-fetch-site": "same-site"},
        {"origin": "http://gw.local:8700"},
    ],
)
def test_same_origin_refuses_other_origins(headers: dict[str, str]) -> None:
    assert not same_origin(request(headers))


def test_behind_a_tls_proxy_the_https_origin_is_the_own_one() -> None:
    proxied = request({"host": "gw.example", "origin": "https://gw.example"})
    assert not same_origin(proxied)
    assert same_origin(proxied, tls=True)
    assert not same_origin(request({"host": "gw.example", "origin": "https://evil"}), tls=True)
