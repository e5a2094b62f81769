"""Client for an insurer's attachment API (the reference server lives in ``gateway.examples``)."""

from gateway.adapters.insurer.client import InsurerClient, make_http_client

__all__ = ["InsurerClient", "make_http_client"]
