"""HMAC-SHA256 signatures for webhook pushes (docs/service-api.md).

A push carries three headers: ``X-Gateway-Timestamp`` (unix seconds), ``X-Gateway-Delivery``
(a unique id, 1-128 characters from ``A-Z a-z 0-9 . _ : -``) and ``X-Gateway-Signature``
(``v1=`` and the lowercase hex HMAC-SHA256 of ``timestamp + "." + delivery_id + "." + body``
under the shared secret). This module only computes and checks; the store remembers delivery
ids so that a replay is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.errors import ConfigError, VerificationError

TIMESTAMP_HEADER = "X-Gateway-Timestamp"
DELIVERY_HEADER = "X-Gateway-Delivery"
SIGNATURE_HEADER = "X-Gateway-Signature"
MIN_SECRET_BYTES = 32
MIN_DISTINCT_BYTES = 8

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_DELIVERY = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_SIGNATURE = re.compile(r"v1=([0-9a-f]{64})")
# Whole words only, as for settings: a random secret containing "todo" inside a run of
# letters is not a placeholder; "REPLACE_ME-webhook-secret" is.
_PLACEHOLDER = re.compile(
    rb"(?<![A-Za-z0-9])(?:replace[_-]?me|change[_-]?me|todo|secret|example|placeholder)"
    rb"(?![A-Za-z0-9])|^<.*>$",
    re.I,
)


class WebhookAuthError(VerificationError):
    """A push whose signature headers are missing, malformed, stale or wrong. The message names
    the reason only; it is logged, never sent to the client."""


@dataclass(frozen=True, slots=True)
class SignedPush:
    """What a verified push was signed with."""

    delivery_id: str
    timestamp: int


def webhook_secret(value: str | bytes, *, name: str = "webhook secret") -> bytes:
    """The secret as bytes, or :class:`ConfigError` if it is too short or a placeholder.

    ``name`` (an environment variable's name, say) appears in the error; the value never does.
    """
    secret = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigError(f"{name}: shorter than {MIN_SECRET_BYTES} bytes; webhook not enabled")
    if _PLACEHOLDER.search(secret) or len(set(secret)) < MIN_DISTINCT_BYTES:
        raise ConfigError(f"{name}: looks like a placeholder, not a random secret")
    return secret


def _mac(secret: bytes, timestamp: str, delivery_id: str, body: bytes) -> str:
    message = timestamp.encode("ascii") + b"." + delivery_id.encode("ascii") + b"." + body
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_push(
    secret: str | bytes, body: bytes, delivery_id: str, now: int | None = None
) -> dict[str, str]:
    """The three headers that authenticate ``body`` as delivery ``delivery_id`` at ``now``
    (unix seconds; default the current time). For ERP-side clients and tests."""
    key = webhook_secret(secret)
    if not _DELIVERY.fullmatch(delivery_id):
        raise ValueError("delivery id must be 1-128 characters from A-Z a-z 0-9 . _ : -")
    stamp = str(int(time.time()) if now is None else now)
    if not _TIMESTAMP.fullmatch(stamp):
        raise ValueError("timestamp must be non-negative unix seconds")
    return {
        TIMESTAMP_HEADER: stamp,
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: "v1=" + _mac(key, stamp, delivery_id, body),
    }


def check_headers(headers: Mapping[str, str], *, now: int, tolerance_s: int) -> SignedPush:
    """Check the headers that need no body: present, well formed, timestamp within
    ``tolerance_s`` of ``now``. Cheap, so it runs before the body is read."""
    stamp = headers.get(TIMESTAMP_HEADER)
    delivery = headers.get(DELIVERY_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if stamp is None or delivery is None or signature is None:
        raise WebhookAuthError("signature headers missing")
    if not _TIMESTAMP.fullmatch(stamp) or not _DELIVERY.fullmatch(delivery):
        raise WebhookAuthError("timestamp or delivery id malformed")
    if not _SIGNATURE.fullmatch(signature):
        raise WebhookAuthError("signature malformed")
    if abs(now - int(stamp)) > tolerance_s:
        raise WebhookAuthError("timestamp outside the tolerance window")
    return SignedPush(delivery_id=delivery, timestamp=int(stamp))


def verify_signature(secret: bytes, headers: Mapping[str, str], body: bytes) -> None:
    """Compare the signature with the expected one in constant time; headers already checked
    by :func:`check_headers`."""
    match = _SIGNATURE.fullmatch(headers.get(SIGNATURE_HEADER, ""))
    if match is None:
        raise WebhookAuthError("signature malformed")
    expected = _mac(secret, headers[TIMESTAMP_HEADER], headers[DELIVERY_HEADER], body)
    if not hmac.compare_digest(match.group(1).encode("ascii"), expected.encode("ascii")):
        raise WebhookAuthError("signature does not match")
