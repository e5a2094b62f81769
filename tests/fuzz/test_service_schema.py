"""Schemathesis over the gateway service's own OpenAPI schema, on real loopback HTTP.

Real parts: keys generated here, a runtime built from a configuration file (real Rego engine,
2048-bit insurer Paillier key), an SQLite store, the app served by uvicorn on a loopback port.
Schemathesis reads ``/openapi.json`` from the running service and generates requests for every
operation (valid and invalid ones); each response must not be a 5xx and must conform to the
schema (status code, content type, headers, body).

The push webhook needs an HMAC signature. Each generated push is sent twice: as generated (its
signature headers are random strings, so 401 is the expected answer and is not a failure; 503
would mean the webhook is disabled) and signed with the service's secret under a fresh delivery
id, which must pass authentication and then be held to every check. The rate limits are raised
so that the examples are not throttled.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.schemas import OpenApiSchema

from gateway.devsetup import create_dev_insurer, write_config
from gateway.examples.insurer_api import serve_in_thread
from gateway.keys import generate_gateway_keys
from gateway.runtime import build_runtime, load_mapping_for, open_store
from gateway.service import create_app, sign_push
from gateway.settings import ServiceSettings, load_settings

EXPORTER = "exporter-schema"
SECRET = secrets.token_urlsafe(32)
EXAMPLES = 40
AnyCase = Case[APIOperation[Any, Any, Any, Any]]
UNAUTHENTICATED = {401, 503}
PUSH = ("POST", "/v1/records")
CONFORMANCE = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_headers_conformance, response_schema_conformance,
]
OPERATIONS = (
    "GET /healthz", "GET /.well-known/jwks.json", "POST /v1/records", "GET /v1/submissions",
)
#: Operations with parameters or a body: the ones negative (schema-violating) data exists for.
WITH_INPUT = ("POST /v1/records", "GET /v1/submissions")


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("service-schema")
    keys = generate_gateway_keys(root / "keys", EXPORTER)
    insurer = create_dev_insurer(
        root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    config = write_config(root, exporter_id=EXPORTER, keys=keys, insurer=insurer)
    limits = ServiceSettings(
        address_rate_per_s=10_000, address_burst=100_000,
        signer_rate_per_s=10_000, signer_burst=100_000,
    )
    settings_ = load_settings(config)
    with open_store(settings_) as store:
        app = create_app(
            build_runtime(settings_), store,
            mapping=load_mapping_for("generic"), webhook_secret=SECRET, service=limits,
        )
        server = serve_in_thread(app)
        try:
            yield server.base_url
        finally:
            server.stop()


@pytest.fixture(scope="module")
def gateway_schema(service_url: str) -> OpenApiSchema:
    return schemathesis.openapi.from_url(f"{service_url}/openapi.json")


def _signed_push(case: AnyCase) -> tuple[bytes, dict[str, str]]:
    """The generated body as bytes, and the headers that sign exactly those bytes."""
    body = case.body
    if isinstance(body, NotSet):
        raw = b""
    elif isinstance(body, bytes | str):
        raw = body if isinstance(body, bytes) else body.encode()
    else:
        raw = json.dumps(body).encode()
    headers = sign_push(SECRET, raw, delivery_id="schema-" + secrets.token_hex(8))
    return raw, {**headers, "Content-Type": case.media_type or "application/json"}


def _check_push(case: AnyCase, url: str) -> None:
    unsigned = case.call(base_url=url)
    assert unsigned.status_code in UNAUTHENTICATED, (unsigned.status_code, unsigned.text)
    case.validate_response(unsigned, checks=CONFORMANCE)
    raw, headers = _signed_push(case)
    signed = httpx.post(f"{url}{case.path}", content=raw, headers=headers, timeout=60)
    case.validate_response(signed, checks=CONFORMANCE)
    body = case.meta.components.get(ParameterLocation.BODY) if case.meta else None
    if body is not None and body.mode.is_negative:
        assert 400 <= signed.status_code < 500, (signed.status_code, signed.text)
    else:
        assert signed.status_code == 202, (signed.status_code, signed.text)


def _check(case: AnyCase, url: str) -> None:
    if (case.method.upper(), case.path) == PUSH:
        _check_push(case, url)
    else:
        case.call_and_validate(base_url=url)


def test_the_schema_lists_every_route(gateway_schema: OpenApiSchema) -> None:
    operations = [result.ok() for result in gateway_schema.get_all_operations()]  # type: ignore[union-attr]
    listed = {f"{op.method.upper()} {op.path}" for op in operations}
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize(
    ("operation", "mode"),
    [(op, GenerationMode.POSITIVE) for op in OPERATIONS]
    + [(op, GenerationMode.NEGATIVE) for op in WITH_INPUT],
)
def test_every_operation_conforms_and_never_answers_5xx(
    gateway_schema: OpenApiSchema, service_url: str, operation: str, mode: GenerationMode
) -> None:
    method, path = operation.split(" ", 1)
    api_operation = gateway_schema[path][method]

    @given(case=api_operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: AnyCase) -> None:
        _check(case, service_url)

    run()
