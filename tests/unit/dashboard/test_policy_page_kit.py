"""The served gateway with its dashboard, for the policy page's HTTP tests (no tests here).

Each test module has two fixtures: ``gateway_config`` (module scope, :func:`write_gateway_config`)
and ``gw`` (per test, :func:`serving` over a fresh store).

Everything is real: gateway keys and a reference insurer's keys (2048-bit Paillier) written by
:mod:`gateway.devsetup`, the configuration loaded from its file, a runtime built from it over a
fresh SQLite store, the dashboard context ``gateway serve`` builds (session key file, the
serve jobs over the shipped sample export), the whole app from :func:`create_app`, served by
uvicorn on a loopback port. Users sign in through ``POST /ui/login``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.adapters.policy_files import builtin_policy
from gateway.auth import Role, add_user
from gateway.cli.serve import dashboard_context
from gateway.dashboard.context import DashboardContext, RuntimeRef
from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import serve_in_thread
from gateway.keys import generate_gateway_keys
from gateway.runtime import build_runtime, load_mapping_for
from gateway.service import create_app
from gateway.settings import Settings, load_settings
from gateway.store import SqliteStore

EXPORTER = "exporter-policy-page"
RULE = "redaction/export_record.rego"
TESTS = "redaction/export_record_test.rego"
COUNTRY_LINE = '\t"buyer.country": ["keep"],\n'
USERS = {"officer": Role.COMPLIANCE, "admin": Role.ADMIN, "auditor": Role.AUDITOR}
PASSWORD = "a long enough sign-in password for the policy page"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def shipped_modules() -> dict[str, str]:
    return dict(builtin_policy().modules)


def edited(old: str, new: str, modules: dict[str, str] | None = None) -> dict[str, str]:
    """The shipped policy's modules with one unique replacement in the rule module."""
    out = dict(modules or shipped_modules())
    assert out[RULE].count(old) == 1, old
    out[RULE] = out[RULE].replace(old, new)
    return out


@dataclass
class PolicyGateway:
    """The served app, its store and dashboard context, and signed-in clients by user name."""

    url: str
    store: SqliteStore
    ctx: DashboardContext
    settings: Settings
    _clients: dict[str, httpx.Client]

    def client(self, user: str) -> httpx.Client:
        """A client signed in as ``user`` through the sign-in form (one per user and test)."""
        if user not in self._clients:
            client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)
            self._clients[user] = client
            answer = client.post("/ui/login", data={"username": user, "password": PASSWORD},
                                 headers={"Origin": self.url})
            assert answer.status_code == 303, answer.text
        return self._clients[user]

    def csrf(self, user: str) -> str:
        """The CSRF token as the page's script finds it: in the page's csrf-token meta tag."""
        found = _CSRF_META.search(self.page(user).text)
        assert found is not None
        return found.group(1)

    def headers(self, user: str) -> dict[str, str]:
        """What the page's script sends: the session's CSRF token and the page's own origin."""
        return {"X-CSRF-Token": self.csrf(user), "Origin": self.url}

    def post(self, user: str, path: str, body: Any) -> httpx.Response:
        return self.client(user).post(path, json=body, headers=self.headers(user))

    def form(self, user: str, path: str, fields: dict[str, str]) -> httpx.Response:
        data = {**fields, "csrf_token": self.csrf(user)}
        return self.client(user).post(path, data=data, headers={"Origin": self.url})

    def page(self, user: str, query: str = "") -> httpx.Response:
        return self.client(user).get(f"/ui/policy{query}", headers={"Accept": "text/html"})


def write_gateway_config(root: Path) -> Path:
    """Keys, a reference insurer and ``gateway.toml`` with the shipped sample as its source
    (a test module makes one, in a module-scoped fixture, and serves it per test)."""
    keys = generate_gateway_keys(root / "keys", EXPORTER)
    insurer = create_dev_insurer(
        root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    sample = resources.files("gateway.examples") / "erp" / "sample_export.csv"
    with resources.as_file(sample) as path:
        target = root / "sample_export.csv"
        target.write_bytes(Path(path).read_bytes())
    return write_config(
        root, exporter_id=EXPORTER, keys=keys, insurer=insurer, sources=[("erp", target)]
    )


@contextmanager
def serving(config: Path, store_path: Path) -> Iterator[PolicyGateway]:
    """The whole gateway app with its dashboard over a fresh store, users added."""
    settings = load_settings(config)
    with SqliteStore(store_path) as store:
        for name, role in USERS.items():
            add_user(store, name, role, PASSWORD)
        runtime = RuntimeRef(build_runtime(settings, store))
        ctx = dashboard_context(settings, store, runtime)
        assert ctx is not None
        app = create_app(runtime, store, mapping=load_mapping_for("generic"), dashboard=ctx)
        server = serve_in_thread(app)
        clients: dict[str, httpx.Client] = {}
        try:
            yield PolicyGateway(server.base_url, store, ctx, settings, clients)
        finally:
            for client in clients.values():
                client.close()
            server.stop()


@pytest.fixture(scope="module")
def gateway_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gateway configuration shared by a module's tests (keys generated once)."""
    return write_gateway_config(tmp_path_factory.mktemp("policy-page"))


@pytest.fixture
def gw(gateway_config: Path, tmp_path: Path) -> Iterator[PolicyGateway]:
    """The service with the dashboard, on loopback, over a fresh store."""
    with serving(gateway_config, tmp_path / "gateway.sqlite3") as served:
        yield served
