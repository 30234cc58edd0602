"""The REST API's well-being calls: each home's call plan, and the call tasks operators work.

Call tasks sit in the operators' queue below alarms. A task is claimed by one operator (as an
alarm is), then its outcome recorded: spoke, no answer (it comes back after the retry time,
and after the last attempt raises a wellbeing alarm), or skipped. Every read and change is
audited like an alarm's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

from hub.alarms.wellbeing_calls import CallOutcome, CallTaskError, Schedule
from hub.api.access import ApiError, authenticate, json_response, parse_limit, pool_of, read_body
from hub.api.models import (
    CallAttempt,
    CallOut,
    CallOutcomeRequest,
    CallPage,
    CallSchedulesIn,
    FieldProblem,
)
from hub.auth.users import Role
from hub.storage import audit, calls, registry

if TYPE_CHECKING:
    import psycopg
    from aiohttp import web

    from hub.auth.users import User

log = structlog.get_logger(__name__)

PLANNERS = {Role.SUPERVISOR, Role.SOCIAL_WORKER, Role.ADMIN}
"""Who sets a home's call plan: the people who know the person's needs."""


def add_call_routes(app: web.Application) -> None:
    """Serve the call plan and call task routes on ``app``."""
    app.router.add_put("/api/v1/homes/{home_id}/call_schedule", _replace_schedule)
    app.router.add_get("/api/v1/calls", _list_calls)
    app.router.add_post("/api/v1/calls/{task_id}/claim", _claim)
    app.router.add_post("/api/v1/calls/{task_id}/release", _release)
    app.router.add_post("/api/v1/calls/{task_id}/outcome", _outcome)


def _call_out(row: calls.CallRow, now: datetime) -> CallOut:
    return CallOut(
        task_id=row.task_id,
        home_id=row.home_id,
        district=row.district,
        resident_id=row.resident_id,
        resident_name=row.resident_name,
        planned_at=row.planned_at,
        next_try_at=row.next_try_at,
        due=row.state == "open" and row.next_try_at <= now,
        state=row.state,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        claimed_by=row.claimed_by,
        outcome=row.outcome,
        alarm_id=row.alarm_id,
        closed_at=row.closed_at,
        log=[CallAttempt.model_validate(entry) for entry in row.log],
    )


async def _replace_schedule(request: web.Request) -> web.Response:
    user = await authenticate(request)
    if user.role not in PLANNERS:
        raise ApiError(403, f"a {user.role.value} does not plan calls")
    home_id = request.match_info["home_id"]
    body = await read_body(request, CallSchedulesIn)
    async with pool_of(request).connection() as conn, conn.transaction():
        district = await registry.home_district(conn, home_id)
        if district is None or not user.serves(district):
            raise ApiError(404, "no such home")
        residents = {row[0] for row in await registry.residents(conn, home_id)}
        for index, entry in enumerate(body.schedules):
            if entry.resident_id is not None and entry.resident_id not in residents:
                raise ApiError(
                    422,
                    "no such resident in this home",
                    [FieldProblem(field=f"schedules.{index}.resident_id", message="unknown")],
                )
        plan = [
            (
                entry.resident_id,
                Schedule(frozenset(entry.weekdays), entry.at, entry.retry_minutes, entry.attempts),
            )
            for entry in body.schedules
        ]
        await calls.replace_schedules(conn, home_id, plan, datetime.now(UTC))
        await audit.record(
            conn,
            user.username,
            "calls.plan",
            f"home:{home_id}",
            {"schedules": len(plan)},
        )
    return json_response(body)


async def _list_calls(request: web.Request) -> web.Response:
    user = await authenticate(request)
    state = request.query.get("state", "open")
    if state not in {"open", "all"}:
        raise ApiError(422, "bad query", [FieldProblem(field="state", message="open or all")])
    try:
        limit = parse_limit(request.query.get("limit", "100"))
    except ValueError as err:
        raise ApiError(422, "bad query", [FieldProblem(field="limit", message=str(err))]) from err
    districts = None if user.role is Role.ADMIN else list(user.districts)
    now = datetime.now(UTC)
    async with pool_of(request).connection() as conn, conn.transaction():
        rows = await calls.list_calls(
            conn,
            districts=districts,
            open_only=state == "open",
            home_id=request.query.get("home_id"),
            limit=limit,
        )
        await audit.record(
            conn,
            user.username,
            "calls.list",
            "calls",
            {"task_ids": [str(row.task_id) for row in rows]},
        )
    return json_response(CallPage(items=[_call_out(row, now) for row in rows]))


async def _visible(
    conn: psycopg.AsyncConnection[Any], user: User, task_id: uuid.UUID
) -> calls.CallRow:
    row = await calls.get_call(conn, task_id)
    if row is None or not user.serves(row.district):
        raise ApiError(404, "no such call")
    return row


def _task_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["task_id"])
    except ValueError as err:
        raise ApiError(404, "no such call") from err


async def _act(
    request: web.Request, action: str, outcome: CallOutcomeRequest | None
) -> web.Response:
    user = await authenticate(request)
    if not user.acts_on_alarms:
        raise ApiError(403, f"a {user.role.value} does not make calls")
    task_id = _task_id(request)
    now = datetime.now(UTC)
    async with pool_of(request).connection() as conn, conn.transaction():
        row = await _visible(conn, user, task_id)
        overrides = user.role in {Role.SUPERVISOR, Role.ADMIN}
        if action != "call.claim" and row.claimed_by not in {None, user.username} and not overrides:
            raise ApiError(
                409,
                f"the call is handled by {row.claimed_by}",
                code="call.held_by",
                params={"user": str(row.claimed_by)},
            )
        try:
            if action == "call.claim":
                await calls.claim(conn, task_id, user.username, now)
            elif action == "call.release":
                await calls.release(conn, task_id, actor=user.username, overrides=overrides)
            elif outcome is not None:
                await calls.record_outcome(
                    conn,
                    task_id,
                    CallOutcome(outcome.outcome),
                    actor=user.username,
                    overrides=overrides,
                    notes=outcome.notes,
                    now=now,
                )
        except CallTaskError as err:
            raise ApiError(409, err.reason, code=err.code, params=err.params) from err
        await audit.record(
            conn,
            user.username,
            action,
            f"call:{task_id}",
            {"home_id": row.home_id, **({"outcome": outcome.outcome} if outcome else {})},
        )
        row = await _visible(conn, user, task_id)
    log.info(action, task_id=str(task_id), home_id=row.home_id, actor=user.username)
    return json_response(_call_out(row, now))


async def _claim(request: web.Request) -> web.Response:
    return await _act(request, "call.claim", None)


async def _release(request: web.Request) -> web.Response:
    return await _act(request, "call.release", None)


async def _outcome(request: web.Request) -> web.Response:
    body = await read_body(request, CallOutcomeRequest)
    return await _act(request, "call.outcome", body)
