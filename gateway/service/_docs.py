"""The ``/docs`` page (Swagger UI) under a Content-Security-Policy that allows exactly its one
inline script (by hash), the Swagger UI bundle and stylesheet, and requests to this origin."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
_CDN = "https://cdn.jsdelivr.net"


def docs_csp(html: str) -> str:
    """The policy for ``html``: its inline scripts by SHA-256, nothing else inline."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src {hashes} {_CDN}; style-src {_CDN}; "
        "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def add_docs(app: FastAPI, title: str) -> None:
    """Serve Swagger UI at ``/docs`` for ``app.openapi_url``."""
    page = get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=title)
    html = bytes(page.body).decode()
    csp = docs_csp(html)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})
