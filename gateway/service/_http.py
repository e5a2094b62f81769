"""ASGI middleware for the service: security headers, per-address rate limits, and a last-resort
error answer that carries no exception text.

These are plain ASGI wrappers (not ``BaseHTTPMiddleware``) so they also cover answers produced
before a route runs (413 while reading a body, 429) and errors in background tasks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from gateway.service.ratelimit import RateLimiter

log = logging.getLogger("gateway.service")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


async def send_json(send: Send, status: int, body: dict[str, str], extra: list[Any]) -> None:
    """Send a complete small JSON answer."""
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(payload)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class SecurityHeaders:
    """Adds the security headers to every HTTP answer; a route may set its own
    ``Content-Security-Policy`` (the docs page does), else the strict API policy applies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {name for name, _ in SECURITY_HEADERS}]
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", API_CSP.encode()))
                message["headers"] = [*headers, *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class AddressRateLimit:
    """One token bucket per remote address, taken before anything else (the body is not read);
    a refusal is 429 with ``Retry-After``. Behind a reverse proxy every client shares the
    proxy's address: limit there too (docs/service-api.md)."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            wait = self.limiter.take(str(client[0]) if client else "-")
            if wait:
                retry = [(b"retry-after", str(wait).encode())]
                await send_json(send, 429, {"error": "too many requests"}, retry)
                return
        await self.app(scope, receive, send)


class GenericErrors:
    """Turns any exception that escapes the app into a bare 500 and logs only its class name and
    the route: exception texts and tracebacks may hold record contents or secrets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:  # the last line of defence, by design
            log.error(  # the class name only: no traceback, no text
                "internal error in %s %s: %s", scope.get("method"), scope.get("path"),
                type(exc).__name__,
            )
            if not started:
                await send_json(send, 500, {"error": "internal error"}, [])
