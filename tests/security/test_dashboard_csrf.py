"""Cross-site request forgery on the dashboard, one test per attack.

The dashboard's sign-in routes and protected test routes run under uvicorn on loopback
(tests/unit/auth/web_kit.py, whose ``assert_csrf_enforced`` other dashboard routes reuse) over
a real SQLite store; sessions are real tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.auth.web import SESSION_COOKIE
from tests.unit.auth.web_kit import (
    Served,
    assert_csrf_enforced,
    csrf_attacks,
    csrf_of,
    served,
    session_cookie,
    sign_in,
)


@pytest.fixture
def dash(tmp_path: Path) -> Iterator[Served]:
    with served(tmp_path) as running:
        yield running


def still_signed_in(dash: Served, token: str) -> bool:
    with dash.client() as client:
        return client.get("/ui/", headers={"Cookie": f"{SESSION_COOKIE}={token}"}).is_success


def test_logout_without_the_csrf_token_is_refused(dash: Served) -> None:
    """Forced sign-out from another site: refused, and the session keeps working."""
    with sign_in(dash.url, "officer") as client:
        token = session_cookie(client)
        answers = csrf_attacks(client, "/ui/logout", form={})
        assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 403)
        assert all(SESSION_COOKIE not in a.headers.get("set-cookie", "") for a in answers.values())
    assert still_signed_in(dash, token)


def test_logout_with_the_token_signs_out_and_clears_the_cookie(dash: Served) -> None:
    with sign_in(dash.url, "officer") as client:
        token = session_cookie(client)
        answer = client.post(
            "/ui/logout", data={"csrf_token": csrf_of(client)}, headers={"Origin": dash.url}
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/ui/login")
        cleared = answer.headers["set-cookie"]
        assert cleared.startswith(f'{SESSION_COOKIE}=""') and "Max-Age=0" in cleared
        assert "Path=/ui" in cleared
    assert not still_signed_in(dash, token)


def test_a_state_changing_route_refuses_posts_without_the_csrf_token(dash: Served) -> None:
    """The same four attacks on a JSON route (header token) and a form route (field token)."""
    with sign_in(dash.url, "officer") as client:
        assert_csrf_enforced(client, "/ui/policy/activate", json_body={"version": "x"})
        assert_csrf_enforced(client, "/ui/sync", form={"note": "now"})
        assert dash.actions == []
        token = csrf_of(client)
        by_header = client.post(
            "/ui/policy/activate", json={}, headers={"X-CSRF-Token": token, "Origin": dash.url}
        )
        by_field = client.post("/ui/sync", data={"csrf_token": token})  # no Origin: allowed
    assert (by_header.status_code, by_field.status_code) == (200, 200)
    assert dash.actions == ["activate by officer", "sync by officer"]


def test_another_sessions_csrf_token_is_refused(dash: Served) -> None:
    """A token is bound to its session: one stolen from another sign-in is of no use."""
    with sign_in(dash.url, "admin") as other:
        foreign = csrf_of(other)
    with sign_in(dash.url, "officer") as client:
        answer = client.post("/ui/sync", data={"csrf_token": foreign})
    assert answer.status_code == 403
    assert dash.actions == []


def test_the_csrf_token_is_not_accepted_from_the_query_string(dash: Served) -> None:
    """Tokens in URLs leak through logs and history; only the header or the form body count."""
    with sign_in(dash.url, "officer") as client:
        answer = client.post("/ui/sync", params={"csrf_token": csrf_of(client)})
    assert answer.status_code == 403
    assert dash.actions == []
