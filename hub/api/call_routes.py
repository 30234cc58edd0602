"""The REST API's well-being calls: each home's call plan, and the call tasks operators work.

Call tasks sit in the operators' queue below alarms. A task is claimed by one operator (as an
alarm is), then its outcome recorded: spoke, no answer (it comes back after the retry time,
and after the last attempt raises a wellbeing alarm), or skipped. Every read and change is
audited like an alarm's; who may change a claimed task is
:func:`hub.api.access.check_holder`, as for alarms.
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog

from hub.alarms.wellbeing_calls import CallOutcome, CallTaskError, Schedule
from hub.api.access import ApiError, check_holder, visible, visible_row
from hub.api.models import CallOut, CallOutcomeRequest, CallPage, CallSchedulesIn, FieldProblem
from hub.api.params import CallQuery, HomePath, TaskPath
from hub.api.routing import Allowed, Call, How, RouteTable
from hub.api.rows import out
from hub.auth.users import ANSWERING_ROLES, OVERRIDING_ROLES, Role, User
from hub.storage import audit, calls, registry

log = structlog.get_logger(__name__)

ROUTES = RouteTable()
PLANNERS = Allowed(frozenset({Role.SUPERVISOR, Role.SOCIAL_WORKER, Role.ADMIN}), "plan calls")
"""Who sets a home's call plan: the people who know the person's needs."""
CALLERS = Allowed(ANSWERING_ROLES, "make calls")

Conn = psycopg.AsyncConnection[Any]
Work = Callable[[Conn, User, uuid.UUID, datetime], Awaitable[None]]


def _call_out(row: calls.CallRow, now: datetime) -> CallOut:
    return out(CallOut, row, due=row.state == "open" and row.next_try_at <= now)


@ROUTES.put(
    "/api/v1/homes/{home_id}/call_schedule",
    "Set the home's plan of well-being calls (supervisor, social worker, admin)",
    errors=[404],
    allowed=PLANNERS,
)
async def replace_call_schedule(
    call: Call, path: HomePath, body: CallSchedulesIn
) -> CallSchedulesIn:
    """Replace the home's call plan; calls already in the queue stay."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        visible(user, await registry.home_district(conn, path.home_id), "home")
        residents = {row[0] for row in await registry.residents(conn, path.home_id)}
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
        await calls.replace_schedules(conn, path.home_id, plan, datetime.now(UTC))
        await audit.record(
            conn, user.username, "calls.plan", f"home:{path.home_id}", {"schedules": len(plan)}
        )
    return body


@ROUTES.get("/api/v1/calls", "Well-being call tasks: open ones by when due, or all, latest first")
async def list_calls(call: Call, query: CallQuery) -> CallPage:
    """The call tasks of the caller's districts."""
    user = call.user
    districts = None if user.role is Role.ADMIN else list(user.districts)
    now = datetime.now(UTC)
    async with call.pool.connection() as conn, conn.transaction():
        rows = await calls.list_calls(
            conn,
            districts=districts,
            open_only=query.state == "open",
            home_id=query.home_id,
            limit=query.limit,
        )
        await audit.record(
            conn, user.username, "calls.list", "calls", {"task_ids": [str(r.task_id) for r in rows]}
        )
    return CallPage(items=[_call_out(row, now) for row in rows])


async def _visible(conn: Conn, user: User, task_id: uuid.UUID) -> calls.CallRow:
    row = await calls.get_call(conn, task_id)
    return visible_row(user, row, "call")


async def _act(  # noqa: PLR0913 - the task, the action, and how it is recorded
    call: Call, task_id: uuid.UUID, action: str, work: Work, *, holds: bool, detail: dict[str, str]
) -> CallOut:
    """Do ``work`` on a call task the caller may see, audited with it."""
    user = call.user
    now = datetime.now(UTC)
    async with call.pool.connection() as conn, conn.transaction():
        row = await _visible(conn, user, task_id)
        if holds:
            check_holder(user, row.claimed_by if row.state == "claimed" else None, "call")
        try:
            await work(conn, user, task_id, now)
        except CallTaskError as err:
            raise ApiError(409, err.reason, code=err.code, params=err.params) from err
        await audit.record(
            conn, user.username, action, f"call:{task_id}", {"home_id": row.home_id, **detail}
        )
        row = await _visible(conn, user, task_id)
    log.info(action, task_id=str(task_id), home_id=row.home_id, actor=user.username)
    return _call_out(row, now)


_ACTION: How = {"errors": [404, 409], "allowed": CALLERS}


@ROUTES.post("/api/v1/calls/{task_id}/claim", "Take a due call", **_ACTION)
async def claim_call(call: Call, path: TaskPath) -> CallOut:
    """Take a due call: one operator wins."""

    async def work(conn: Conn, user: User, task_id: uuid.UUID, now: datetime) -> None:
        await calls.claim(conn, task_id, user.username, now)

    return await _act(call, path.task_id, "call.claim", work, holds=False, detail={})


@ROUTES.post("/api/v1/calls/{task_id}/release", "Put a claimed call back", **_ACTION)
async def release_call(call: Call, path: TaskPath) -> CallOut:
    """Put the call back in the queue."""

    async def work(conn: Conn, user: User, task_id: uuid.UUID, _now: datetime) -> None:
        overrides = user.role in OVERRIDING_ROLES
        await calls.release(conn, task_id, actor=user.username, overrides=overrides)

    return await _act(call, path.task_id, "call.release", work, holds=True, detail={})


@ROUTES.post(
    "/api/v1/calls/{task_id}/outcome",
    "Record an attempt: spoke, no answer (retried, then an alarm), skipped",
    **_ACTION,
)
async def record_call_outcome(call: Call, path: TaskPath, body: CallOutcomeRequest) -> CallOut:
    """What came of an attempt."""

    async def work(conn: Conn, user: User, task_id: uuid.UUID, now: datetime) -> None:
        await calls.record_outcome(
            conn,
            task_id,
            CallOutcome(body.outcome),
            actor=user.username,
            overrides=user.role in OVERRIDING_ROLES,
            notes=body.notes,
            now=now,
        )

    detail: dict[str, str] = {"outcome": body.outcome}
    return await _act(call, path.task_id, "call.outcome", work, holds=True, detail=detail)
