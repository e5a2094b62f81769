"""Checks on a dashboard request that need no session: same origin, a safe ``next`` target,
and the small bounded sign-in form.

* :func:`same_origin` refuses a request a browser marks as cross-site (``Sec-Fetch-Site``) or
  whose ``Origin`` is not the dashboard's own. Browsers send ``Origin`` with every POST, so a
  form posted from another site is refused even before its CSRF token is looked at.
* :func:`safe_next` lets a sign-in return only to a local ``/ui`` path: never ``//host``,
  ``/\\host``, an absolute URL, or anything with a backslash, a control character or a space.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

HOME: Final = "/ui/"
MAX_NEXT_CHARS: Final = 2048
MAX_FORM_BYTES: Final = 8192
FORM_TYPE: Final = "application/x-www-form-urlencoded"


class FormError(Exception):
    """The sign-in form is missing, too large or not URL-encoded text (internal to the router)."""


def same_origin(request: Request, *, tls: bool = False) -> bool:
    """Whether a state-changing request comes from the dashboard's own pages.

    ``Sec-Fetch-Site``, when sent, must be ``same-origin``. ``Origin``, when sent, must name this
    request's own scheme, host and port; behind a proxy that ends TLS (``tls``: the dashboard is
    reached over https) the ``https`` form of the own origin is accepted too.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "").lower()
    if not host:
        return False
    own = {f"{request.url.scheme}://{host}"}
    if tls:
        own.add(f"https://{host}")
    return origin.lower() in own


def safe_next(value: str | None) -> str:
    """``value`` if it is a local dashboard path (``/ui``, ``/ui/...``, ``/ui?...``); else
    the overview ``/ui/``."""
    if not value or len(value) > MAX_NEXT_CHARS:
        return HOME
    if any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in value):
        return HOME
    if not value.startswith("/ui") or value.startswith("//"):
        return HOME
    if value[3:4] not in ("", "/", "?", "#"):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/ui"):
        return HOME
    return value


async def read_form(request: Request, fields: int = 8) -> Mapping[str, str]:
    """A small URL-encoded form (at most ``MAX_FORM_BYTES``, ``fields`` fields; the first of
    repeated fields wins), read without the general form parser."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise FormError("not a form")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        raise FormError("form too large")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_FORM_BYTES:
            raise FormError("form too large")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=fields,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError("malformed form") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form
