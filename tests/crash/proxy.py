"""A loopback HTTP relay between the gateway and the reference insurer that can kill the gateway
at the worst moment: after the insurer has stored a submission and answered, before the answer
(the signed receipt) reaches the gateway.

Timed kills almost never land in that window (a few milliseconds per delivery), yet it is the
one where a gateway that trusts its own bookkeeping would either lose the receipt or send the
submission twice. The relay can also hold submissions back, so a test can kill the gateway
after it committed one and be sure none reached the insurer. The relay runs in the test
process; the insurer stays in its own process.
"""

from __future__ import annotations

import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

ATTACH_PATH = "/v1/attachments"
HOLD_TIMEOUT_S = 120.0
# Not relayed: hop-by-hop headers, those the relay sets itself, and content-encoding (httpx hands
# over the decoded body).
_HOP_BY_HOP = {
    "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding",
    "host", "server", "date",
}


class KillSwitch:
    """When armed with a process, the next accepted submission's answer kills it instead.

    ``hold()`` keeps every submission from reaching the insurer until ``release()``, which
    drops the held ones unsent (their sender is expected to be dead by then).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._target: subprocess.Popen[bytes] | None = None
        self.fired = threading.Event()
        self.holding = threading.Event()
        self._released = threading.Event()

    def hold(self) -> None:
        self._released.clear()
        self.holding.set()

    def release(self) -> None:
        self.holding.clear()
        self._released.set()

    def wait_released(self, timeout: float) -> None:
        self._released.wait(timeout)

    def arm(self, target: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._target = target
            self.fired.clear()

    def disarm(self) -> None:
        with self._lock:
            self._target = None

    def fire(self) -> bool:
        """SIGKILL the armed process (once); True if it did."""
        with self._lock:
            target, self._target = self._target, None
        if target is None:
            return False
        target.kill()
        target.wait(timeout=30)
        self.fired.set()
        return True


class _QuietServer(ThreadingHTTPServer):
    """A killed gateway resets its connection mid-request: expected here, not worth a traceback."""

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class Relay:
    """``Relay(upstream)``: serves on an OS-assigned loopback port until ``close()``."""

    def __init__(self, upstream: str) -> None:
        self.switch = KillSwitch()
        self._client = httpx.Client(base_url=upstream, timeout=30.0)
        handler = _handler(self._client, self.switch)
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._client.close()


def _handler(client: httpx.Client, switch: KillSwitch) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == ATTACH_PATH and switch.holding.is_set():
                switch.wait_released(HOLD_TIMEOUT_S)
                self.close_connection = True  # dropped unsent
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            try:
                answer = client.request(self.command, self.path, content=body, headers=headers)
            except httpx.HTTPError:
                self.send_error(502)
                return
            accepted = self.command == "POST" and self.path == ATTACH_PATH and answer.is_success
            if accepted and switch.fire():
                self.close_connection = True  # the gateway is dead: its answer is dropped
                return
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = _relay
        do_POST = _relay

    return Handler
