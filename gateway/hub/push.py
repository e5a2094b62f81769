"""Sending a stored release to the insurer: ``POST {insurer_url}/v1/hub-releases``.

The body is the compact JWS (``application/jose``) and ``Idempotency-Key`` is the release's
``jti``, so a repeated push is recognised. A 2xx answer is success; anything else, a timeout or
a connection failure is a :class:`DeliveryError` (``retryable`` unless the insurer refused the
release for good with a 4xx other than 408/425/429). The release stays stored either way, and
``gateway hub release PERIOD --push`` tries again. The JWS is never logged nor put in an error.
"""

from __future__ import annotations

import httpx

from gateway.adapters.insurer.client import make_http_client
from gateway.errors import DeliveryError
from gateway.limits import Limits

PATH = "/v1/hub-releases"
JOSE = "application/jose"
_RETRYABLE_4XX = frozenset({408, 425, 429})


def make_push_client(limits: Limits | None = None) -> httpx.Client:
    """The gateway's outbound client (:func:`gateway.adapters.insurer.client.make_http_client`):
    explicit timeouts, TLS verification on, redirects off."""
    return make_http_client(limits or Limits())


def push_release(base_url: str, jws: str, release_id: str, *, client: httpx.Client) -> int:
    """Send ``jws`` to the insurer at ``base_url``; the insurer's status code on success."""
    try:
        response = client.post(
            base_url.rstrip("/") + PATH,
            content=jws.encode("ascii"),
            headers={"Content-Type": JOSE, "Idempotency-Key": release_id},
        )
    except httpx.TimeoutException as exc:
        raise DeliveryError("insurer did not answer in time") from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"insurer unreachable ({type(exc).__name__})") from exc
    status = response.status_code
    if 200 <= status < 300:
        return status
    retryable = status >= 500 or status in _RETRYABLE_4XX
    raise DeliveryError(
        f"insurer answered {status} to the release", status_code=status, retryable=retryable
    )
