"""Who is calling the API: the pool, the caller's user (session or token), JSON errors."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from psycopg_pool import AsyncConnectionPool

from hub.api.models import ErrorBody, FieldProblem
from hub.auth import users

if TYPE_CHECKING:
    from hub.auth.users import User

POOL = web.AppKey("pool", AsyncConnectionPool)
"""The hub's connection pool, opened at start-up (``hub.app``)."""
SESSION_COOKIE = "telecare_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ApiError(Exception):
    """An error answered as JSON: status, message and the fields at fault."""

    def __init__(self, status: int, message: str, fields: list[FieldProblem] | None = None) -> None:
        """Say what went wrong."""
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(error=message, fields=fields or [])


def pool_of(request: web.Request) -> AsyncConnectionPool[Any]:
    """The hub's connection pool."""
    return request.app[POOL]


async def authenticate(request: web.Request) -> User:
    """The caller, checked: a bearer token, or a session cookie (with CSRF on changes)."""
    now = datetime.now(UTC)
    header = request.headers.get("Authorization", "")
    async with pool_of(request).connection() as conn:
        if header.startswith("Bearer "):
            user = await users.token_user(conn, header.removeprefix("Bearer ").strip())
            if user is None:
                raise ApiError(401, "the API token is not valid")
            return user
        cookie = request.cookies.get(SESSION_COOKIE)
        session = await users.session_of(conn, cookie, now) if cookie else None
    if session is None:
        raise ApiError(401, "sign in first")
    if request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, session.csrf_token):
            raise ApiError(403, f"a change needs the session's {CSRF_HEADER} header")
    return session.user
