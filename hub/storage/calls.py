"""Well-being call schedules and call tasks in PostgreSQL.

Tasks are made by every hub's timer at each planned moment, once (a unique key on the
schedule and the moment); the claim is one conditional update, so of several operators one
wins; every attempt is appended to the task's log with who, when and what came of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from psycopg import sql
from psycopg.types.json import Jsonb

from hub.alarms import wellbeing_calls
from hub.alarms.wellbeing_calls import (
    AfterOutcome,
    CallOutcome,
    CallState,
    CallTaskError,
    Schedule,
)
from hub.errors import HubError
from hub.storage.alarm_changes import raise_by_rule
from hub.zones import DEFAULT_TIME_ZONE, zone_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from psycopg import AsyncConnection

log = structlog.get_logger(__name__)

LOOK_BACK = timedelta(days=1)
"""How far back a timer makes the tasks it missed (a hub stopped overnight catches up)."""


class UnknownCallError(HubError, LookupError):
    """No call task has this id."""


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One resident's call schedule as stored."""

    schedule_id: uuid.UUID
    resident_id: uuid.UUID | None
    schedule: Schedule


@dataclass(frozen=True, slots=True)
class CallRow:
    """A call task as the API shows it."""

    task_id: uuid.UUID
    home_id: str
    district: str
    resident_id: uuid.UUID | None
    resident_name: str | None
    planned_at: datetime
    next_try_at: datetime
    state: str
    attempts: int
    max_attempts: int
    retry_minutes: int
    claimed_by: str | None
    outcome: str | None
    log: list[dict[str, Any]]
    alarm_id: uuid.UUID | None
    closed_at: datetime | None


async def replace_schedules(
    conn: AsyncConnection[Any],
    home_id: str,
    schedules: Sequence[tuple[uuid.UUID | None, Schedule]],
    now: datetime,
) -> None:
    """Make ``schedules`` (resident, schedule) the home's whole call plan.

    Tasks already in the queue stay; new schedules plan from ``now`` on, so replacing a plan
    does not conjure up this morning's calls.
    """
    await conn.execute("DELETE FROM call_schedules WHERE home_id = %s", (home_id,))
    for resident_id, schedule in schedules:
        await conn.execute(
            "INSERT INTO call_schedules (schedule_id, home_id, resident_id, weekdays, at,"
            " retry_minutes, attempts, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                uuid.uuid4(),
                home_id,
                resident_id,
                sorted(schedule.weekdays),
                schedule.at,
                schedule.retry_minutes,
                schedule.attempts,
                now,
            ),
        )


async def schedules_of(conn: AsyncConnection[Any], home_id: str) -> list[ScheduleRow]:
    """A home's call schedules, in the order of their time of day."""
    cursor = await conn.execute(
        "SELECT schedule_id, resident_id, weekdays, at, retry_minutes, attempts"
        " FROM call_schedules WHERE home_id = %s ORDER BY at, schedule_id",
        (home_id,),
    )
    return [
        ScheduleRow(row[0], row[1], Schedule(frozenset(row[2]), row[3], row[4], row[5]))
        for row in await cursor.fetchall()
    ]


async def plan_due(conn: AsyncConnection[Any], now: datetime) -> list[uuid.UUID]:
    """Put in the queue every call that has fallen due since the last look; return them."""
    cursor = await conn.execute(
        "SELECT s.schedule_id, s.home_id, s.resident_id, s.weekdays, s.at, s.retry_minutes,"
        " s.attempts, s.created_at, coalesce(r.time_zone, %s),"
        " (SELECT max(t.planned_at) FROM call_tasks t WHERE t.schedule_id = s.schedule_id)"
        " FROM call_schedules s LEFT JOIN home_rules r USING (home_id)",
        (DEFAULT_TIME_ZONE,),
    )
    planned = []
    for row in await cursor.fetchall():
        schedule_id, home_id, resident_id, weekdays, at, retry, attempts, created, zone, last = row
        schedule = Schedule(frozenset(weekdays), at, retry, attempts)
        start = max(created, now - LOOK_BACK, last or created)
        for moment in wellbeing_calls.occurrences(schedule, zone_of(zone), start, now):
            made = await conn.execute(
                "INSERT INTO call_tasks (task_id, home_id, resident_id, schedule_id,"
                " planned_at, next_try_at, state, max_attempts, retry_minutes)"
                " VALUES (%s, %s, %s, %s, %s, %s, 'open', %s, %s)"
                " ON CONFLICT (schedule_id, planned_at) DO NOTHING RETURNING task_id",
                (uuid.uuid4(), home_id, resident_id, schedule_id, moment, moment, attempts, retry),
            )
            task = await made.fetchone()
            if task is not None:
                planned.append(task[0])
    return planned


_SELECT_CALLS = sql.SQL(
    "SELECT t.task_id, t.home_id, h.district, t.resident_id, p.full_name, t.planned_at,"
    " t.next_try_at, t.state, t.attempts, t.max_attempts, t.retry_minutes, t.claimed_by,"
    " t.outcome, t.log, t.alarm_id, t.closed_at"
    " FROM call_tasks t JOIN homes h USING (home_id)"
    " LEFT JOIN residents p ON p.resident_id = t.resident_id"
)


async def list_calls(
    conn: AsyncConnection[Any],
    *,
    districts: Sequence[str] | None,
    open_only: bool,
    home_id: str | None,
    limit: int,
) -> list[CallRow]:
    """Call tasks of ``districts`` (None: all).

    Open ones by when they are due, else the latest first.
    """
    order = sql.SQL("t.next_try_at, t.task_id" if open_only else "t.planned_at DESC, t.task_id")
    cursor = await conn.execute(
        sql.SQL(
            "{select}"
            " WHERE (%(districts)s::text[] IS NULL OR h.district = ANY(%(districts)s))"
            " AND (NOT %(open_only)s OR t.state IN ('open', 'claimed'))"
            " AND (%(home)s::text IS NULL OR t.home_id = %(home)s)"
            " ORDER BY {order} LIMIT %(limit)s"
        ).format(select=_SELECT_CALLS, order=order),
        {
            "districts": None if districts is None else list(districts),
            "open_only": open_only,
            "home": home_id,
            "limit": limit,
        },
    )
    return [CallRow(*row) for row in await cursor.fetchall()]


async def get_call(conn: AsyncConnection[Any], task_id: uuid.UUID) -> CallRow | None:
    """One call task, or None."""
    cursor = await conn.execute(
        sql.SQL("{} WHERE t.task_id = %s").format(_SELECT_CALLS), (task_id,)
    )
    row = await cursor.fetchone()
    return None if row is None else CallRow(*row)


async def claim(
    conn: AsyncConnection[Any], task_id: uuid.UUID, operator: str, now: datetime
) -> None:
    """Give a due, open call to ``operator``; of several claiming at once, exactly one wins.

    Raises:
        CallTaskError: not due yet, someone else has it, or it is closed.
        UnknownCallError: no such task.
    """
    cursor = await conn.execute(
        "UPDATE call_tasks SET state = 'claimed', claimed_by = %s, updated_at = now()"
        " WHERE task_id = %s AND state = 'open' AND next_try_at <= %s RETURNING task_id",
        (operator, task_id, now),
    )
    if await cursor.fetchone() is not None:
        return
    row = await get_call(conn, task_id)
    if row is None:
        raise UnknownCallError(str(task_id))
    if row.state == CallState.OPEN:
        raise CallTaskError(
            f"the call is not due until {row.next_try_at.isoformat()}",
            "call.not_due",
            {"at": row.next_try_at.isoformat()},
        )
    if row.state == CallState.CLAIMED:
        raise CallTaskError(
            f"the call is handled by {row.claimed_by}",
            "call.held_by",
            {"user": str(row.claimed_by)},
        )
    raise CallTaskError(f"the call is already {row.state}", "call.closed", {"state": row.state})


async def release(
    conn: AsyncConnection[Any], task_id: uuid.UUID, *, actor: str, overrides: bool
) -> None:
    """Put a claimed call back in the queue: its holder's, or anyone's with ``overrides``.

    Raises:
        CallTaskError: it is not claimed, or by someone else.
    """
    cursor = await conn.execute(
        "UPDATE call_tasks SET state = 'open', claimed_by = NULL, updated_at = now()"
        " WHERE task_id = %s AND state = 'claimed' AND (claimed_by = %s OR %s)"
        " RETURNING task_id",
        (task_id, actor, overrides),
    )
    if await cursor.fetchone() is None:
        row = await get_call(conn, task_id)
        if row is not None and row.state == CallState.CLAIMED:
            raise CallTaskError(
                f"the call is handled by {row.claimed_by}",
                "call.held_by",
                {"user": str(row.claimed_by)},
            )
        raise CallTaskError("only a claimed call can be released", "call.not_claimed")


async def record_outcome(  # noqa: PLR0913 - the attempt, who made it and what they said
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    outcome: CallOutcome,
    *,
    actor: str,
    overrides: bool,
    notes: str | None,
    now: datetime,
) -> AfterOutcome:
    """Record one attempt; a last unanswered one raises the wellbeing alarm.

    Only the call's holder records it, or anyone with ``overrides`` (a supervisor). Call
    inside a transaction. Raises CallTaskError when the task is not claimed, or by another.
    """
    cursor = await conn.execute(
        "SELECT state, attempts, max_attempts, retry_minutes, home_id, planned_at, claimed_by"
        " FROM call_tasks WHERE task_id = %s FOR UPDATE",
        (task_id,),
    )
    row = await cursor.fetchone()
    if row is None:
        raise UnknownCallError(str(task_id))
    state, attempts, max_attempts, retry, home_id, planned_at, holder = row
    if state == CallState.CLAIMED and holder != actor and not overrides:
        raise CallTaskError(
            f"the call is handled by {holder}", "call.held_by", {"user": str(holder)}
        )
    made = attempts + (1 if outcome is not CallOutcome.SKIPPED else 0)
    schedule = Schedule(frozenset(), planned_at.time(), retry, max_attempts)
    after = wellbeing_calls.after_outcome(CallState(state), outcome, made, schedule, now)
    alarm_id = None
    if after.raise_alarm:
        alarm_id = await raise_by_rule(
            conn,
            home_id,
            wellbeing_calls.UNANSWERED,
            wellbeing_calls.PRIORITY,
            {"attempts": str(made), "planned_at": planned_at.isoformat()},
            now=now,
        )
    entry = {"at": now.isoformat(), "by": actor, "outcome": outcome.value}
    if notes:
        entry["notes"] = notes
    closed = after.state not in {CallState.OPEN, CallState.CLAIMED}
    await conn.execute(
        "UPDATE call_tasks SET state = %s, attempts = %s, log = log || %s,"
        " next_try_at = coalesce(%s, next_try_at), outcome = %s,"
        " claimed_by = CASE WHEN %s THEN claimed_by END, closed_at = %s,"
        " alarm_id = coalesce(%s, alarm_id), updated_at = now() WHERE task_id = %s",
        (
            after.state.value,
            made,
            Jsonb([entry]),
            after.next_try_at,
            outcome.value if closed else None,
            closed,
            now if closed else None,
            alarm_id,
            task_id,
        ),
    )
    if alarm_id is not None:
        log.warning("alarm_raised", alarm_id=str(alarm_id), kind=wellbeing_calls.UNANSWERED)
    return after
