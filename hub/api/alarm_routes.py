"""The alarms through the API: the list, one alarm with its timeline, and the operators' actions.

Reads of a person's alarm and every action are written to the audit log in the same
transaction as the action. Who may change a claimed alarm is :func:`hub.api.access.check_holder`.
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog

from hub.alarms.lifecycle import AlarmState
from hub.api.access import check_holder, visible_row
from hub.api.models import (
    AlarmDetail,
    AlarmOut,
    AlarmPage,
    CancelRequest,
    NoteRequest,
    ResolveRequest,
    ResponderRequest,
    TimelineEntry,
)
from hub.api.params import AlarmPath, AlarmQuery
from hub.api.routing import Allowed, Call, How, RouteTable
from hub.api.rows import out
from hub.auth.users import ANSWERING_ROLES, Role, User
from hub.storage import alarm_changes, alarm_reads, audit

log = structlog.get_logger(__name__)

ROUTES = RouteTable()
ANSWERERS = Allowed(ANSWERING_ROLES, "act on alarms")
HELD = frozenset({AlarmState.CLAIMED, AlarmState.IN_PROGRESS})
"""The states in which an alarm's claim decides who changes it."""

Conn = psycopg.AsyncConnection[Any]
Work = Callable[[Conn, User, uuid.UUID, datetime], Awaitable[None]]


@ROUTES.get("/api/v1/alarms", "Alarms, newest first")
async def list_alarms(call: Call, query: AlarmQuery) -> AlarmPage:
    """The alarms of the caller's districts that match the query, a page at a time."""
    user = call.user
    districts = None if user.role is Role.ADMIN else list(user.districts)
    async with call.pool.connection() as conn, conn.transaction():
        rows = await alarm_reads.list_alarms(
            conn,
            districts=districts,
            states=query.states,
            home_id=query.home_id,
            limit=query.limit,
            before=query.before,
            before_id=query.before_id,
            search=query.search,
        )
        await audit.record(
            conn,
            user.username,
            "alarms.list",
            "alarms",
            {
                # What was asked, as checked: the raw query string may hold anything (a NUL
                # in an unknown parameter's name), which jsonb cannot.
                "query": query.model_dump(mode="json", exclude_none=True),
                "alarm_ids": [str(r.alarm_id) for r in rows],
                "home_ids": sorted({r.home_id for r in rows}),
            },
        )
    full = len(rows) == query.limit
    return AlarmPage(
        items=[out(AlarmOut, r) for r in rows],
        next_before=rows[-1].raised_at if full else None,
        next_before_id=rows[-1].alarm_id if full else None,
    )


async def _visible(conn: Conn, user: User, alarm_id: uuid.UUID) -> alarm_reads.AlarmRow:
    row = await alarm_reads.get_alarm(conn, alarm_id)
    return visible_row(user, row, "alarm")


@ROUTES.get("/api/v1/alarms/{alarm_id}", "One alarm with its timeline", errors=[404])
async def get_alarm(call: Call, path: AlarmPath) -> AlarmDetail:
    """One alarm and every step of its life."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        row = await _visible(conn, user, path.alarm_id)
        steps = await alarm_reads.timeline(conn, path.alarm_id)
        await audit.record(
            conn, user.username, "alarm.read", f"alarm:{path.alarm_id}", {"home_id": row.home_id}
        )
    return out(
        AlarmDetail,
        row,
        timeline=[
            TimelineEntry(at=at, actor=actor, action=action, from_state=f, to_state=t, detail=d)
            for at, actor, action, f, t, d in steps
        ],
    )


async def _act(
    call: Call, alarm_id: uuid.UUID, action: str, work: Work, *, holds: bool
) -> AlarmOut:
    """Do ``work`` on an alarm the caller may see, audited with it.

    ``holds``: the work changes the alarm's state, so a claim held by another user stops it.
    """
    user = call.user
    now = datetime.now(UTC)
    async with call.pool.connection() as conn, conn.transaction():
        row = await _visible(conn, user, alarm_id)
        if holds:
            check_holder(user, row.claimed_by if row.state in HELD else None, "alarm")
        await work(conn, user, alarm_id, now)
        await audit.record(
            conn, user.username, action, f"alarm:{alarm_id}", {"home_id": row.home_id}
        )
        row = await _visible(conn, user, alarm_id)
    log.info(action, alarm_id=str(alarm_id), home_id=row.home_id, actor=user.username)
    return out(AlarmOut, row)


def _moving_to(state: AlarmState, detail: dict[str, Any] | None = None) -> Work:
    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        await alarm_changes.transition(
            conn, alarm_id, state, actor=user.username, now=now, detail=detail
        )

    return work


_ACTION: How = {"errors": [404, 409], "allowed": ANSWERERS}


@ROUTES.post(
    "/api/v1/alarms/{alarm_id}/claim", "Take a raised alarm (one operator wins)", **_ACTION
)
async def claim_alarm(call: Call, path: AlarmPath) -> AlarmOut:
    """Claim the alarm: the first operator wins, the others get a 409."""

    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        await alarm_changes.claim(conn, alarm_id, user.username, now)

    return await _act(call, path.alarm_id, "alarm.claim", work, holds=False)


@ROUTES.post("/api/v1/alarms/{alarm_id}/start", "Mark a claimed alarm in progress", **_ACTION)
async def start_alarm(call: Call, path: AlarmPath) -> AlarmOut:
    """The operator is on it (speaking with the person, calling someone)."""
    work = _moving_to(AlarmState.IN_PROGRESS)
    return await _act(call, path.alarm_id, "alarm.start", work, holds=True)


@ROUTES.post(
    "/api/v1/alarms/{alarm_id}/release", "Give a claimed alarm back to the queue", **_ACTION
)
async def release_alarm(call: Call, path: AlarmPath) -> AlarmOut:
    """Put the alarm back in the queue for another operator."""
    work = _moving_to(AlarmState.RAISED)
    return await _act(call, path.alarm_id, "alarm.release", work, holds=True)


@ROUTES.post("/api/v1/alarms/{alarm_id}/notes", "Add a note to the timeline", **_ACTION)
async def note_alarm(call: Call, path: AlarmPath, body: NoteRequest) -> AlarmOut:
    """A note on the alarm's timeline."""

    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        await alarm_changes.add_note(conn, alarm_id, user.username, body.text, now)

    return await _act(call, path.alarm_id, "alarm.note", work, holds=False)


@ROUTES.post(
    "/api/v1/alarms/{alarm_id}/responders",
    "Record a contact or responder called, and what came of it",
    **_ACTION,
)
async def add_responder(call: Call, path: AlarmPath, body: ResponderRequest) -> AlarmOut:
    """Someone called about the alarm, and what they said."""

    async def work(conn: Conn, user: User, alarm_id: uuid.UUID, now: datetime) -> None:
        detail = body.model_dump(mode="json", exclude_none=True)
        await alarm_changes.add_to_timeline(
            conn, alarm_id, user.username, "responder", detail, now=now
        )

    return await _act(call, path.alarm_id, "alarm.responder", work, holds=False)


@ROUTES.post("/api/v1/alarms/{alarm_id}/resolve", "Resolve with an outcome", **_ACTION)
async def resolve_alarm(call: Call, path: AlarmPath, body: ResolveRequest) -> AlarmOut:
    """Close the alarm with how it ended."""
    detail = {"outcome": body.outcome.value, **({"notes": body.notes} if body.notes else {})}
    work = _moving_to(AlarmState.RESOLVED, detail)
    return await _act(call, path.alarm_id, "alarm.resolve", work, holds=True)


@ROUTES.post("/api/v1/alarms/{alarm_id}/cancel", "Cancel an alarm nobody needs", **_ACTION)
async def cancel_alarm(call: Call, path: AlarmPath, body: CancelRequest) -> AlarmOut:
    """Close an alarm nobody needed, with the reason."""
    detail = {"outcome": "cancelled_by_operator", "reason": body.reason}
    work = _moving_to(AlarmState.CANCELLED, detail)
    return await _act(call, path.alarm_id, "alarm.cancel", work, holds=True)
