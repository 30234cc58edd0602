"""Who is calling the API and what they may see and change: sign-in, districts, held tasks.

The rules of access in one place:

- a person's data outside the caller's districts is "not found", not "forbidden": its
  existence is not confirmed (:func:`visible`);
- an alarm or call task someone holds (claimed or in progress) is changed, released or closed
  only by its holder or by a supervisor or admin; adding to its record (a note, a responder
  called) is open to everyone who may act on it, and a closed one answers with its state
  (:func:`check_holder`).
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from aiohttp import web
from psycopg_pool import AsyncConnectionPool

from hub.api.models import ErrorBody, FieldProblem
from hub.auth import users
from hub.errors import HubError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from hub.auth.users import User

POOL = web.AppKey("pool", AsyncConnectionPool)
"""The hub's connection pool, opened at start-up (``hub.app``)."""
SESSION_COOKIE = "telecare_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ApiError(HubError):
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


def visible(user: User, district: str | None, what: str) -> str:
    """The district of a thing the caller asked for, if they may see it; else a 404.

    Args:
        user: the caller.
        district: the thing's district, None when it does not exist.
        what: its name in the message ("alarm", "call", "home").
    """
    if district is None or not user.serves(district):
        raise ApiError(404, f"no such {what}")
    return district


class InDistrict(Protocol):
    """A stored thing that belongs to a district (an alarm's or a call task's row)."""

    @property
    def district(self) -> str:
        """The district the thing's home is in."""
        ...


D = TypeVar("D", bound=InDistrict)


def visible_row(user: User, row: D | None, what: str) -> D:
    """``row``, if it exists and the caller may see it; else the same 404 as :func:`visible`."""
    if row is None:
        raise ApiError(404, f"no such {what}")
    visible(user, row.district, what)
    return row


def check_holder(user: User, holder: str | None, what: str) -> None:
    """Refuse a change to a task another user holds, unless the caller overrides holds.

    Args:
        user: the caller.
        holder: who holds the task now: None unless it is claimed or in progress.
        what: "alarm" or "call", for the message and its code (``alarm.held_by``).
    """
    if holder is None or holder == user.username or user.role in users.OVERRIDING_ROLES:
        return
    raise ApiError(
        409, f"the {what} is handled by {holder}", code=f"{what}.held_by", params={"user": holder}
    )
