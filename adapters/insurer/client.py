"""HTTP client for the insurer's attachment API.

``POST {base}/v1/attachments`` carries one compact JWS (``application/jose``) with an
``Idempotency-Key`` equal to the submission id; the insurer answers ``201`` (or ``200`` for a
replay) with ``{"receipt": "<JWS>"}``. Failures become :class:`gateway.errors.DeliveryError`:
``retryable`` when trying again later may help (5xx, 408, 425, 429, timeouts, connection
errors), not retryable when the insurer refused the submission for good (other 4xx) or answered
with something that is not a receipt. Only the insurer's error *code* is kept from an error body.
The JWS is never logged and never put in an error.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from gateway.errors import ConfigError, DeliveryError
from gateway.limits import Limits

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES: Final = 1_048_576
RETRYABLE_4XX: Final = frozenset({408, 425, 429})
_ERROR_CODE: Final = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
_LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})


def make_http_client(
    limits: Limits, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """An ``httpx.Client`` with explicit timeouts and pool limits, TLS verification on and
    redirects off (a redirect must not move a signed submission elsewhere)."""
    return httpx.Client(
        timeout=httpx.Timeout(
            connect=limits.connect_timeout_s,
            read=limits.read_timeout_s,
            write=limits.write_timeout_s,
            pool=limits.pool_timeout_s,
        ),
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        follow_redirects=False,
        verify=True,
        transport=transport,
    )


def _base_url(url: str, allow_insecure_http: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ConfigError("insurer URL must be an absolute https:// URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError("insurer URL must not carry a query, fragment or credentials")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK and not allow_insecure_http:
        raise ConfigError("insurer URL must use https (plain http is allowed on loopback only)")
    return url.rstrip("/")


def _error_code(body: bytes) -> str:
    """The insurer's ``error`` code if it is a short slug, else ``unknown``; nothing else."""
    try:
        code = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return "unknown"
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else "unknown"


class InsurerClient:
    """Sends signed submissions to one insurer and returns its signed receipts."""

    def __init__(
        self,
        base_url: str,
        *,
        client: httpx.Client,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        allow_insecure_http: bool = False,
    ) -> None:
        self.base_url = _base_url(base_url, allow_insecure_http)
        self._http = client
        self._max_response = max_response_bytes

    def submit(self, submission_id: str, jws: str) -> str:
        """Deliver one submission; the insurer's receipt JWS (not yet verified) on success."""
        if not jws.isascii() or jws.count(".") != 2:
            raise DeliveryError(
                f"submission {submission_id} is not a compact JWS", retryable=False
            )
        status, body = self._request(
            "POST",
            "/v1/attachments",
            what=f"submission {submission_id}",
            content=jws.encode("ascii"),
            headers={"Content-Type": "application/jose", "Idempotency-Key": submission_id},
        )
        if status not in (200, 201):
            raise self._refusal(status, body, f"submission {submission_id}")
        receipt = self._json_object(status, body, f"submission {submission_id}").get("receipt")
        if not isinstance(receipt, str) or receipt.count(".") != 2:
            raise DeliveryError(
                f"insurer answered submission {submission_id} without a receipt",
                status_code=status,
                retryable=False,
            )
        log.info("submission %s delivered (HTTP %d)", submission_id, status)
        return receipt

    def fetch_jwks(self) -> dict[str, Any]:
        """The insurer's receipt-signing keys (``/.well-known/jwks.json``)."""
        status, body = self._request("GET", "/.well-known/jwks.json", what="JWKS")
        if status != 200:
            raise self._refusal(status, body, "JWKS request")
        jwks = self._json_object(status, body, "JWKS request")
        if not isinstance(jwks.get("keys"), list):
            raise DeliveryError("insurer JWKS has no key list", status_code=status, retryable=False)
        return jwks

    # -- internals --------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, what: str, **kwargs: Any) -> tuple[int, bytes]:
        try:
            with self._http.stream(method, self.base_url + path, **kwargs) as response:
                return response.status_code, self._read_bounded(response, what)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"{what}: insurer timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise DeliveryError(f"{what}: cannot reach insurer ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{what}: HTTP error ({type(exc).__name__})") from exc

    def _read_bounded(self, response: httpx.Response, what: str) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_response:
            raise self._too_large(response.status_code, what)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._max_response:
                raise self._too_large(response.status_code, what)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, status: int, what: str) -> DeliveryError:
        return DeliveryError(
            f"{what}: insurer response exceeds {self._max_response} bytes",
            status_code=status,
            retryable=False,
        )

    @staticmethod
    def _refusal(status: int, body: bytes, what: str) -> DeliveryError:
        code = _error_code(body)
        retryable = status >= 500 or status in RETRYABLE_4XX
        log.warning("%s: insurer answered HTTP %d (%s)", what, status, code)
        return DeliveryError(
            f"{what}: insurer answered HTTP {status} ({code})",
            status_code=status,
            retryable=retryable,
        )

    @staticmethod
    def _json_object(status: int, body: bytes, what: str) -> dict[str, Any]:
        try:
            value = json.loads(body)
        except ValueError as exc:
            raise DeliveryError(
                f"{what}: insurer answer is not JSON", status_code=status, retryable=False
            ) from exc
        if not isinstance(value, dict):
            raise DeliveryError(
                f"{what}: insurer answer is not a JSON object", status_code=status, retryable=False
            )
        return value
