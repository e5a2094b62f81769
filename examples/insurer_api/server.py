"""Run an ASGI app with uvicorn in a background thread on an OS-assigned loopback port.

The demo and the tests use this to talk to the reference insurer over real HTTP.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from gateway.errors import GatewayError

START_TIMEOUT_S = 10.0


@dataclass
class RunningServer:
    """A server started by :func:`serve_in_thread`; ``stop()`` shuts it down and waits."""

    base_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = START_TIMEOUT_S) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise GatewayError("server did not stop in time")

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start ``app`` on ``host:port`` (``0``: any free port) and return once it accepts."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="insurer-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise GatewayError(f"server on {host}:{port} did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    return RunningServer(base_url=f"http://{shown}:{bound[1]}", server=server, thread=thread)
