"""The gateway's HTTP service (FastAPI)."""

from gateway.service.app import create_app

__all__ = ["create_app"]
