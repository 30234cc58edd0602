"""The REST API's handlers: sign-in, and alarms (list, one with its timeline, actions).

Authentication is a session cookie (HttpOnly, SameSite=Strict, Secure as
``TELECARE_COOKIE_SECURE`` says) whose changes must carry the session's CSRF token in
``X-CSRF-Token``, or an API token in ``Authorization: Bearer``. A person's data outside the
user's districts is "not found", not "forbidden": its existence is not confirmed. Reads of a
person's alarm and every action are written to the audit log in the same transaction as the
action.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import structlog
from aiohttp import web
from pydantic import BaseModel

from hub.alarms.lifecycle import OPEN_STATES, AlarmState, IllegalTransitionError
from hub.api.access import (
    SESSION_COOKIE,
    ApiError,
    authenticate,
    json_response,
    parse_instant,
    parse_limit,
    pool_of,
    read_body,
    session_csrf,
)
from hub.api.call_routes import add_call_routes
from hub.api.client import ORIGIN, ClientOrigin
from hub.api.console import add_console_routes
from hub.api.models import (
    AlarmDetail,
    AlarmOut,
    AlarmPage,
    CancelRequest,
    ErrorBody,
    FieldProblem,
    LoginRequest,
    Me,
    NoteRequest,
    ResolveRequest,
    ResponderRequest,
    TimelineEntry,
)
from hub.api.openapi import openapi_document
from hub.api.registry_routes import add_registry_routes
from hub.api.stats_routes import add_stats_routes
from hub.api.stream import CALL_RELAY, FEED, ChangeFeed, close_streams, stream
from hub.api.vocabulary_routes import add_vocabulary_routes
from hub.auth import users
from hub.auth.throttle import LoginThrottle
from hub.config import CookieSecure, HubSettings
from hub.storage import alarms, audit

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import psycopg

    from hub.auth.users import User
    from hub.calls.relay import CallRelay

    Conn: TypeAlias = psycopg.AsyncConnection[Any]

log = structlog.get_logger(__name__)

THROTTLE = web.AppKey("login_throttle", LoginThrottle)
COOKIE_SECURE = web.AppKey("cookie_secure", CookieSecure)
PAGE_MAX = 200
SEARCH_MAX = 64
M = TypeVar("M", bound=BaseModel)


def add_api(app: web.Application, settings: HubSettings, relay: CallRelay) -> None:
    """Serve the API on ``app``; its connections come from ``app[POOL]`` once started."""
    app[THROTTLE] = LoginThrottle()
    app[ORIGIN] = ClientOrigin(settings.trusted_proxy)
    app[COOKIE_SECURE] = settings.cookie_secure
    app.middlewares.append(_errors)
    app.router.add_get("/api/v1/openapi.json", _openapi)
    app.router.add_post("/api/v1/auth/login", _login)
    app.router.add_post("/api/v1/auth/logout", _logout)
    app.router.add_get("/api/v1/auth/me", _me)
    app[CALL_RELAY] = relay
    app[FEED] = ChangeFeed(relay.on_signal)
    app.on_shutdown.append(close_streams)
    app.router.add_get("/api/v1/stream", stream)
    add_registry_routes(app)
    add_call_routes(app)
    add_stats_routes(app, settings)
    add_vocabulary_routes(app)
    app.router.add_get("/api/v1/alarms", _list_alarms)
    app.router.add_get("/api/v1/alarms/{alarm_id}", _get_alarm)
    app.router.add_post("/api/v1/alarms/{alarm_id}/claim", _claim)
    app.router.add_post("/api/v1/alarms/{alarm_id}/start", _start)
    app.router.add_post("/api/v1/alarms/{alarm_id}/release", _release)
    app.router.add_post("/api/v1/alarms/{alarm_id}/notes", _note)
    app.router.add_post("/api/v1/alarms/{alarm_id}/responders", _responder)
    app.router.add_post("/api/v1/alarms/{alarm_id}/resolve", _resolve)
    app.router.add_post("/api/v1/alarms/{alarm_id}/cancel", _cancel)
    add_console_routes(app)


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as err:
        return json_response(err.body, status=err.status)
    except IllegalTransitionError as err:
        body = ErrorBody(error=err.reason, code=err.code, params=err.params)
        return json_response(body, status=409)


async def _openapi(_request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


async def _login(request: web.Request) -> web.Response:
    body = await read_body(request, LoginRequest)
    throttle = request.app[THROTTLE]
    address = request.app[ORIGIN].address(request)
    now = time.monotonic()
    wait_s = throttle.retry_after(body.username, address, now)
    if wait_s > 0:
        raise ApiError(429, f"too many failed sign-ins: try again in {int(wait_s) + 1} s")
    # Counted as a failure until it succeeds: concurrent guesses cannot outrun the limit.
    throttle.failed(body.username, address, now)
    async with pool_of(request).connection() as conn:
        user = await users.check_password(conn, body.username, body.password)
        if user is None:
            log.warning("login_failed", username=body.username, address=address)
            raise ApiError(401, "wrong user name or password")
        throttle.succeeded(body.username, address, now)
        token, csrf = await users.start_session(conn, user, datetime.now(UTC))
        detail = {"address": address}
        await audit.record(conn, user.username, "login", f"user:{user.username}", detail)
    response = json_response(
        Me(username=user.username, role=user.role, districts=list(user.districts), csrf_token=csrf)
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=_cookie_secure(request),
        path="/",
        max_age=int(users.SESSION_TTL.total_seconds()),
    )
    return response


def _cookie_secure(request: web.Request) -> bool:
    setting = request.app[COOKIE_SECURE]
    if setting is CookieSecure.AUTO:
        return request.app[ORIGIN].is_tls(request)
    return setting is CookieSecure.ALWAYS


async def _logout(request: web.Request) -> web.Response:
    await authenticate(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        async with pool_of(request).connection() as conn:
            await users.end_session(conn, cookie)
    response = web.json_response({"signed_out": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def _me(request: web.Request) -> web.Response:
    user = await authenticate(request)
    # A reloaded console gets its session's CSRF token back from here.
    csrf = await session_csrf(request)
    me = Me(username=user.username, role=user.role, districts=list(user.districts), csrf_token=csrf)
    return json_response(me)


def _alarm_out(row: alarms.AlarmRow) -> AlarmOut:
    return AlarmOut.model_validate(row, from_attributes=True)


def _query_states(request: web.Request) -> list[AlarmState]:
    wanted = request.query.get("state", "open")
    if wanted == "open":
        return list(OPEN_STATES)
    if wanted == "all":
        return list(AlarmState)
    try:
        return [AlarmState(s) for s in wanted.split(",")]
    except ValueError as err:
        raise ApiError(
            422, "unknown state", [FieldProblem(field="state", message=str(err))]
        ) from err


def _query_page(request: web.Request) -> tuple[int, datetime | None, uuid.UUID | None]:
    problems = []
    limit, before, before_id = 50, None, None
    try:
        limit = parse_limit(request.query.get("limit", "50"))
    except ValueError as err:
        problems.append(FieldProblem(field="limit", message=str(err)))
    if "before" in request.query:
        try:
            before = parse_instant(request.query["before"])
        except ValueError as err:
            problems.append(FieldProblem(field="before", message=str(err)))
    if "before_id" in request.query:
        try:
            before_id = uuid.UUID(request.query["before_id"])
        except ValueError:
            problems.append(FieldProblem(field="before_id", message="not a UUID"))
    if problems:
        raise ApiError(422, "bad query", problems)
    return limit, before, before_id


async def _list_alarms(request: web.Request) -> web.Response:
    user = await authenticate(request)
    states = _query_states(request)
    limit, before, before_id = _query_page(request)
    districts = None if user.role is users.Role.ADMIN else list(user.districts)
    async with pool_of(request).connection() as conn, conn.transaction():
        rows = await alarms.list_alarms(
            conn,
            districts=districts,
            states=states,
            home_id=request.query.get("home_id"),
            limit=limit,
            before=before,
            before_id=before_id,
            search=_query_search(request),
        )
        await audit.record(
            conn,
            user.username,
            "alarms.list",
            "alarms",
            {
                "query": dict(request.query),
                "alarm_ids": [str(r.alarm_id) for r in rows],
                "home_ids": sorted({r.home_id for r in rows}),
            },
        )
    page = AlarmPage(
        items=[_alarm_out(r) for r in rows],
        next_before=rows[-1].raised_at if len(rows) == limit else None,
        next_before_id=rows[-1].alarm_id if len(rows) == limit else None,
    )
    return json_response(page)


def _query_search(request: web.Request) -> str | None:
    text = request.query.get("q", "").strip()
    if len(text) > SEARCH_MAX:
        raise ApiError(
            422, "bad query", [FieldProblem(field="q", message=f"at most {SEARCH_MAX} characters")]
        )
    return text or None


def _alarm_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["alarm_id"])
    except ValueError as err:
        raise ApiError(
            422, "not an alarm id", [FieldProblem(field="alarm_id", message="not a UUID")]
        ) from err


async def _visible(conn: Conn, user: User, alarm_id: uuid.UUID) -> alarms.AlarmRow:
    row = await alarms.get_alarm(conn, alarm_id)
    if row is None or not user.serves(row.district):
        raise ApiError(404, "no such alarm")
    return row


async def _get_alarm(request: web.Request) -> web.Response:
    user = await authenticate(request)
    alarm_id = _alarm_id(request)
    async with pool_of(request).connection() as conn, conn.transaction():
        row = await _visible(conn, user, alarm_id)
        steps = await alarms.timeline(conn, alarm_id)
        await audit.record(
            conn, user.username, "alarm.read", f"alarm:{alarm_id}", {"home_id": row.home_id}
        )
    detail = AlarmDetail(
        **_alarm_out(row).model_dump(),
        timeline=[
            TimelineEntry(at=at, actor=actor, action=action, from_state=f, to_state=t, detail=d)
            for at, actor, action, f, t, d in steps
        ],
    )
    return json_response(detail)


async def _act(
    request: web.Request,
    action: str,
    work: Callable[[Conn, User, uuid.UUID, datetime], Awaitable[None]],
    *,
    holder_only: bool = False,
) -> web.Response:
    """Do ``work`` on an alarm the caller may see; audited with it.

    With ``holder_only``, an alarm someone has claimed may be changed only by them or by a
    supervisor or admin: the claim decides who handles it.
    """
    user = await authenticate(request)
    if not user.acts_on_alarms:
        raise ApiError(403, f"a {user.role.value} does not act on alarms")
    alarm_id = _alarm_id(request)
    now = datetime.now(UTC)
    async with pool_of(request).connection() as conn, conn.transaction():
        row = await _visible(conn, user, alarm_id)
        overrides = user.role in {users.Role.SUPERVISOR, users.Role.ADMIN}
        held_by_other = row.claimed_by not in {None, user.username}
        if holder_only and held_by_other and not overrides and row.state != AlarmState.RAISED:
            raise ApiError(
                409,
                f"the alarm is handled by {row.claimed_by}",
                code="alarm.held_by",
                params={"user": str(row.claimed_by)},
            )
        await work(conn, user, alarm_id, now)
        await audit.record(
            conn, user.username, action, f"alarm:{alarm_id}", {"home_id": row.home_id}
        )
        row = await _visible(conn, user, alarm_id)
    log.info(action, alarm_id=str(alarm_id), home_id=row.home_id, actor=user.username)
    return json_response(_alarm_out(row))


async def _claim(request: web.Request) -> web.Response:
    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        await alarms.claim(conn, alarm_id, user.username, now)

    return await _act(request, "alarm.claim", work)


async def _release(request: web.Request) -> web.Response:
    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        await alarms.transition(conn, alarm_id, AlarmState.RAISED, actor=user.username, now=now)

    return await _act(request, "alarm.release", work, holder_only=True)


async def _start(request: web.Request) -> web.Response:
    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        await alarms.transition(
            conn, alarm_id, AlarmState.IN_PROGRESS, actor=user.username, now=now
        )

    return await _act(request, "alarm.start", work, holder_only=True)


async def _note(request: web.Request) -> web.Response:
    body = await read_body(request, NoteRequest)

    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        await alarms.add_note(conn, alarm_id, user.username, body.text, now)

    return await _act(request, "alarm.note", work)


async def _responder(request: web.Request) -> web.Response:
    body = await read_body(request, ResponderRequest)

    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        detail = body.model_dump(mode="json", exclude_none=True)
        await alarms.add_to_timeline(conn, alarm_id, user.username, "responder", detail, now=now)

    return await _act(request, "alarm.responder", work)


async def _resolve(request: web.Request) -> web.Response:
    body = await read_body(request, ResolveRequest)

    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        detail = {"outcome": body.outcome.value, **({"notes": body.notes} if body.notes else {})}
        await alarms.transition(
            conn, alarm_id, AlarmState.RESOLVED, actor=user.username, now=now, detail=detail
        )

    return await _act(request, "alarm.resolve", work, holder_only=True)


async def _cancel(request: web.Request) -> web.Response:
    body = await read_body(request, CancelRequest)

    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        await alarms.transition(
            conn,
            alarm_id,
            AlarmState.CANCELLED,
            actor=user.username,
            now=now,
            detail={"outcome": "cancelled_by_operator", "reason": body.reason},
        )

    return await _act(request, "alarm.cancel", work, holder_only=True)
