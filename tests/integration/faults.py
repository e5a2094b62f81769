"""A fault-injecting reverse proxy: a real loopback HTTP server in front of the reference insurer.

Each request takes the next action from a queue (then ``default``, pass-through unless set):
answer a status without forwarding, forward and then lose the answer, hang past the client's read
timeout, reset the connection (``SO_LINGER`` 0, then close: the peer sees RST, not FIN) before or
after forwarding, answer slowly, or forward and answer ``200`` with a body that is not a usable
receipt.
Every connection is closed after one exchange (``Connection: close``), so a fault never leaks
into a pooled connection. ``received`` counts requests that reached the proxy, ``forwarded``
those the insurer answered.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from gateway.crypto import SigningKey, b64url_decode, b64url_encode

# Not relayed: hop-by-hop headers and those the proxy sets itself.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding",
     "host", "server", "date"}
)
_CODES = {400: "bad_request", 422: "invalid_request", 429: "rate_limited",
          500: "internal_error", 502: "bad_gateway", 503: "unavailable"}


@dataclass(frozen=True)
class PassThrough:
    """Forward the request and relay the insurer's answer unchanged."""


@dataclass(frozen=True)
class Status:
    """Answer ``status`` with a JSON error body; with ``forward``, only after the insurer has
    handled (and stored) the request, whose answer is then lost."""

    status: int
    forward: bool = False


@dataclass(frozen=True)
class Hang:
    """Read the request (and with ``forward`` relay it), then send nothing for ``seconds`` (or
    until the proxy closes) and drop the connection."""

    seconds: float = 10.0
    forward: bool = False


@dataclass(frozen=True)
class Reset:
    """Read the request (and with ``forward`` relay it), then reset the connection."""

    forward: bool = False


@dataclass(frozen=True)
class Slow:
    """Wait ``seconds``, then pass through."""

    seconds: float


@dataclass(frozen=True)
class Body:
    """Forward, then answer ``200`` with ``body`` instead of the insurer's answer."""

    body: bytes


@dataclass(frozen=True)
class Receipt:
    """Forward, then answer with the insurer's status and ``{"receipt": change(receipt)}``."""

    change: Callable[[str], str]


Action = PassThrough | Status | Hang | Reset | Slow | Body | Receipt


def strip_signature(receipt: str) -> str:
    """The receipt with an empty signature segment."""
    header, payload, _ = receipt.split(".")
    return f"{header}.{payload}."


def alg_none(receipt: str) -> str:
    """The receipt re-headed as ``alg: none`` (same kid and typ), unsigned."""
    header, payload, _ = receipt.split(".")
    fields = json.loads(b64url_decode(header))
    forged = {**fields, "alg": "none"}
    return f"{b64url_encode(json.dumps(forged).encode())}.{payload}."


def resign(key: SigningKey, *, own_kid: bool = False) -> Callable[[str], str]:
    """A change that signs the receipt's payload with ``key``: under the insurer's kid (a forged
    signature) or, with ``own_kid``, under ``key``'s own kid (an unknown key)."""

    def change(receipt: str) -> str:
        header, payload, _ = receipt.split(".")
        if own_kid:
            fields = json.loads(b64url_decode(header))
            header = b64url_encode(json.dumps({**fields, "kid": key.kid}).encode())
        signature = key.jws_key().sign(f"{header}.{payload}".encode("ascii"))
        return f"{header}.{payload}.{b64url_encode(signature)}"

    return change


class FaultProxy:
    """``FaultProxy(upstream)`` serves on an OS-assigned loopback port until ``close()``."""

    def __init__(self, upstream: str) -> None:
        self._lock = threading.Lock()
        self._actions: deque[Action] = deque()
        self._release = threading.Event()
        self.received = 0
        self.forwarded = 0
        self.default: Action = PassThrough()  # the action once the queue is empty
        self.errors: list[BaseException] = []
        self._client = httpx.Client(base_url=upstream, timeout=30.0)
        self._server = _Server(("127.0.0.1", 0), _handler(self), self.errors)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"

    def script(self, *actions: Action) -> None:
        """Queue ``actions`` for the next requests, in order."""
        with self._lock:
            self._actions.extend(actions)

    def pending(self) -> int:
        """Actions queued and not yet used."""
        with self._lock:
            return len(self._actions)

    def close(self) -> None:
        """Release hanging requests, stop serving and wait for every handler thread."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._client.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- used by the handler ------------------------------------------------------------------

    def _next(self) -> Action:
        with self._lock:
            self.received += 1
            return self._actions.popleft() if self._actions else self.default

    def _forward(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        answer = self._client.request(method, path, content=body, headers=headers)
        with self._lock:
            self.forwarded += 1
        return answer

    def _wait(self, seconds: float) -> None:
        self._release.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread
    block_on_close = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
        errors: list[BaseException],
    ) -> None:
        super().__init__(address, handler)
        self._errors = errors

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is not None:
            self._errors.append(exc)


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self) -> None:
            self.close_connection = True
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            action = proxy._next()

            def forward() -> httpx.Response:
                return proxy._forward(self.command, self.path, body, headers)

            if isinstance(action, PassThrough):
                self._relay(forward())
            elif isinstance(action, Slow):
                time.sleep(action.seconds)
                self._relay(forward())
            elif isinstance(action, Status):
                if action.forward:
                    forward()
                code = _CODES.get(action.status, "injected")
                payload = {"error": code, "detail": "injected fault"}
                self._answer(action.status, json.dumps(payload).encode(), "application/json")
            elif isinstance(action, Hang):
                if action.forward:
                    forward()
                proxy._wait(action.seconds)
            elif isinstance(action, Reset):
                if action.forward:
                    forward()
                self._reset()
            elif isinstance(action, Body):
                forward()
                self._answer(200, action.body, "application/json")
            else:
                answer = forward()
                receipt = action.change(answer.json()["receipt"])
                data = json.dumps({"receipt": receipt}).encode()
                self._answer(answer.status_code, data, "application/json")

        def _relay(self, answer: httpx.Response) -> None:
            content_type = answer.headers.get("content-type", "application/octet-stream")
            self._answer(answer.status_code, answer.content, content_type)

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def _reset(self) -> None:
            """Abort the connection: with a zero linger time, close sends RST."""
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.rfile.close()  # the socket closes for real only once its file is closed
            self.connection.close()

        do_GET = _handle
        do_POST = _handle

    return Handler
