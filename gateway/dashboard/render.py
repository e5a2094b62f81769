"""Server-side rendering of dashboard pages: one Jinja2 environment, autoescaped, strict.

Templates ship as package data in ``gateway/dashboard/templates/``. Every page gets
``principal`` (``None`` when signed out), ``csrf_token`` (the session's, for forms),
``permissions`` (the names the principal holds), ``nav`` (the active page) and ``flash`` (a
one-line message, or ``None``). Every answer carries :data:`DASHBOARD_CSP`: scripts, styles and
images only from the gateway itself, nothing inline, nothing from the internet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from gateway.auth.roles import Permission, allowed
from gateway.dashboard.charts import format_minor, format_money

if TYPE_CHECKING:
    from gateway.auth.sessions import Principal
    from gateway.dashboard.context import DashboardContext

DASHBOARD_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The Content-Security-Policy of every ``/ui`` page (the API keeps its stricter one)."""


@dataclass(frozen=True)
class Flash:
    """A one-line message shown at the top of a page: ``kind`` is ``ok`` or ``error``."""

    kind: str
    text: str


def short(value: str, length: int = 12) -> str:
    """The first ``length`` characters of a hash or id, for tables (the full value goes in a
    ``title``)."""
    return value if len(value) <= length else value[:length] + "…"


def when(moment: datetime | None) -> str:
    """A moment as ``YYYY-MM-DD HH:MM:SS UTC``; ``—`` for none."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def number(value: int) -> str:
    """A count with thousands separators."""
    return f"{value:,}"


@cache
def environment() -> Environment:
    """The dashboard's Jinja2 environment (built once, on first use)."""
    env = Environment(
        loader=PackageLoader("gateway.dashboard", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        short=short, when=when, day=day, number=number, minor=format_minor, money=format_money
    )
    return env


def render(
    ctx: DashboardContext,
    request: Request,
    template: str,
    *,
    principal: Principal | None,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render ``template`` with the common page variables and ``values``."""
    del ctx, request  # part of the signature for pages that need them; nothing global here
    permissions = frozenset(
        p.value for p in Permission if principal is not None and allowed(principal.role, p)
    )
    page = {
        "principal": principal,
        "csrf_token": principal.csrf if principal is not None else "",
        "permissions": permissions,
        "nav": None,
        "flash": None,
        **values,
    }
    html = environment().get_template(template).render(page)
    headers = {"Content-Security-Policy": DASHBOARD_CSP}
    return HTMLResponse(html, status_code=status, headers=headers)
