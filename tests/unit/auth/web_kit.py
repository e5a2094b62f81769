"""A small dashboard for sign-in tests, served by uvicorn on loopback, and reusable checks.

:func:`served` runs a FastAPI app with :func:`gateway.auth.web.auth_router` and a few protected
routes over a real SQLite store, real settings and a real :class:`SessionManager` (fresh random
key, injectable clock). The sign-in routes use only the context's settings, store and sessions,
so the app is given just those: the runtime and jobs of the full dashboard context play no
part in signing in.

Other dashboard routes can reuse :func:`sign_in`, :func:`csrf_of` and :func:`csrf_attacks` /
:func:`assert_csrf_enforced` to show that a state-changing route refuses a post without the
session's CSRF token, with a wrong one, or from another origin::

    with sign_in(url, "officer", PASSWORD) as client:
        assert_csrf_enforced(client, "/ui/policy/activate", json_body={...})
"""

import base64
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse

from gateway.auth import Permission, Principal, Role, SessionManager, hash_password
from gateway.auth.web import SESSION_COOKIE, auth_router, require, require_csrf
from gateway.examples.insurer_api import RunningServer, serve_in_thread
from gateway.settings import DashboardSettings, InsurerSettings, KeySettings, Settings
from gateway.store import SqliteStore

PASSWORD = "a long enough sign-in password"
T0 = 1_767_225_600.0
USERS = {"officer": Role.COMPLIANCE, "admin": Role.ADMIN, "auditor": Role.AUDITOR}


@cache
def password_hash() -> str:
    """The real argon2id hash of :data:`PASSWORD`, made once: every test user shares it (an
    argon2 hash costs a quarter of a second; sign-in still verifies it for real)."""
    return hash_password("test-user", PASSWORD)


class Clock:
    """Unix time that a test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class AuthOnly:
    """The part of the dashboard context that sign-in uses."""

    settings: Settings
    store: SqliteStore
    sessions: SessionManager


@dataclass
class Served:
    url: str
    store: SqliteStore
    ctx: AuthOnly
    clock: Clock
    actions: list[str]  # what the protected POST routes did, in order

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, **kwargs)


def settings_for(root: Path, **dashboard: Any) -> Settings:
    """Real settings; only ``[dashboard]`` matters to sign-in (the key paths are never read)."""
    return Settings(
        exporter_id="exporter-kr-001",
        data_dir=root,
        keys=KeySettings(signing_key=root / "signing.pem", pseudonym_key=root / "pseudonym.key"),
        insurer=InsurerSettings(
            id="insurer-test", url="http://127.0.0.1:9", paillier_public_key=root / "p.json",
            paillier_fingerprint="sha256:" + "0" * 64, receipt_jwks=root / "r.json",
        ),
        dashboard=DashboardSettings(**dashboard),
    )


def build_app(ctx: AuthOnly, actions: list[str]) -> FastAPI:
    """auth_router plus protected routes: a page for every role, a policy page for the
    compliance officer, and two state-changing POSTs (JSON with the header, a form)."""
    app = FastAPI()
    app.include_router(auth_router(ctx))
    viewer = Annotated[Principal, Depends(require(ctx, Permission.VIEW))]
    editor = Annotated[Principal, Depends(require(ctx, Permission.EDIT_POLICY))]
    activator = Annotated[Principal, Depends(require_csrf(ctx, Permission.ACTIVATE_POLICY))]
    syncer = Annotated[Principal, Depends(require_csrf(ctx, Permission.RUN_SYNC))]

    @app.get("/ui/", response_class=HTMLResponse)
    def overview(who: viewer) -> str:
        return f'<p id="who">{who.username} ({who.role.value})</p>'

    @app.get("/ui/policy")
    def policy(who: editor) -> dict[str, str]:
        return {"editor": who.username}

    @app.post("/ui/policy/activate")
    def activate(who: activator) -> dict[str, str]:
        actions.append(f"activate by {who.username}")
        return {"activated_by": who.username}

    @app.post("/ui/sync")
    def sync(who: syncer) -> dict[str, str]:
        actions.append(f"sync by {who.username}")
        return {"synced_by": who.username}

    return app


@contextmanager
def served(
    root: Path, *, users: Mapping[str, Role] = USERS, ttl_s: int = 3600, **dashboard: Any
) -> Iterator[Served]:
    """The test dashboard on a loopback port, with ``users`` added (password :data:`PASSWORD`)."""
    clock = Clock()
    settings = settings_for(root, session_ttl_s=max(ttl_s, 300), **dashboard)
    actions: list[str] = []
    with SqliteStore(root / "gateway.sqlite3") as store:
        for name, role in users.items():
            store.add_user(name, role.value, password_hash())
        ctx = AuthOnly(settings, store, SessionManager(os.urandom(32), ttl_s, clock=clock))
        server: RunningServer = serve_in_thread(build_app(ctx, actions))
        try:
            yield Served(server.base_url, store, ctx, clock, actions)
        finally:
            server.stop()


def login(
    client: httpx.Client, username: str, password: str, *, next_: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST the sign-in form as a browser on the dashboard's own page would."""
    form = {"username": username, "password": password}
    if next_ is not None:
        form["next"] = next_
    sent = {"Origin": str(client.base_url).rstrip("/"), **(headers or {})}
    return client.post("/ui/login", data=form, headers=sent)


@contextmanager
def sign_in(url: str, username: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """A client signed in as ``username`` (closed on leaving the ``with`` block)."""
    with httpx.Client(base_url=url, follow_redirects=False, timeout=30) as client:
        answer = login(client, username, password)
        assert answer.status_code == 303, answer.text
        assert client.cookies.get(SESSION_COOKIE, path="/ui")
        yield client


def session_cookie(client: httpx.Client) -> str:
    token = client.cookies.get(SESSION_COOKIE, path="/ui")
    assert token is not None
    return token


def csrf_of(client: httpx.Client) -> str:
    """The session's CSRF token, as the dashboard's pages put it in their forms."""
    payload = session_cookie(client).split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    token: str = claims["csrf"]
    return token


def csrf_attacks(
    client: httpx.Client, path: str, *, json_body: Any = None, form: Mapping[str, str] | None = None
) -> dict[str, httpx.Response]:
    """POST ``path`` as the signed-in ``client`` four wrong ways: no CSRF token, a wrong one,
    the right one from another origin, the right one in a cross-site browser request."""
    own = str(client.base_url).rstrip("/")
    token = csrf_of(client)
    wrong = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    def post(csrf: str | None, **headers: str) -> httpx.Response:
        sent = {"Origin": own, **headers}
        data = dict(form) if form is not None else None
        if csrf is not None and form is not None:
            assert data is not None
            data["csrf_token"] = csrf
        elif csrf is not None:
            sent["X-CSRF-Token"] = csrf
        return client.post(path, json=json_body, data=data, headers=sent)

    return {
        "missing token": post(None),
        "wrong token": post(wrong),
        "cross-origin": post(token, Origin="https://evil.example"),
        "cross-site fetch": post(token, **{"Sec-Fetch-Site": "cross-site"}),
    }


def assert_csrf_enforced(
    client: httpx.Client, path: str, *, json_body: Any = None,
    form: Mapping[str, str] | None = None,
) -> None:
    """Every :func:`csrf_attacks` answer is 403."""
    answers = csrf_attacks(client, path, json_body=json_body, form=form)
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == dict.fromkeys(answers, 403), statuses
