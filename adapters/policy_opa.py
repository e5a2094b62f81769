"""Policy decisions from a remote OPA server, through its REST Data API, failing closed.

The policy bundle is still loaded locally and is the source of truth: :attr:`OpaEngine.version`
is its content hash, and ``operators()``/``settings()`` come from it (compiled and checked by a
local :class:`~gateway.policy.engine.RegoEngine`). At start-up the server's
``data.redaction.export_record.operators`` and ``settings`` must equal the bundle's, or the
engine refuses to start: the server must serve the same policy.

Decisions: one ``POST {url}/v1/data/redaction/export_record/decisions`` per batch with
``{"input": {"records": [...]}}``; the answer is ``{"result": {"0": ..., "1": ...}}``. The
fail-closed table of :mod:`gateway.policy.engine` applies, plus:

=======================================================  ==============================
what happened                                            every record of the batch
=======================================================  ==============================
no answer within the timeout (connect, send or the       withhold ``policy.timeout``
whole answer, however slowly it trickles in)
server down, non-200, body not JSON or too large         withhold ``policy.error``
an answer without ``result``                             withhold ``policy.undefined``
a ``result`` that is not an object of decisions          withhold ``policy.malformed``
=======================================================  ==============================

Neither errors nor logs carry record contents or the bearer token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import httpx

from gateway.errors import ConfigError, PolicyError
from gateway.policy._regopy import Evaluated, exact_input
from gateway.policy.bundle import PolicyBundle
from gateway.policy.decision import (
    POLICY_ERROR,
    POLICY_INPUT,
    POLICY_TIMEOUT,
    POLICY_UNDEFINED,
    Decision,
)
from gateway.policy.engine import (
    DEFAULT_BATCH_SIZE,
    ENTRYPOINT,
    MAX_BATCH_SIZE,
    PolicySettings,
    RegoEngine,
    _pick,
)

DATA_PATH: Final = "/v1/data/" + ENTRYPOINT.removeprefix("data.").replace(".", "/")
DEFAULT_TIMEOUT_S: Final = 5.0
MAX_RESPONSE_BYTES: Final = 64 * 1024 * 1024


class _Failed(Exception):
    """A request that gave no usable answer: ``code`` is the withhold reason; the message, for
    start-up errors, never holds record contents."""

    def __init__(self, message: str, code: str = POLICY_ERROR) -> None:
        super().__init__(message)
        self.code = code


class OpaEngine:
    """A :class:`~gateway.policy.engine.PolicyEngine` over an OPA server's Data API.

    ``url`` is the server's base URL (``http://opa:8181``); ``timeout_s`` bounds each request
    as a whole (connect, send, and the entire answer). ``token`` is sent as a bearer token.
    """

    def __init__(
        self,
        bundle: PolicyBundle,
        url: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        token: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if isinstance(batch_size, bool) or not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ConfigError(f"policy batch size must be between 1 and {MAX_BATCH_SIZE}")
        if not timeout_s > 0:
            raise ConfigError("OPA timeout must be positive")
        self._local = RegoEngine(bundle, batch_size=1)
        self._url = url.rstrip("/")
        self._timeout_s = float(timeout_s)
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._batch_size = batch_size
        self._cache = self._local.new_cache()
        self._check_server()

    @property
    def version(self) -> str:
        """SHA-256 hex of the local bundle (the server was checked to serve the same policy)."""
        return self._local.version

    @property
    def batch_size(self) -> int:
        """Records per request."""
        return self._batch_size

    def operators(self) -> dict[str, dict[str, Any]]:
        """A copy of the bundle's ``operators`` object."""
        return self._local.operators()

    def settings(self) -> PolicySettings:
        """The bundle's ``settings``."""
        return self._local.settings()

    def exceptions(self) -> dict[str, str]:
        """The bundle's justified ``disclosure_exceptions``."""
        return self._local.exceptions()

    def decide(self, inputs: Sequence[Mapping[str, Any]]) -> list[Decision]:
        """One decision per input, in order; never raises for data or server problems. With a
        declared projection the server sees only that, once per distinct projection."""
        if self._cache is not None:
            return self._cache.decide(self._decide_whole, inputs)
        return self._decide_whole(inputs)

    def _decide_whole(self, inputs: Sequence[Mapping[str, Any]]) -> list[Decision]:
        decisions: list[Decision] = []
        with self._client() as client:
            for start in range(0, len(inputs), self._batch_size):
                batch = inputs[start : start + self._batch_size]
                decisions.extend(self._decide_batch(client, batch))
        return decisions

    def _client(self) -> httpx.Client:
        timeout = httpx.Timeout(self._timeout_s)
        return httpx.Client(timeout=timeout, headers=self._headers, follow_redirects=False)

    def _decide_batch(
        self, client: httpx.Client, batch: Sequence[Mapping[str, Any]]
    ) -> list[Decision]:
        decided: list[Decision | None] = [None] * len(batch)
        sendable: list[int] = []
        for pos, record in enumerate(batch):
            if isinstance(record, Mapping) and exact_input(dict(record)):
                sendable.append(pos)
            else:
                decided[pos] = Decision.withhold(POLICY_INPUT)
        if sendable:
            answers = self._query(client, [dict(batch[p]) for p in sendable])
            for pos, decision in zip(sendable, answers, strict=True):
                decided[pos] = decision
        return [d if d is not None else Decision.withhold(POLICY_ERROR) for d in decided]

    def _query(self, client: httpx.Client, records: list[dict[str, Any]]) -> list[Decision]:
        try:
            answer = self._request(client, "decisions", {"input": {"records": records}})
        except _Failed as failed:
            return [Decision.withhold(failed.code)] * len(records)
        if "result" not in answer:
            return [Decision.withhold(POLICY_UNDEFINED)] * len(records)
        return _pick(Evaluated(defined=True, value=answer["result"]), len(records))

    def _request(
        self, client: httpx.Client, rule: str, body: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """POST (or GET without a body) one rule of the entrypoint; the answer as an object."""
        deadline = time.monotonic() + self._timeout_s
        url = f"{self._url}{DATA_PATH}/{rule}"
        method = "GET" if body is None else "POST"
        try:
            with client.stream(method, url, json=body) as response:
                if response.status_code != 200:
                    raise _Failed(f"HTTP status {response.status_code}")
                raw = bytearray()
                for chunk in response.iter_bytes():
                    raw.extend(chunk)
                    if len(raw) > MAX_RESPONSE_BYTES:
                        raise _Failed("answer too large")
                    if time.monotonic() > deadline:
                        raise _Failed("answer slower than the timeout", POLICY_TIMEOUT)
        except httpx.TimeoutException as exc:
            raise _Failed(f"no answer in time ({type(exc).__name__})", POLICY_TIMEOUT) from None
        except httpx.HTTPError as exc:
            raise _Failed(type(exc).__name__) from None
        if time.monotonic() > deadline:
            raise _Failed("answer slower than the timeout", POLICY_TIMEOUT)
        try:
            answer = json.loads(raw)
        except ValueError:
            raise _Failed("answer is not JSON") from None
        if not isinstance(answer, dict):
            raise _Failed("answer is not a JSON object")
        return answer

    def _check_server(self) -> None:
        """Refuse to start unless the server answers with the bundle's operators and settings."""
        where = f"OPA server {self._url}"
        try:
            with self._client() as client:
                operators = self._request(client, "operators", None)
                settings = self._request(client, "settings", None)
        except _Failed as exc:
            raise PolicyError(f"{where}: cannot read the policy ({exc})") from None
        if operators.get("result") != self._local.operators():
            raise PolicyError(f"{where} serves different operators than policy {self.version}")
        if not _same_settings(settings, self._local.settings()):
            raise PolicyError(f"{where} serves different settings than policy {self.version}")


def _same_settings(answer: dict[str, Any], local: PolicySettings) -> bool:
    if "result" not in answer:
        return local == PolicySettings()
    try:
        return PolicySettings.model_validate(answer["result"]) == local
    except ValueError:
        return False
