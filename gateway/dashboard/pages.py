"""The read side of the dashboard: overview (``/ui/``), the disclosure ledger (``/ui/ledger``),
one submission (``/ui/ledger/<id>``), exposure charts (``/ui/exposure``) and "Sync now"
(``POST /ui/sync``).

A thin shell: it parses parameters, calls the read models in :mod:`gateway.dashboard.views`,
:mod:`~gateway.dashboard.ledger_views`, :mod:`~gateway.dashboard.submission_views` and
:mod:`~gateway.dashboard.exposure_views`, and renders.
Store reads run off the event loop. A buyer name or invoice number typed into the ledger search
is posted (never put in a URL, which logs and browser histories keep) and only its pseudonym is
used from there on; it is echoed back into the form of the answer and nowhere else.
"""

import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway.auth.roles import Permission
from gateway.auth.web import Principal, require, require_csrf
from gateway.dashboard import exposure_views, ledger_views, submission_views, views
from gateway.dashboard.charts import render_chart
from gateway.dashboard.context import DashboardContext
from gateway.dashboard.render import Flash, render
from gateway.errors import GatewayError, StoreError

# No ``from __future__ import annotations``: FastAPI reads the route signatures, whose
# dependency aliases are local to :func:`pages_router`.

log = logging.getLogger("gateway.dashboard")

FLASH_COOKIE: Final = "ecg_flash"
FLASH_MAX_AGE_S: Final = 60
DEFAULT_PAGE_SIZE: Final = 25
MAX_PAGE_SIZE: Final = 100
MAX_PAGE: Final = 1_000_000
STATES: Final = {
    "pending": "waiting to be sent",
    "failed": "failed, will be retried",
    "delivered": "delivered, receipt kept",
    "dead": "refused by the insurer",
}
_FLASH_OK = re.compile(r"ok\.(run_[0-9a-f]{32})\.(\d{1,9})\.(\d{1,9})")
_FLASH_ERROR = re.compile(r"error\.([A-Za-z]{1,64})")
_SUBMISSION_ID = re.compile(r"sub_[0-9a-f]{32}")
_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,200}")
_HEX = re.compile(r"[0-9a-f]{1,64}")
T = TypeVar("T")


class BadParameter(ValueError):
    """A query or form parameter the page cannot use; the message names it, not its value."""


def int_param(raw: str | None, name: str, *, default: int, lo: int, hi: int) -> int:
    """An integer parameter within ``lo..hi``; absent means ``default``."""
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or not lo <= int(raw) <= hi:
        raise BadParameter(f"{name} must be a whole number from {lo:,} to {hi:,}")
    return int(raw)


def date_param(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else _bad(name)
    except ValueError:
        return _bad(name)


def _bad(name: str) -> date:
    raise BadParameter(f"{name} must be a date written YYYY-MM-DD")


def policy_param(raw: str | None) -> str | None:
    text = (raw or "").strip().lower()
    if not text:
        return None
    if not _HEX.fullmatch(text):
        raise BadParameter("the policy version is written with the digits 0-9 and letters a-f")
    return text


def token_param(raw: str | None, name: str) -> str | None:
    if not raw:
        return None
    if not _TOKEN.fullmatch(raw):
        raise BadParameter(f"{name} is not a pseudonym")
    return raw


def flash_value(result: Any) -> str:
    """The flash cookie after a sync: the run and two counts, never record data."""
    return f"ok.{result.run_id}.{len(result.submissions)}.{result.delivered}"


def flash_of(ctx: DashboardContext, raw: str | None) -> Flash | None:
    """The message a flash cookie stands for, built from the stored run's account."""
    if raw and (failed := _FLASH_ERROR.fullmatch(raw)):
        return Flash("error", f"The sync failed ({failed.group(1)}). Nothing was lost: records "
                              "not attached are read again by the next sync. See the service log.")
    found = _FLASH_OK.fullmatch(raw or "")
    run = ctx.store.get_run(found.group(1)) if found else None
    if found is None or run is None:
        return None
    s = views.run_summary(run)
    return Flash(
        "ok",
        f"Sync finished: {s.read:,} records read, {s.attached:,} attached, {s.withheld:,} "
        f"withheld, {s.quarantined:,} quarantined, {s.pending:,} pending customs, "
        f"{s.unchanged:,} unchanged. {int(found.group(2)):,} submission(s) written, "
        f"{int(found.group(3)):,} delivered.",
    )


def _href(path: str, params: Mapping[str, Any]) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(kept) if kept else "")


def pages_router(ctx: DashboardContext) -> APIRouter:
    """The overview, ledger, submission and exposure pages, and ``POST /ui/sync``."""
    router = APIRouter(include_in_schema=False)
    Viewer = Annotated[Principal, Depends(require(ctx, Permission.VIEW))]
    Searcher = Annotated[Principal, Depends(require_csrf(ctx, Permission.VIEW))]
    Syncer = Annotated[Principal, Depends(require_csrf(ctx, Permission.RUN_SYNC))]

    def problem(request: Request, who: Principal, status: int, heading: str, message: str,
                nav: str | None = None) -> Response:
        back = {"ledger": ("/ui/ledger", "Back to the ledger"),
                "exposure": ("/ui/exposure", "Back to exposure")}.get(nav or "",
                                                                     ("/ui/", "Back to overview"))
        return render(ctx, request, "error.html", principal=who, status=status, nav=nav,
                      heading=heading, message=message, back_href=back[0], back_label=back[1])

    async def read(
        request: Request, who: Principal, nav: str, work: Callable[[], T]
    ) -> T | Response:
        try:
            return await run_in_threadpool(work)
        except StoreError as exc:
            log.error("dashboard %s: store not readable (%s)", nav, type(exc).__name__)
            return problem(request, who, 503, "The local store cannot be read",
                           "Try again in a moment; if it persists, see the service log.", nav)

    @router.get("/ui/")
    async def overview(request: Request, who: Viewer) -> Response:
        today = datetime.now(UTC).date()

        def work() -> tuple[views.Overview, Flash | None]:
            rt = ctx.runtime.current
            return (views.overview(ctx.store, rt, today=today),
                    flash_of(ctx, request.cookies.get(FLASH_COOKIE)))

        got = await read(request, who, "overview", work)
        if isinstance(got, Response):
            return got
        response = render(ctx, request, "overview.html", principal=who, nav="overview",
                          ov=got[0], flash=got[1], today=today)
        if FLASH_COOKIE in request.cookies:
            response.delete_cookie(FLASH_COOKIE, path="/ui", httponly=True, samesite="strict",
                                   secure=ctx.settings.dashboard.secure_cookie)
        return response

    @router.post("/ui/sync")
    async def sync_now(who: Syncer) -> Response:
        try:
            result = await run_in_threadpool(ctx.jobs.sync)
            value = flash_value(result)
            log.info("sync started from the dashboard by %s: %s", who.username, result.run_id)
        except GatewayError as exc:
            log.error("sync from the dashboard failed: %s", type(exc).__name__)
            value = f"error.{type(exc).__name__}"
        response = RedirectResponse("/ui/", status_code=303)
        response.set_cookie(FLASH_COOKIE, value, max_age=FLASH_MAX_AGE_S, path="/ui",
                            httponly=True, samesite="strict",
                            secure=ctx.settings.dashboard.secure_cookie)
        return response

    async def ledger(request: Request, who: Principal, params: Mapping[str, str | None],
                     typed: Mapping[str, str]) -> Response:
        form = {"buyer": typed.get("buyer", ""), "invoice": typed.get("invoice", ""),
                **{n: params.get(n) or "" for n in ("date_from", "date_to", "policy_version")}}
        try:
            page = int_param(params.get("page"), "page", default=1, lo=1, hi=MAX_PAGE)
            size = int_param(params.get("size"), "size", default=DEFAULT_PAGE_SIZE, lo=1,
                             hi=MAX_PAGE_SIZE)
            flt, searching = ledger_filter(ctx, params, typed)
        except (BadParameter, ledger_views.SearchError) as exc:
            return render(ctx, request, "ledger.html", principal=who, status=400, nav="ledger",
                          form=form, error=str(exc), searching=[], states=STATES,
                          page=ledger_views.LedgerPage((), 0, 1, 1, DEFAULT_PAGE_SIZE),
                          prev_href=None, next_href=None)
        got = await read(request, who, "ledger",
                         lambda: ledger_views.ledger_page(ctx.store, flt, page=page, size=size))
        if isinstance(got, Response):
            return got
        link = {"buyer_token": flt.buyer_token, "invoice_token": flt.invoice_token,
                "date_from": flt.date_from, "date_to": flt.date_to,
                "policy_version": flt.policy_prefix, "size": None if size == DEFAULT_PAGE_SIZE
                else size}
        return render(
            ctx, request, "ledger.html", principal=who, nav="ledger", form=form, error=None,
            searching=searching, states=STATES, page=got,
            prev_href=_href("/ui/ledger", {**link, "page": got.page - 1}) if got.page > 1
            else None,
            next_href=_href("/ui/ledger", {**link, "page": got.page + 1})
            if got.page < got.pages else None,
        )

    @router.get("/ui/ledger")
    async def ledger_get(request: Request, who: Viewer) -> Response:
        return await ledger(request, who, request.query_params, {})

    @router.post("/ui/ledger")
    async def ledger_search(request: Request, who: Searcher) -> Response:
        posted = await request.form()
        typed = {k: v for k, v in posted.items() if isinstance(v, str)}
        for name in ("buyer", "invoice"):
            typed.setdefault(name, "")
        return await ledger(request, who, typed, typed)

    @router.get("/ui/ledger/{submission_id}")
    async def submission(request: Request, who: Viewer, submission_id: str) -> Response:
        try:
            page = int_param(request.query_params.get("page"), "page", default=1, lo=1,
                             hi=MAX_PAGE)
        except BadParameter as exc:
            return problem(request, who, 400, "Not a page of this submission", str(exc), "ledger")
        if not _SUBMISSION_ID.fullmatch(submission_id):
            return problem(request, who, 404, "No such submission",
                           "Submission ids look like sub_ followed by 32 hexadecimal digits.",
                           "ledger")
        got = await read(request, who, "ledger", lambda: submission_views.submission_detail(
            ctx.store, submission_id, page=page))
        if isinstance(got, Response):
            return got
        if got is None:
            return problem(request, who, 404, "No such submission",
                           "This gateway never signed a submission with that id.", "ledger")
        return render(ctx, request, "submission.html", principal=who, nav="ledger", d=got,
                      states=STATES, rows_per_page=submission_views.ROWS_PER_PAGE)

    @router.get("/ui/exposure")
    async def exposure(request: Request, who: Viewer) -> Response:
        query = request.query_params
        k = ctx.runtime.current.engine.settings().k
        got = await read(request, who, "exposure", lambda: exposure_views.exposure_view(
            ctx.store.record_history(), k=k, by=query.get("by") or "run",
            currency=query.get("currency")))
        if isinstance(got, Response):
            return got
        figures = [(c, render_chart(c)) for c in got.charts]
        return render(ctx, request, "exposure.html", principal=who, nav="exposure", ex=got,
                      figures=figures)

    return router


def ledger_filter(
    ctx: DashboardContext, params: Mapping[str, str | None], typed: Mapping[str, str]
) -> tuple[ledger_views.LedgerFilter, list[str]]:
    """The filter from the page's parameters, and a plain description of it. A typed buyer
    name or invoice number becomes its pseudonym under the runtime's key."""
    key = ctx.runtime.current.pseudonym_key
    buyer = token_param(params.get("buyer_token"), "buyer_token")
    invoice = token_param(params.get("invoice_token"), "invoice_token")
    said: list[str] = []
    if typed.get("buyer", "").strip():
        buyer = ledger_views.search_token(key, ledger_views.BUYER_DOMAIN, typed["buyer"])
    if typed.get("invoice", "").strip():
        invoice = ledger_views.search_token(key, ledger_views.INVOICE_DOMAIN, typed["invoice"])
    flt = ledger_views.LedgerFilter(
        buyer_token=buyer,
        invoice_token=invoice,
        date_from=date_param(params.get("date_from"), "date_from"),
        date_to=date_param(params.get("date_to"), "date_to"),
        policy_prefix=policy_param(params.get("policy_version")),
    )
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        raise BadParameter("date_from is after date_to")
    if flt.buyer_token:
        said.append(f"buyer pseudonym {flt.buyer_token}")
    if flt.invoice_token:
        said.append(f"invoice pseudonym {flt.invoice_token}")
    if flt.date_from or flt.date_to:
        said.append(f"recorded {flt.date_from or 'any time'} to {flt.date_to or 'today'}")
    if flt.policy_prefix:
        said.append(f"policy version starting {flt.policy_prefix}")
    return flt, said
