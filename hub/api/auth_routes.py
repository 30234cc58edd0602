"""Signing in and out, and who is signed in.

Authentication is a session cookie (HttpOnly, SameSite=Strict, Secure as
``TELECARE_COOKIE_SECURE`` says) whose changes must carry the session's CSRF token in
``X-CSRF-Token``, or an API token in ``Authorization: Bearer``.
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
from datetime import UTC, datetime

import structlog
from aiohttp import web

from hub.api.access import SESSION_COOKIE, ApiError, session_csrf
from hub.api.client import ORIGIN
from hub.api.models import LoginRequest, Me, SignedOut
from hub.api.routing import Call, RouteTable
from hub.auth import throttle, users
from hub.config import CookieSecure
from hub.storage import audit

log = structlog.get_logger(__name__)

ROUTES = RouteTable()
COOKIE_SECURE = web.AppKey("cookie_secure", CookieSecure)


@ROUTES.post(
    "/api/v1/auth/login", "Sign in; sets the session cookie", public=True, errors=[401, 429]
)
async def login(call: Call, body: LoginRequest) -> Me:
    """Check the password (throttled per user name and address) and start a session."""
    request = call.request
    address = request.app[ORIGIN].address(request)
    now = datetime.now(UTC)
    async with call.pool.connection() as conn:
        wait_s = await throttle.retry_after(conn, body.username, address, now)
        if wait_s > 0:
            raise ApiError(429, f"too many failed sign-ins: try again in {int(wait_s) + 1} s")
        # Counted as a failure until it succeeds: concurrent guesses cannot outrun the limit.
        attempt = await throttle.attempt(conn, body.username, address, now)
        user = await users.check_password(conn, body.username, body.password)
        if user is None:
            log.warning("login_failed", username=body.username, address=address)
            raise ApiError(401, "wrong user name or password")
        await throttle.succeeded(conn, body.username, address, attempt)
        token, csrf = await users.start_session(conn, user, datetime.now(UTC))
        detail = {"address": address}
        await audit.record(conn, user.username, "login", f"user:{user.username}", detail)
    secure = _cookie_secure(request)
    call.on_response(
        lambda response: response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            secure=secure,
            path="/",
            max_age=int(users.SESSION_TTL.total_seconds()),
        )
    )
    return Me(
        username=user.username, role=user.role, districts=list(user.districts), csrf_token=csrf
    )


def _cookie_secure(request: web.Request) -> bool:
    setting = request.app[COOKIE_SECURE]
    if setting is CookieSecure.AUTO:
        return request.app[ORIGIN].is_tls(request)
    return setting is CookieSecure.ALWAYS


@ROUTES.post("/api/v1/auth/logout", "Sign out")
async def logout(call: Call) -> SignedOut:
    """End the session of this browser (a token stays valid: revoke it instead)."""
    cookie = call.request.cookies.get(SESSION_COOKIE)
    if cookie:
        async with call.pool.connection() as conn:
            await users.end_session(conn, cookie)
    call.on_response(lambda response: response.del_cookie(SESSION_COOKIE, path="/"))
    return SignedOut(signed_out=True)


@ROUTES.get("/api/v1/auth/me", "Who is signed in")
async def me(call: Call) -> Me:
    """The caller, with the session's CSRF token (a reloaded console gets it back here)."""
    user = call.user
    csrf = await session_csrf(call.request)
    return Me(
        username=user.username, role=user.role, districts=list(user.districts), csrf_token=csrf
    )
