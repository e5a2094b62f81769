"""Attacks on dashboard sign-in, one test each.

The dashboard's sign-in routes and protected test routes run under uvicorn on loopback
(tests/unit/auth/web_kit.py) over a real SQLite store with real argon2id hashes; tokens are
forged with real keys; time is an injected clock.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from argon2 import PasswordHasher

from gateway.auth import Role, SessionManager, change_password, set_disabled, set_role
from gateway.auth.web import SESSION_COOKIE, SIGN_IN_FAILED
from gateway.store import UserRecord
from tests.unit.auth.web_kit import (
    PASSWORD,
    Served,
    login,
    served,
    session_cookie,
    sign_in,
)


@pytest.fixture
def dash(tmp_path: Path) -> Iterator[Served]:
    with served(tmp_path, login_attempts=3, login_pause_s=60) as running:
        yield running


def with_token(dash: Served, token: str, *, html: bool = False) -> httpx.Response:
    """GET the overview with ``token`` as the session cookie, from a fresh client."""
    headers = {"Cookie": f"{SESSION_COOKIE}={token}"}
    if html:
        headers["Accept"] = "text/html"
    with dash.client() as client:
        return client.get("/ui/", headers=headers)


def signed_in_as(dash: Served, token: str) -> bool:
    answer = with_token(dash, token)
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def token_of(dash: Served, name: str) -> str:
    """Sign ``name`` in and keep only the session cookie."""
    with sign_in(dash.url, name) as client:
        return session_cookie(client)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_session_forged_with_another_key_is_refused(dash: Served) -> None:
    stored = dash.store.get_user("officer")
    assert stored is not None
    forged, _ = SessionManager(os.urandom(32), 3600, clock=dash.clock).issue(stored)
    assert not signed_in_as(dash, forged)
    genuine, _ = dash.ctx.sessions.issue(stored)
    assert signed_in_as(dash, genuine)


def test_an_expired_session_is_refused(dash: Served) -> None:
    token = token_of(dash, "auditor")
    assert signed_in_as(dash, token)
    dash.clock.now += 3600
    assert not signed_in_as(dash, token)


def test_a_session_with_alg_none_is_refused(dash: Served) -> None:
    claims = claims_of(token_of(dash, "auditor")) | {"role": "compliance"}
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{header}.{b64(json.dumps(claims).encode())}."
    assert not signed_in_as(dash, unsigned)


def test_an_edited_role_claim_is_refused(dash: Served) -> None:
    token = token_of(dash, "auditor")
    header, _, signature = token.split(".")
    claims = claims_of(token) | {"role": "compliance"}
    assert not signed_in_as(dash, f"{header}.{b64(json.dumps(claims).encode())}.{signature}")


def test_a_session_ends_when_the_password_changes(dash: Served) -> None:
    token = token_of(dash, "officer")
    change_password(dash.store, "officer", "a brand new password 2026")
    assert not signed_in_as(dash, token)


def test_a_session_ends_when_the_user_is_disabled(dash: Served) -> None:
    token = token_of(dash, "officer")
    set_disabled(dash.store, "officer", True)
    assert not signed_in_as(dash, token)
    set_disabled(dash.store, "officer", False)
    assert not signed_in_as(dash, token)  # enabling again does not revive old sessions


def test_a_session_ends_when_the_role_changes(dash: Served) -> None:
    token = token_of(dash, "officer")
    set_role(dash.store, "officer", Role.AUDITOR)
    assert not signed_in_as(dash, token)


def test_a_session_stops_working_after_sign_out(dash: Served) -> None:
    with sign_in(dash.url, "officer") as client:
        token = session_cookie(client)
        form = {"csrf_token": str(claims_of(token)["csrf"])}
        answer = client.post("/ui/logout", data=form, headers={"Origin": dash.url})
    assert answer.status_code == 303
    assert not signed_in_as(dash, token)  # a copy of the cookie is useless too


def test_a_role_without_the_permission_is_refused(dash: Served) -> None:
    """Privilege escalation: an auditor and an administrator try the compliance officer's work."""
    for name in ("auditor", "admin"):
        with sign_in(dash.url, name) as client:
            assert client.get("/ui/policy").status_code == 403
            token = claims_of(session_cookie(client))["csrf"]
            answer = client.post(
                "/ui/policy/activate", headers={"X-CSRF-Token": str(token), "Origin": dash.url}
            )
        assert answer.status_code == 403
    assert dash.actions == []
    with sign_in(dash.url, "officer") as client:
        assert client.get("/ui/policy").json() == {"editor": "officer"}


def test_without_a_session_pages_send_to_sign_in_and_the_api_says_401(dash: Served) -> None:
    with dash.client() as client:
        page = client.get("/ui/?x=1", headers={"Accept": "text/html"})
        assert page.status_code == 303
        location = urlsplit(page.headers["location"])
        assert location.path == "/ui/login"
        assert parse_qs(location.query) == {"next": ["/ui/?x=1"]}
        assert client.get("/ui/").status_code == 401
        assert client.post("/ui/sync").status_code == 401
    assert dash.actions == []


def test_a_cross_origin_sign_in_post_is_refused(dash: Served) -> None:
    """Login CSRF: another site posting its own credentials to sign the victim in."""
    with dash.client() as client:
        for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            answer = login(client, "officer", PASSWORD, headers=headers)
            assert answer.status_code == 403
            assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
        assert login(client, "officer", PASSWORD).status_code == 303


OFF_SITE = (
    "//evil.example/ui", "/\\evil.example", "https://evil.example/ui/", "/ui\\..\\evil",
    "http://127.0.0.1:1/ui/", "/uievil", "/v1/submissions", "javascript:alert(1)",
)


def test_sign_in_never_redirects_off_the_dashboard(dash: Served) -> None:
    """Open redirect: ``next`` pointing anywhere but a local /ui path lands on the overview."""
    with dash.client() as client:
        for target in OFF_SITE:
            answer = login(client, "auditor", PASSWORD, next_=target)
            assert (answer.status_code, answer.headers["location"]) == (303, "/ui/"), target
            page = client.get("/ui/login", params={"next": target})
            assert page.headers["location"] == "/ui/", target  # signed in: the same rule


def test_a_local_next_is_followed(dash: Served) -> None:
    with dash.client() as client:
        answer = login(client, "auditor", PASSWORD, next_="/ui/ledger?buyer=x")
        assert answer.headers["location"] == "/ui/ledger?buyer=x"


def test_password_guessing_is_paused_per_user(dash: Served) -> None:
    with dash.client() as client:
        for i in range(3):
            assert login(client, "officer", f"guess number {i:04d}").status_code == 401
        paused = login(client, "officer", PASSWORD)  # even the right password waits
        assert paused.status_code == 429
        assert paused.headers["retry-after"] == "60"
        assert SESSION_COOKIE not in paused.headers.get("set-cookie", "")
        dash.clock.now += 60
        assert login(client, "officer", PASSWORD).status_code == 303


def test_a_parallel_burst_of_guesses_gets_no_more_tries_in(dash: Served) -> None:
    """Guesses sent all at once, before any has failed, are still capped at the attempt count."""

    def guess(i: int) -> int:
        with dash.client() as client:
            return login(client, "officer", f"parallel guess {i:04d}").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(guess, range(8)))
    assert sorted(statuses) == [401] * 3 + [429] * 5
    with dash.client() as client:
        assert login(client, "officer", PASSWORD).status_code == 429


def test_password_spraying_is_paused_per_address(dash: Served) -> None:
    with dash.client() as client:
        for name in ("officer", "admin", "nobody"):
            assert login(client, name, "a wrong password!").status_code == 401
        answer = login(client, "auditor", PASSWORD)
        assert answer.status_code == 429
        assert int(answer.headers["retry-after"]) == 60


def test_unknown_and_known_user_names_get_the_same_answer_and_the_same_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """User name enumeration: the answer and the argon2 work do not depend on the name.

    ``PasswordHasher.verify`` is wrapped (still doing the real work) to count verifications.
    """
    with served(tmp_path) as dash:
        answers = attempts_by_name(dash, monkeypatch)
    assert len({repr(a) for a in answers.values()}) == 1, answers
    status, text, work = answers["officer"]
    assert status == 401 and SIGN_IN_FAILED in text and work == ["verify"]


def attempts_by_name(
    dash: Served, monkeypatch: pytest.MonkeyPatch
) -> dict[str, tuple[int, str, list[str]]]:
    """One wrong sign-in each for a real user, two unknown names and a disabled user."""
    set_disabled(dash.store, "admin", True)
    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append("verify")
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    answers: dict[str, tuple[int, str, list[str]]] = {}
    with dash.client() as client:
        for name in ("officer", "nobody12", "admin123", "admin"):  # wrong pw, unknown, disabled
            calls.clear()
            answer = login(client, name, "not the password 1")
            text = answer.text.replace(f'value="{name}"', 'value="NAME"')
            answers[name] = (answer.status_code, text, calls.copy())
    return answers


def test_no_password_or_hash_reaches_logs_or_answers(
    dash: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stored = dash.store.get_user("officer")
    assert isinstance(stored, UserRecord)
    texts = []
    with dash.client() as client:
        texts.append(login(client, "officer", "wrong-but-secret-pw").text)
        texts.append(login(client, "nobody", PASSWORD).text)
        ok = login(client, "officer", PASSWORD)
        texts += [ok.text, json.dumps(dict(ok.headers)), client.get("/ui/login").text]
    texts += [r.getMessage() for r in caplog.records]
    texts.append(repr(stored))
    assert any("sign-in failed" in t for t in texts)  # the log was captured
    for text in texts:
        for secret in (PASSWORD, "wrong-but-secret-pw", stored.password_hash, "$argon2id$"):
            assert secret not in text


def test_the_session_cookie_is_httponly_strict_and_scoped_to_the_dashboard(
    tmp_path: Path,
) -> None:
    with served(tmp_path, secure_cookie=True) as dash, dash.client() as client:
        cookie = login(client, "auditor", PASSWORD).headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "path", "max-age", "samesite"} <= attributes
    assert "Path=/ui;" in cookie + ";" and "SameSite=strict" in cookie
    assert "Max-Age=3600" in cookie
