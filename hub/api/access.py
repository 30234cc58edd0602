"""Who is calling the API: the pool, the caller's user (session or token), JSON errors."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, ValidationError

from hub.api.models import ErrorBody, FieldProblem
from hub.auth import users

if TYPE_CHECKING:
    from hub.auth.users import User

POOL = web.AppKey("pool", AsyncConnectionPool)
"""The hub's connection pool, opened at start-up (``hub.app``)."""
SESSION_COOKIE = "telecare_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PAGE_MAX = 200
M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """An error answered as JSON: status, message and the fields at fault."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: list[FieldProblem] | None = None,
        *,
        code: str | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        """Say what went wrong: in English, and as a ``code`` with ``params`` for consoles."""
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(error=message, fields=fields or [], code=code, params=params or {})


def pool_of(request: web.Request) -> AsyncConnectionPool[Any]:
    """The hub's connection pool."""
    return request.app[POOL]


async def authenticate(request: web.Request, *, check_csrf: bool = True) -> User:
    """The caller, checked: a bearer token, or a session cookie (with CSRF on changes)."""
    now = datetime.now(UTC)
    header = request.headers.get("Authorization", "")
    async with pool_of(request).connection() as conn:
        if header.startswith("Bearer "):
            user = await users.token_user(conn, header.removeprefix("Bearer ").strip(), now)
            if user is None:
                raise ApiError(401, "the API token is not valid")
            return user
        cookie = request.cookies.get(SESSION_COOKIE)
        session = await users.session_of(conn, cookie, now) if cookie else None
    if session is None:
        raise ApiError(401, "sign in first")
    if check_csrf and request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise ApiError(403, f"a change needs the session's {CSRF_HEADER} header")
    return session.user


def json_response(body: BaseModel, status: int = 200) -> web.Response:
    """A pydantic model as a JSON response."""
    return web.json_response(text=body.model_dump_json(), status=status)


async def read_body(request: web.Request, model: type[M]) -> M:
    """The request body as ``model``; a 422 naming the fields when it is not one."""
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as err:
        fields = [
            FieldProblem(field=".".join(str(p) for p in e["loc"]) or "body", message=e["msg"])
            for e in err.errors()
        ]
        raise ApiError(422, "the request body is not valid", fields) from err


def parse_limit(text: str) -> int:
    """A page size from a query string.

    Raises:
        ValueError: not a number from 1 to PAGE_MAX.
    """
    limit = int(text)
    if not 1 <= limit <= PAGE_MAX:
        raise ValueError(f"between 1 and {PAGE_MAX}")
    return limit


def parse_instant(text: str) -> datetime:
    """A time with its offset from a query string.

    Raises:
        ValueError: not an ISO 8601 time with an offset.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("needs a UTC offset")
    return moment


async def session_csrf(request: web.Request) -> str | None:
    """The CSRF token of the caller's session (None for a bearer token)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    async with pool_of(request).connection() as conn:
        session = await users.session_of(conn, cookie, datetime.now(UTC))
    return None if session is None else session.csrf_token


async def still_allowed(request: web.Request, user: User) -> bool:
    """Whether the caller may still hold a long-lived socket authorised as ``user``.

    The session or token must still be valid, with the same role and districts.
    """
    try:
        now = await authenticate(request, check_csrf=False)
    except ApiError:
        return False
    return now.role == user.role and set(now.districts) == set(user.districts)
