"""The processes of a crash test: the reference insurer and ``gateway`` commands.

The insurer runs in its own process (``python -m gateway.examples.insurer_api``) so that killing
a gateway never takes the insurer with it. Every ``gateway`` command is run the way a user runs
it, ``python -m gateway ...`` in a subprocess, with no ``GATEWAY_*`` variables inherited; its
output goes to files, never to pipes, so a killed or chatty process cannot block on them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

START_TIMEOUT_S = 30.0
TIMED_OUT = -1000  # the exit code reported for a command that ran past its timeout
_LISTENING = re.compile(r"running on (http://127\.0\.0\.1:\d+)")


def clean_env() -> dict[str, str]:
    """The environment for a child: no ``GATEWAY_*`` overrides, no forced console width."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.pop("COLUMNS", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class InsurerProcess:
    """The reference insurer API on an OS-assigned loopback port, in a child process."""

    config: Path
    log: Path
    base_url: str = ""
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> str:
        """Start the server and return its base URL once it answers ``/healthz``."""
        with self.log.open("wb") as out:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "gateway.examples.insurer_api",
                 "--config", str(self.config), "--host", "127.0.0.1", "--port", "0"],
                stdout=out, stderr=subprocess.STDOUT, env=clean_env(),
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"insurer exited early (code {self._proc.returncode})")
            found = _LISTENING.search(self.log.read_text(encoding="utf-8", errors="replace"))
            if found and _healthy(found.group(1)):
                self.base_url = found.group(1)
                return self.base_url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("insurer did not start in time")

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class Done:
    """A finished ``gateway`` command: its exit code and what it printed."""

    returncode: int
    output: str
    seconds: float


def gateway_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "gateway", *args]


def run_gateway(*args: str, log: Path, cwd: Path, timeout: float = 300.0) -> Done:
    """Run ``gateway ARGS`` to completion; output (stdout and stderr) goes to ``log``. A command
    that runs past ``timeout`` is killed and reported with exit code ``TIMED_OUT``."""
    started = time.monotonic()
    with log.open("wb") as out:
        try:
            code = subprocess.run(
                gateway_argv(*args), stdout=out, stderr=subprocess.STDOUT, env=clean_env(),
                cwd=cwd, timeout=timeout, check=False,
            ).returncode
        except subprocess.TimeoutExpired:  # the child was killed: report it as a failure
            code = TIMED_OUT
    text = log.read_text(encoding="utf-8", errors="replace")
    return Done(code, text, time.monotonic() - started)


def start_gateway(*args: str, log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``gateway ARGS`` without waiting; output goes to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            gateway_argv(*args), stdout=out, stderr=subprocess.STDOUT, env=clean_env(), cwd=cwd
        )


def sigkill(proc: subprocess.Popen[bytes]) -> int | None:
    """SIGKILL ``proc`` (if it still runs) and reap it. Returns its exit code if it had already
    exited on its own before the signal, else ``None``."""
    exited = proc.poll()
    if exited is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return exited
