"""The gateway's HTTP service (FastAPI) and the client side of its signed webhook."""

from gateway.service.app import create_app
from gateway.service.signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign_push,
    webhook_secret,
)

__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "create_app",
    "sign_push",
    "webhook_secret",
]
