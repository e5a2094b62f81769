"""The remote-OPA engine against an OPA-REST-compatible server on loopback.

OPA itself cannot be installed in this test environment, so these tests run a small stand-in:
a real HTTP server (FastAPI + uvicorn on a loopback port) that implements OPA's Data API
(``GET``/``POST /v1/data/<path>`` → ``{"result": ...}``, ``{}`` when undefined) by evaluating
the same Rego modules with the embedded regopy engine. It can be told to misbehave (answer 500,
answer without ``result``, answer too slowly) to show that the gateway fails closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.adapters.erp import CsvSource
from gateway.adapters.erp.mapping_file import builtin_mapping
from gateway.adapters.policy_files import builtin_policy
from gateway.adapters.policy_opa import OpaEngine
from gateway.errors import PolicyError
from gateway.examples.insurer_api.server import RunningServer, serve_in_thread
from gateway.model import ExportRecord
from gateway.policy import PolicyBundle, RegoEngine
from gateway.policy._regopy import evaluate, new_interpreter, set_input
from gateway.policy.decision import POLICY_ERROR, POLICY_TIMEOUT, POLICY_UNDEFINED
from gateway.policy.projection import Projection

TIMEOUT_S = 0.5


def opa_compatible_app(bundle: PolicyBundle, state: dict[str, str]) -> FastAPI:
    """OPA's Data API over regopy; ``state["mode"]``: ok, error500, no_result or slow."""
    interpreter = new_interpreter(bundle.policy_modules)
    app = FastAPI()

    @app.api_route("/v1/data/{path:path}", methods=["GET", "POST"])
    async def data(path: str, request: Request) -> JSONResponse:
        mode = state["mode"]
        if mode == "error500":
            return JSONResponse({"code": "internal_error"}, status_code=500)
        if mode == "slow":
            await asyncio.sleep(TIMEOUT_S * 3)
        body: dict[str, Any] = await request.json() if await request.body() else {}
        set_input(interpreter, body.get("input", {}))  # one event loop: no concurrent use
        result = evaluate(interpreter, "data." + path.replace("/", "."))
        if mode == "no_result" or not result.defined:
            return JSONResponse({})
        return JSONResponse({"result": result.value})

    return app


@pytest.fixture(scope="module")
def bundle() -> PolicyBundle:
    policy: PolicyBundle = builtin_policy()
    return policy


@pytest.fixture
def state() -> dict[str, str]:
    return {"mode": "ok"}


@pytest.fixture
def opa(bundle: PolicyBundle, state: dict[str, str]) -> Iterator[RunningServer]:
    with serve_in_thread(opa_compatible_app(bundle, state)) as server:
        yield server


@pytest.fixture(scope="module")
def sample_inputs() -> list[dict[str, Any]]:
    """The shipped sample export, read through the generic mapping."""
    with resources.as_file(
        resources.files("gateway.examples").joinpath("erp", "sample_export.csv")
    ) as path:
        items = list(CsvSource(Path(path), builtin_mapping("generic")))
    return [item.policy_input() for item in items if isinstance(item, ExportRecord)]


def test_remote_decisions_equal_embedded_on_the_sample_set(
    bundle: PolicyBundle, opa: RunningServer, sample_inputs: list[dict[str, Any]]
) -> None:
    # The sample set is all attachable; two variants make the comparison cover the other outcomes.
    inputs = [
        *sample_inputs,
        {**sample_inputs[0], "currency": "XAU"},
        {**sample_inputs[1], "buyer.country": "KR"},
    ]
    embedded = RegoEngine(bundle).decide(inputs)
    engine = OpaEngine(bundle, opa.base_url, timeout_s=5.0, batch_size=7)
    remote = engine.decide(inputs)
    assert len(sample_inputs) >= 40
    assert remote == embedded
    assert {d.outcome for d in remote} == {"attach", "withhold", "quarantine"}
    assert len({d.model_dump_json() for d in remote}) > 3  # per-record field actions differ
    assert engine.version == bundle.version
    assert engine.operators() == RegoEngine(bundle).operators()


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("error500", POLICY_ERROR), ("no_result", POLICY_UNDEFINED), ("slow", POLICY_TIMEOUT)],
)
def test_misbehaving_server_withholds_every_record(
    bundle: PolicyBundle,
    opa: RunningServer,
    state: dict[str, str],
    sample_inputs: list[dict[str, Any]],
    mode: str,
    reason: str,
) -> None:
    engine = OpaEngine(bundle, opa.base_url, timeout_s=TIMEOUT_S)
    state["mode"] = mode
    decisions = engine.decide(sample_inputs[:10])
    assert [(d.outcome, d.reason) for d in decisions] == [("withhold", reason)] * 10


def bundle_projection(bundle: PolicyBundle) -> Projection:
    projection = RegoEngine(bundle).projection
    assert projection is not None
    return projection


def test_unreachable_server_withholds_every_record_it_has_not_decided(
    bundle: PolicyBundle, state: dict[str, str], sample_inputs: list[dict[str, Any]]
) -> None:
    server = serve_in_thread(opa_compatible_app(bundle, state))
    engine = OpaEngine(bundle, server.base_url, timeout_s=TIMEOUT_S)
    assert engine.decide(sample_inputs[:1])[0].outcome == "attach"
    server.stop()
    decisions = engine.decide(sample_inputs)
    assert len(decisions) == len(sample_inputs)
    # A record that looks to the policy like one it already decided keeps that decision (the
    # policy's own, cached for this version); every other record is withheld.
    projection = bundle_projection(bundle)
    seen = projection.key(sample_inputs[0])
    others = [d for r, d in zip(sample_inputs, decisions, strict=True) if projection.key(r) != seen]
    assert others and {(d.outcome, d.reason) for d in others} == {("withhold", POLICY_ERROR)}
    assert decisions[0].outcome == "attach"


def test_refuses_to_start_when_server_serves_another_policy(
    bundle: PolicyBundle, state: dict[str, str]
) -> None:
    main = "redaction/export_record.rego"
    text = bundle.modules[main]
    assert '"k": 3' in text
    other = PolicyBundle({main: text.replace('"k": 3', '"k": 5')})
    with (
        serve_in_thread(opa_compatible_app(other, state)) as server,
        pytest.raises(PolicyError, match="different settings"),
    ):
        OpaEngine(bundle, server.base_url, timeout_s=5.0)


def test_refuses_to_start_when_server_is_down(bundle: PolicyBundle, state: dict[str, str]) -> None:
    server = serve_in_thread(opa_compatible_app(bundle, state))
    server.stop()
    with pytest.raises(PolicyError, match="cannot read the policy"):
        OpaEngine(bundle, server.base_url, timeout_s=TIMEOUT_S)
