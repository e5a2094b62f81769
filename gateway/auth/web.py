"""Sign-in for the dashboard: who is asking (:func:`principal_of`), what they may do
(:func:`require`, :func:`require_csrf`) and the sign-in pages (:func:`auth_router`).

The session travels in the ``ecg_session`` cookie (HttpOnly, SameSite=Strict, Path=/ui, Secure
when ``[dashboard] secure_cookie``). Every request re-reads the user from the store: a user who
was removed or disabled, or whose role or password changed since the session was issued, is no
longer signed in. State-changing requests also need the session's CSRF token (header
``X-CSRF-Token`` or form field ``csrf_token``) and must come from the dashboard's own origin.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway.auth.request_checks import FormError, read_form, safe_next, same_origin
from gateway.auth.roles import Permission, allowed
from gateway.auth.sessions import Principal, SessionClaims, SessionManager
from gateway.auth.throttle import LoginThrottle
from gateway.auth.users import authenticate

if TYPE_CHECKING:
    from gateway.dashboard.context import DashboardContext
    from gateway.settings import Settings
    from gateway.store import Store

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SIGN_IN_FAILED",
    "AuthContext",
    "Principal",
    "auth_router",
    "principal_of",
    "require",
    "require_csrf",
    "session_of",
]

log = logging.getLogger("gateway.auth")

SESSION_COOKIE: Final = "ecg_session"
COOKIE_PATH: Final = "/ui"
LOGIN_PATH: Final = "/ui/login"
LOGOUT_PATH: Final = "/ui/logout"
CSRF_HEADER: Final = "X-CSRF-Token"
CSRF_FIELD: Final = "csrf_token"
SIGN_IN_FAILED: Final = "Sign-in failed: check the user name and password."
CROSS_ORIGIN: Final = "This request did not come from the dashboard's own pages."
BAD_CSRF: Final = "The form has expired or was not sent by the dashboard. Reload the page."

class AuthContext(Protocol):
    """What sign-in needs from the dashboard context (``DashboardContext`` fits)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> Store: ...
    @property
    def sessions(self) -> SessionManager: ...


def session_of(ctx: AuthContext, request: Request) -> SessionClaims | None:
    """The request's session if its token verifies and still matches the stored user."""
    token = request.cookies.get(SESSION_COOKIE)
    claims = ctx.sessions.verify(token) if token else None
    if claims is None:
        return None
    user = ctx.store.get_user(claims.sub)
    if (
        user is None or user.disabled or user.role != claims.role.value
        or user.session_epoch != claims.epoch
    ):
        return None
    return claims


def principal_of(ctx: AuthContext, request: Request) -> Principal | None:
    """The signed-in user of ``request``, or None (no, invalid, expired or outdated session)."""
    claims = session_of(ctx, request)
    return None if claims is None else claims.principal()


def login_url(request: Request) -> str:
    """The sign-in page, returning to the page asked for."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{LOGIN_PATH}?{urlencode({'next': safe_next(target)})}"


def _check(ctx: AuthContext, request: Request, permission: Permission) -> Principal:
    principal = principal_of(ctx, request)
    if principal is None:
        accept = request.headers.get("accept", "")
        if request.method in ("GET", "HEAD") and "text/html" in accept:
            raise HTTPException(303, "sign in first", headers={"Location": login_url(request)})
        raise HTTPException(401, "sign in first")
    if not allowed(principal.role, permission):
        raise HTTPException(403, "your role does not allow this")
    return principal


def require(ctx: AuthContext, permission: Permission) -> Callable[..., Principal]:
    """A FastAPI dependency: the signed-in user holding ``permission``. Without a session an
    HTML GET is sent to the sign-in page (303), anything else gets 401; a role without the
    permission gets 403."""

    def dependency(request: Request) -> Principal:
        return _check(ctx, request, permission)

    return dependency


async def _sent_token(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def check_csrf(request: Request, principal: Principal, *, tls: bool) -> None:
    """Refuse (403) a request from another origin or without the session's CSRF token."""
    if not same_origin(request, tls=tls):
        raise HTTPException(403, CROSS_ORIGIN)
    sent = await _sent_token(request)
    if sent is None or not hmac.compare_digest(sent.encode(), principal.csrf.encode()):
        raise HTTPException(403, BAD_CSRF)


def require_csrf(
    ctx: AuthContext, permission: Permission
) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency for POST routes: :func:`require` plus the session's CSRF token
    (``X-CSRF-Token`` header or ``csrf_token`` form field) and a same-origin request; 403
    otherwise."""

    async def dependency(request: Request) -> Principal:
        principal = await run_in_threadpool(_check, ctx, request, permission)
        await check_csrf(request, principal, tls=ctx.settings.dashboard.secure_cookie)
        return principal

    return dependency


def set_session_cookie(ctx: AuthContext, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=ctx.sessions.ttl_s, path=COOKIE_PATH,
        secure=ctx.settings.dashboard.secure_cookie, httponly=True, samesite="strict",
    )


def clear_session_cookie(ctx: AuthContext, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, secure=ctx.settings.dashboard.secure_cookie,
        httponly=True, samesite="strict",
    )


def session_length(ttl_s: int) -> str:
    """A session lifetime in words: "8 hours", "90 minutes"."""
    if ttl_s % 3600 == 0:
        hours = ttl_s // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    minutes = max(1, ttl_s // 60)
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def auth_router(ctx: DashboardContext) -> APIRouter:
    """``GET``/``POST /ui/login`` and ``POST /ui/logout``."""
    from gateway.dashboard.render import render  # the dashboard imports this module

    router = APIRouter()
    conf = ctx.settings.dashboard
    throttle = LoginThrottle(conf.login_attempts, conf.login_pause_s, clock=ctx.sessions.clock)

    def page(request: Request, status: int, target: str, **values: object) -> Response:
        values.setdefault("error", None)
        values.setdefault("username", "")
        values.setdefault("session_length", session_length(ctx.sessions.ttl_s))
        return render(
            ctx, request, "login.html", principal=None, status=status, next=target, **values
        )

    @router.get(LOGIN_PATH, include_in_schema=False)
    def login_page(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        if principal_of(ctx, request) is not None:
            return RedirectResponse(target, status_code=303)
        return page(request, 200, target)

    @router.post(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request) -> Response:
        if not same_origin(request, tls=conf.secure_cookie):
            log.info("sign-in refused: cross-origin form")
            return page(request, 403, safe_next(None), error=CROSS_ORIGIN)
        try:
            form = await read_form(request)
        except FormError:
            return page(request, 400, safe_next(None), error=SIGN_IN_FAILED)
        target = safe_next(form.get("next"))
        typed = form.get("username", "")[:64]
        address = request.client.host if request.client else "unknown"
        keys = (f"user:{typed.strip().lower()}", f"addr:{address}")
        wait = throttle.begin(*keys)
        if wait:
            log.warning("sign-in paused after repeated failures (client %s)", address)
            seconds = f"{wait} second" + ("s" if wait != 1 else "")
            response = page(
                request, 429, target, username=typed,
                error=f"Too many sign-in attempts. Wait {seconds}, then try again.",
            )
            response.headers["Retry-After"] = str(wait)
            return response
        try:
            user = await run_in_threadpool(
                authenticate, ctx.store, typed, form.get("password", "")
            )
        except BaseException:
            throttle.failed(*keys)
            raise
        if user is None:
            throttle.failed(*keys)
            log.info("sign-in failed (client %s)", address)
            return page(request, 401, target, username=typed, error=SIGN_IN_FAILED)
        throttle.succeeded(*keys)
        token, principal = ctx.sessions.issue(user)
        log.info("signed in: %s (%s)", principal.username, principal.role.value)
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(ctx, response, token)
        return response

    @router.post(LOGOUT_PATH, include_in_schema=False)
    async def logout(request: Request) -> Response:
        # A live session ends only with its CSRF token from the dashboard's own page (no forced
        # sign-out from another site); a dead or missing one just has its cookie cleared.
        claims = await run_in_threadpool(session_of, ctx, request)
        if claims is not None:
            await check_csrf(request, claims.principal(), tls=conf.secure_cookie)
            ctx.sessions.revoke(claims)
            log.info("signed out: %s", claims.sub)
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        clear_session_cookie(ctx, response)
        return response

    return router

