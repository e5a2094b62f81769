"""The policy page (``/ui/policy``): edit the Rego, preview it live on sample records, run its
tests, see what it discloses more or less than the active version, activate it, roll back.

A thin shell: the preview and diff come from :mod:`gateway.policy.preview`, the checks and the
log from the service's :class:`~gateway.dashboard.context.Jobs`. Evaluation runs under the
pipeline lock (the embedded engine is not thread-safe), off the event loop, with a fresh engine
for the candidate and the runtime's pseudonym key (tokens match what a sync sends). Request
bodies are bounded as policy directories are (``gateway.adapters.policy_files``); errors name
module paths and the engine's message, never record data.

Every POST needs the session's CSRF token. ``preview`` and ``test`` take and answer JSON;
``activate`` and ``rollback`` take JSON (answered with JSON) or a form (answered with a redirect
to the page, or the page with the refusal).
"""

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from gateway.adapters.policy_files import MAX_MODULE_BYTES, MAX_MODULES, MAX_TOTAL_BYTES
from gateway.auth.roles import Permission
from gateway.auth.sessions import Principal
from gateway.auth.web import require, require_csrf
from gateway.dashboard import _policy_view as view
from gateway.dashboard.context import DashboardContext
from gateway.errors import ConfigError, GatewayError, PolicyError
from gateway.pipeline import Runtime
from gateway.policy import PolicyBundle, run_rego_tests
from gateway.policy.lifecycle import MAX_REASON_CHARS, ActivationCheck
from gateway.policy.preview import evaluate, evaluate_with, preview_candidate, preview_json
from gateway.service.body import BodyError, parse_body

# No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
# dependency aliases are local to :func:`policy_router`.
_STRICT: Final = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True, strict=True)


class CandidateBody(BaseModel):
    """``{"modules": {path: text}}``: every module of the edited policy."""

    model_config = _STRICT
    modules: dict[str, str] = Field(min_length=1, max_length=MAX_MODULES)


class ActivateBody(CandidateBody):
    """The edited policy and why it is activated."""

    reason: str | None = Field(default=None, max_length=MAX_REASON_CHARS)


class RollbackBody(BaseModel):
    """Which earlier version to return to (its full hash), and why (required)."""

    model_config = _STRICT
    version: str = Field(pattern=r"^[0-9a-f]{64}$")
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS)


class Refused(Exception):
    """A request the page turns down: ``status`` and a text free of record data."""

    def __init__(self, status: int, detail: str, check: ActivationCheck | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.check = status, detail, check

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.detail}
        if self.check is not None:
            out["check"] = self.check.to_json()
        return out


def bounded(request: Request) -> None:
    """Refuse, before reading it, a body without a length or longer than a policy may be."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise HTTPException(411, "a Content-Length is required")
    if int(declared) > MAX_TOTAL_BYTES:
        raise HTTPException(413, f"body over {MAX_TOTAL_BYTES} bytes")


def candidate(modules: Mapping[str, str], name: str) -> PolicyBundle:
    """The edited text as a bundle, within the policy-directory bounds: 413 over size; 422 for
    NUL, a byte-order mark or a bad path (traversal, absolute, not ``.rego``)."""
    total = 0
    for path, source in modules.items():
        size = len(source.encode("utf-8", errors="surrogatepass"))
        total += size
        if size > MAX_MODULE_BYTES:
            raise Refused(413, f"policy module {path!r}: larger than {MAX_MODULE_BYTES} bytes")
        if "\x00" in source or source.startswith("\ufeff"):
            raise Refused(422, f"policy module {path!r}: contains NUL or a byte-order mark")
    if total > MAX_TOTAL_BYTES:
        raise Refused(413, f"the policy is larger than {MAX_TOTAL_BYTES} bytes")
    try:
        return PolicyBundle(modules, name=name)
    except PolicyError as exc:
        raise Refused(422, str(exc)) from exc


def _invalid(exc: ValidationError) -> Refused:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return Refused(422, f"{where}: {first['msg']}")


M = TypeVar("M", bound=BaseModel)


def parsed(model: type[M], raw: bytes) -> M:
    """``raw`` as strict JSON validated by ``model``; 422 naming where, never what."""
    try:
        return model.model_validate(parse_body(raw))
    except BodyError as exc:
        raise Refused(422, str(exc)) from exc
    except ValidationError as exc:
        raise _invalid(exc) from exc


def is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"


async def form_fields(request: Request) -> dict[str, str]:
    """The text fields of a posted form, the CSRF token aside."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


@dataclass(frozen=True)
class PolicyWork:
    """The blocking work behind the routes (run off the event loop)."""

    ctx: DashboardContext

    def bundle(self, modules: Mapping[str, str]) -> PolicyBundle:
        return candidate(modules, view.active_name(self.ctx))

    @contextmanager
    def evaluating(self) -> Iterator[Runtime]:
        """The runtime under the pipeline lock; 503 while a sync keeps it."""
        try:
            with view.evaluating(self.ctx) as rt:
                yield rt
        except view.Busy:
            raise Refused(503, "a sync is running; try again when it has finished") from None

    def from_form(self, fields: Mapping[str, str]) -> ActivateBody:
        """A form edits one module (``path``, ``text``) of the active version."""
        path, source = fields.get("path"), fields.get("text")
        if path is None or source is None:
            raise Refused(422, "the form must name the module (path) and give its text")
        modules = view.active_modules(self.ctx)
        modules[path] = source.replace("\r\n", "\n")
        try:
            return ActivateBody(modules=modules, reason=fields.get("reason") or None)
        except ValidationError as exc:
            raise _invalid(exc) from exc

    def preview(self, modules: Mapping[str, str]) -> dict[str, Any]:
        """The candidate's rows, and its diff against what the runtime sends now."""
        bundle = self.bundle(modules)
        try:
            inputs = [r.policy_input() for r in view.sample_records(self.ctx)]
        except GatewayError as exc:
            raise Refused(503, f"the sample records cannot be read: {exc}") from exc
        batch = self.ctx.settings.limits.policy_batch_size
        with self.evaluating() as rt:
            try:
                new = evaluate(bundle, inputs, rt.pseudonym_key, batch_size=batch)
            except (PolicyError, ConfigError) as exc:
                raise Refused(422, str(exc)) from exc
            old = evaluate_with(rt.engine, rt.operators, inputs)
        doc = preview_json(preview_candidate(inputs, new, old))
        doc["policy"] = {"name": bundle.name, "version": bundle.version}
        return doc

    def tests(self, modules: Mapping[str, str]) -> dict[str, Any]:
        """The candidate's Rego unit tests, run in the embedded engine."""
        bundle = self.bundle(modules)
        with self.evaluating():
            try:
                results = run_rego_tests(bundle)
            except PolicyError as exc:
                raise Refused(422, str(exc)) from exc
        return {
            "policy": {"name": bundle.name, "version": bundle.version},
            "passed": sum(r.passed for r in results),
            "failed": sum(not r.passed for r in results),
            "tests": [
                {"name": r.name, "package": r.package, "passed": r.passed, "error": r.error}
                for r in results
            ],
        }

    def activate(self, body: ActivateBody, who: str) -> int:
        bundle = self.bundle(body.modules)
        return _logged(lambda: self.ctx.jobs.activate(bundle, actor=who, reason=body.reason).seq)

    def rollback(self, body: RollbackBody, who: str) -> int:
        job = self.ctx.jobs.rollback
        return _logged(lambda: job(body.version, actor=who, reason=body.reason).seq)


def _logged(job: Callable[[], int]) -> int:
    """Run an activation job: a refusal is 409 with its check, any other policy error 422."""
    try:
        return job()
    except PolicyError as exc:
        check = getattr(exc, "check", None)
        if isinstance(check, ActivationCheck):
            raise Refused(409, "activation refused", check) from exc
        raise Refused(422, str(exc)) from exc


def policy_router(ctx: DashboardContext) -> APIRouter:
    """``GET /ui/policy`` and its POST endpoints (preview, test, activate, rollback)."""
    router = APIRouter()
    work = PolicyWork(ctx)
    viewer = Annotated[Principal, Depends(require(ctx, Permission.VIEW))]
    editor = Annotated[Principal, Depends(require_csrf(ctx, Permission.EDIT_POLICY))]
    activator = Annotated[Principal, Depends(require_csrf(ctx, Permission.ACTIVATE_POLICY))]
    sized = [Depends(bounded)]

    @router.get("/ui/policy")
    async def policy_page(
        request: Request, who: viewer, module: str | None = None, activated: int | None = None
    ) -> Response:
        return await run_in_threadpool(
            view.render_page, ctx, request, who, module=module, activated=activated
        )

    async def as_json(request: Request, job: Callable[[Mapping[str, str]], Any]) -> JSONResponse:
        raw = await request.body()
        try:
            done = await run_in_threadpool(lambda: job(parsed(CandidateBody, raw).modules))
        except Refused as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        return JSONResponse(done)

    @router.post("/ui/policy/preview", dependencies=sized)
    async def preview(request: Request, who: editor) -> JSONResponse:
        return await as_json(request, work.preview)

    @router.post("/ui/policy/test", dependencies=sized)
    async def test(request: Request, who: editor) -> JSONResponse:
        return await as_json(request, work.tests)

    async def answer(request: Request, who: Principal, job: Callable[[], int]) -> Response:
        try:
            seq = await run_in_threadpool(job)
        except Refused as exc:
            if is_json(request):
                return JSONResponse(exc.body(), status_code=exc.status)
            return await run_in_threadpool(
                functools.partial(
                    view.render_page, ctx, request, who,
                    status=exc.status, refused=exc.detail, check=exc.check,
                )
            )
        target = f"/ui/policy?activated={seq}"
        if is_json(request):
            return JSONResponse({"seq": seq, "redirect": target})
        return RedirectResponse(target, status_code=303)

    @router.post("/ui/policy/activate", dependencies=sized)
    async def activate(request: Request, who: activator) -> Response:
        if is_json(request):
            raw = await request.body()
            return await answer(
                request, who, lambda: work.activate(parsed(ActivateBody, raw), who.username)
            )
        fields = await form_fields(request)
        return await answer(
            request, who, lambda: work.activate(work.from_form(fields), who.username)
        )

    @router.post("/ui/policy/rollback", dependencies=sized)
    async def rollback(request: Request, who: activator) -> Response:
        if is_json(request):
            raw = await request.body()
            return await answer(
                request, who, lambda: work.rollback(parsed(RollbackBody, raw), who.username)
            )
        fields = await form_fields(request)

        def from_form() -> int:
            try:
                body = RollbackBody.model_validate(fields)
            except ValidationError as exc:
                raise _invalid(exc) from exc
            return work.rollback(body, who.username)

        return await answer(request, who, from_form)

    return router
