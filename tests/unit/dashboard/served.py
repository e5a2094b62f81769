"""The whole service with its dashboard, served by uvicorn on loopback, for the page tests.

Real parts throughout: gateway keys generated here, a 2048-bit reference insurer on another
loopback port, a configuration file with one CSV source (the ``generic`` mapping) that a test
rewrites between syncs, the runtime, store, sessions and jobs that ``gateway serve`` builds
(:func:`gateway.cli.serve.dashboard_context`), and users with real argon2id hashes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx

from gateway.auth import Role, add_user
from gateway.cli.serve import dashboard_context
from gateway.dashboard.context import DashboardContext, RuntimeRef
from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import create_app as insurer_app
from gateway.examples.insurer_api import load_config, serve_in_thread
from gateway.keys import generate_gateway_keys
from gateway.runtime import build_runtime, load_mapping_for, open_store
from gateway.service import create_app
from gateway.settings import Settings, load_settings
from gateway.store import SqliteStore
from gateway.transform.pseudonyms import pseudonym

PASSWORD = "a long enough sign-in password 2026"

EXPORTER = "exporter-dashboard"
USERS = {"officer": Role.COMPLIANCE, "admin": Role.ADMIN, "auditor": Role.AUDITOR}
COLUMNS = (
    "invoice_no", "invoice_date", "ship_date", "export_declaration_no", "buyer_name",
    "buyer_country", "buyer_reg_no", "buyer_code", "buyer_address", "currency", "amount",
    "payment_terms", "due_date", "tenor_days", "incoterms", "hs_code", "description",
    "unit_price", "quantity",
)
HOSTILE_BUYER = '<script>alert("pwned")</script> & Söhne "Trading"'


def row(invoice: str, buyer: str, country: str, currency: str, amount: str) -> dict[str, str]:
    """One export row in the generic mapping's columns (shipped 4 May, due 3 July 2026)."""
    return {
        "invoice_no": invoice, "invoice_date": "2026-05-04", "ship_date": "2026-05-04",
        "export_declaration_no": "", "buyer_name": buyer, "buyer_country": country,
        "buyer_reg_no": "", "buyer_code": "", "buyer_address": "", "currency": currency,
        "amount": amount, "payment_terms": "OA", "due_date": "2026-07-03", "tenor_days": "",
        "incoterms": "FOB", "hs_code": "8504.40", "description": "Static converters",
        "unit_price": "", "quantity": "",
    }


FIRST_EXPORT = [
    row("EX-101", "Acme Trading Co.", "US", "USD", "1000.00"),
    row("EX-102", "Acme Trading Co.", "US", "USD", "2000.00"),
    row("EX-103", "Acme Trading Co.", "US", "USD", "3000.00"),
    row("EX-201", "Beta Maschinen GmbH", "DE", "EUR", "500.00"),
    row("EX-202", "Beta Maschinen GmbH", "DE", "EUR", "600.00"),
    row("EX-203", "Beta Maschinen GmbH", "DE", "EUR", "700.00"),
    row("EX-301", HOSTILE_BUYER, "GB", "GBP", "40.00"),
]
SECOND_EXPORT = [
    *FIRST_EXPORT[:3],
    {**FIRST_EXPORT[3], "amount": "550.00"},  # EX-201 edited: version 2
    *FIRST_EXPORT[4:],
    row("EX-104", "Acme Trading Co.", "US", "USD", "4000.00"),
]


@dataclass
class Dashboard:
    url: str
    store: SqliteStore
    settings: Settings
    ctx: DashboardContext
    export: Path

    def write_export(self, rows: Sequence[Mapping[str, str]]) -> None:
        with self.export.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    @contextmanager
    def sign_in(self, user: str) -> Iterator[httpx.Client]:
        """A client signed in as ``user`` through the sign-in form."""
        with self.anonymous() as client:
            answer = client.post("/ui/login", data={"username": user, "password": PASSWORD},
                                 headers={"Origin": self.url})
            assert answer.status_code == 303, answer.text
            yield client

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)

    def buyer_token(self, name: str) -> str:
        return pseudonym(self.ctx.runtime.current.pseudonym_key, "buyer", name)

    def invoice_token(self, number: str) -> str:
        return pseudonym(self.ctx.runtime.current.pseudonym_key, "invoice", number)


def csrf_of(client: httpx.Client) -> str:
    """The CSRF token the overview page puts in its forms, as a browser would find it."""
    page = client.get("/ui/", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def post_form(client: httpx.Client, path: str, form: Mapping[str, str]) -> httpx.Response:
    """POST a form the way the dashboard's own page does: same origin, the session's token."""
    data = {"csrf_token": csrf_of(client), **form}
    return client.post(path, data=data, headers={"Origin": str(client.base_url).rstrip("/")})


def sync(client: httpx.Client) -> httpx.Response:
    answer = post_form(client, "/ui/sync", {})
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/", answer.text
    return answer


@contextmanager
def served_dashboard(root: Path, *, per_submission: int = 2) -> Iterator[Dashboard]:
    """The service with its dashboard; the export holds :data:`FIRST_EXPORT` until rewritten."""
    keys = generate_gateway_keys(root / "keys", EXPORTER)
    insurer = create_dev_insurer(
        root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    insurer_server = serve_in_thread(insurer_app(load_config(insurer.config_path)))
    try:
        export = root / "erp.csv"
        config = write_config(root, exporter_id=EXPORTER, keys=keys, insurer=insurer,
                              sources=[("erp", export)], insurer_url=insurer_server.base_url)
        with config.open("a", encoding="utf-8") as fh:
            fh.write(f"\n[limits]\nmax_attachments_per_submission = {per_submission}\n")
        settings = load_settings(config)
        with open_store(settings) as store:
            runtime = RuntimeRef(build_runtime(settings, store))
            ctx = dashboard_context(settings, store, runtime)
            assert ctx is not None
            for name, role in USERS.items():
                add_user(store, name, role, PASSWORD)
            app = create_app(runtime, store, mapping=load_mapping_for("generic"), dashboard=ctx)
            server = serve_in_thread(app)
            try:
                dash = Dashboard(server.base_url, store, settings, ctx, export)
                dash.write_export(FIRST_EXPORT)
                yield dash
            finally:
                server.stop()
    finally:
        insurer_server.stop()


# -- reading pages -----------------------------------------------------------------------------

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})


@dataclass
class Node:
    """An element of a parsed page: tag, attributes, children and text (entities decoded)."""

    tag: str
    attrs: dict[str, str]
    children: list[Node]
    parts: list[str]

    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with ``tag`` and these attribute values (``class_`` matches one class;
        an attribute given as ``""`` only has to be present)."""
        found = []
        for child in self.children:
            if _matches(child, tag, attrs):
                found.append(child)
            found.extend(child.all(tag, **attrs))
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} {attrs}>"
        return found[0]


def _matches(node: Node, tag: str | None, attrs: Mapping[str, str]) -> bool:
    if tag is not None and node.tag != tag:
        return False
    for name, value in attrs.items():
        if name == "class_":
            if value not in node.attrs.get("class", "").split():
                return False
        elif name.replace("_", "-") not in node.attrs or (
            value and node.attrs[name.replace("_", "-")] != value
        ):
            return False
    return True


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, [], [])
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, [], [])
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        for node in self.stack:
            node.parts.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root
