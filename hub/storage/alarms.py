"""Alarms in PostgreSQL: raise or join, cancel, claim (one winner), change state, escalate.

Every change is one statement that checks the state it changes from, so two operators or two
hubs acting at once cannot both succeed; every change writes an ``alarm_log`` row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from psycopg import sql
from psycopg.types.json import Jsonb

from hub.alarms import checkin, supervision
from hub.alarms.lifecycle import (
    ESCALATE_AFTER,
    OPEN_STATES,
    AlarmState,
    AlarmTimer,
    IllegalTransitionError,
    check_transition,
    escalated_priority,
    escalation_due,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime, timedelta

    from psycopg import AsyncConnection

    from hub.alarms.rules import AlarmTrigger
    from protocol import CancelEvent, Event

log = structlog.get_logger(__name__)

DEFAULT_TIME_ZONE = "Europe/Rome"
SYSTEM = "system"
"""The actor of changes the hub makes by itself."""
RESIDENT = "resident"

_OPEN = list(OPEN_STATES)


class UnknownAlarmError(LookupError):
    """No alarm has this id."""


@dataclass(frozen=True, slots=True)
class Joined:
    """What storing one triggering event did."""

    event_id: uuid.UUID
    alarm_id: uuid.UUID
    raised: bool
    """True for a new alarm, False when the event joined an open one (or was seen before)."""


async def apply_triggers(
    conn: AsyncConnection[Any], triggered: Sequence[tuple[Event, AlarmTrigger]], now: datetime
) -> list[Joined]:
    """Raise an alarm for each triggering event, or join the open one of its home and kind.

    An event seen before (redelivered) returns the alarm it raised or joined, and changes
    nothing. Call inside the transaction that stores the events.
    """
    ids = [event.event_id for event, _ in triggered]
    cursor = await conn.execute(
        "SELECT event_id, alarm_id FROM alarm_events WHERE event_id = ANY(%s)", (ids,)
    )
    known = {row[0]: row[1] for row in await cursor.fetchall()}
    joined = []
    for event, trigger in triggered:
        if event.event_id in known:
            joined.append(Joined(event.event_id, known[event.event_id], raised=False))
            continue
        cursor = await conn.execute(
            "INSERT INTO alarms (alarm_id, home_id, kind, priority, state, reason_key,"
            " reason_params, raised_at, last_trigger_at, last_event_id)"
            " VALUES (%s, %s, %s, %s, 'raised', %s, %s, %s, %s, %s)"
            " ON CONFLICT (home_id, kind) WHERE state IN ('raised', 'claimed', 'in_progress')"
            " DO UPDATE SET trigger_count = alarms.trigger_count + 1,"
            "  last_trigger_at = GREATEST(alarms.last_trigger_at, EXCLUDED.last_trigger_at),"
            "  last_event_id = EXCLUDED.last_event_id, updated_at = now()"
            " RETURNING alarm_id, xmax = 0",
            (
                uuid.uuid4(),
                event.home_id,
                trigger.kind.value,
                trigger.priority,
                trigger.reason_key,
                Jsonb(trigger.reason_params),
                # The hub's time, not the device's: a unit's wrong clock must not stop an
                # alarm from escalating, nor sort it off the operators' first page.
                now,
                now,
                event.event_id,
            ),
        )
        row = await cursor.fetchone()
        assert row is not None  # noqa: S101 - INSERT ... RETURNING always returns a row
        alarm_id, raised = row[0], bool(row[1])
        known[event.event_id] = alarm_id
        await conn.execute(
            "INSERT INTO alarm_events (event_id, alarm_id) VALUES (%s, %s)",
            (event.event_id, alarm_id),
        )
        await _log(
            conn,
            alarm_id,
            at=now,
            actor=SYSTEM,
            action="raised" if raised else "joined",
            from_state=None,
            to_state=AlarmState.RAISED if raised else None,
            detail={
                "event_id": str(event.event_id),
                "device_id": event.device_id,
                "device_time": event.ts.isoformat(),
            },
        )
        joined.append(Joined(event.event_id, alarm_id, raised))
    return joined


async def cancel_by_resident(
    conn: AsyncConnection[Any], cancels: Sequence[CancelEvent], now: datetime
) -> list[uuid.UUID]:
    """Cancel the open alarms that cancel presses name; return the alarms cancelled.

    A press cancels an alarm only by naming the event that last raised or joined it: a
    late cancel of an earlier press does not close an alarm a new press has joined. A press
    naming nothing, or an alarm already closed, changes nothing (it stays an event).
    """
    cancelled = []
    for press in cancels:
        if press.value.cancels is None:
            continue
        cursor = await conn.execute(
            "SELECT alarm_id, state FROM alarms WHERE last_event_id = %s AND home_id = %s"
            " AND state = ANY(%s) FOR UPDATE",
            (press.value.cancels, press.home_id, _OPEN),
        )
        row = await cursor.fetchone()
        if row is None:
            continue
        alarm_id, state = row
        await conn.execute(
            "UPDATE alarms SET state = 'cancelled', closed_at = %s, outcome = 'cancelled',"
            " updated_at = now() WHERE alarm_id = %s",
            (now, alarm_id),
        )
        await _log(
            conn,
            alarm_id,
            at=now,
            actor=RESIDENT,
            action="cancelled",
            from_state=AlarmState(state),
            to_state=AlarmState.CANCELLED,
            detail={"event_id": str(press.event_id)},
        )
        cancelled.append(alarm_id)
    return cancelled


async def claim(
    conn: AsyncConnection[Any], alarm_id: uuid.UUID, operator: str, now: datetime
) -> None:
    """Give a raised alarm to ``operator``; of several claiming at once, exactly one wins.

    Raises:
        IllegalTransitionError: it is not raised any more (someone else has it, or closed).
        UnknownAlarmError: no such alarm.
    """
    async with conn.transaction():
        cursor = await conn.execute(
            "UPDATE alarms SET state = 'claimed', claimed_by = %s, claimed_at = %s,"
            " updated_at = now() WHERE alarm_id = %s AND state = 'raised' RETURNING alarm_id",
            (operator, now, alarm_id),
        )
        if await cursor.fetchone() is None:
            raise IllegalTransitionError(await _state(conn, alarm_id), AlarmState.CLAIMED)
        await _log(
            conn,
            alarm_id,
            at=now,
            actor=operator,
            action="claimed",
            from_state=AlarmState.RAISED,
            to_state=AlarmState.CLAIMED,
            detail={},
        )


async def transition(  # noqa: PLR0913 - the change, who made it, and what they said
    conn: AsyncConnection[Any],
    alarm_id: uuid.UUID,
    wanted: AlarmState,
    *,
    actor: str,
    now: datetime,
    detail: dict[str, str] | None = None,
) -> AlarmState:
    """Move an alarm to ``wanted`` if the lifecycle allows it from where it is now.

    Returns the state it came from. The change applies only if nobody changed the alarm in
    between (the update checks the state it read).

    Raises:
        IllegalTransitionError: the lifecycle does not allow it (or someone got there first).
        UnknownAlarmError: no such alarm.
    """
    async with conn.transaction():
        current = await _state(conn, alarm_id)
        check_transition(current, wanted)
        closing = not wanted.is_open
        cursor = await conn.execute(
            "UPDATE alarms SET state = %s, updated_at = now(),"
            " closed_at = CASE WHEN %s THEN %s ELSE closed_at END,"
            " outcome = CASE WHEN %s THEN %s ELSE outcome END,"
            " claimed_by = CASE WHEN %s = 'raised' THEN NULL ELSE claimed_by END"
            " WHERE alarm_id = %s AND state = %s RETURNING alarm_id",
            (
                wanted.value,
                closing,
                now,
                closing,
                (detail or {}).get("outcome"),
                wanted.value,
                alarm_id,
                current.value,
            ),
        )
        if await cursor.fetchone() is None:
            raise IllegalTransitionError(await _state(conn, alarm_id), wanted)
        await _log(
            conn,
            alarm_id,
            at=now,
            actor=actor,
            action=wanted.value,
            from_state=current,
            to_state=wanted,
            detail=detail or {},
        )
    return current


async def escalate_due(
    conn: AsyncConnection[Any], now: datetime, policy: dict[int, timedelta] = ESCALATE_AFTER
) -> list[uuid.UUID]:
    """Escalate every raised alarm left unclaimed past its priority's time; return them.

    Timers live in the table, so they survive a hub restart; several hubs may run this at
    once, and the update's own condition keeps an alarm from escalating twice for one wait.
    """
    cursor = await conn.execute(
        "SELECT alarm_id, state, priority, raised_at, escalated_at FROM alarms"
        " WHERE state = 'raised'"
    )
    escalated = []
    for alarm_id, state, priority, raised_at, escalated_at in await cursor.fetchall():
        timer = AlarmTimer(AlarmState(state), priority, raised_at, escalated_at)
        if not escalation_due(timer, now, policy):
            continue
        new_priority = escalated_priority(priority)
        async with conn.transaction():
            done = await conn.execute(
                "UPDATE alarms SET priority = %s, escalated_at = %s, updated_at = now()"
                " WHERE alarm_id = %s AND state = 'raised'"
                " AND escalated_at IS NOT DISTINCT FROM %s RETURNING alarm_id",
                (new_priority, now, alarm_id, escalated_at),
            )
            if await done.fetchone() is None:
                continue
            await _log(
                conn,
                alarm_id,
                at=now,
                actor=SYSTEM,
                action="escalated",
                from_state=AlarmState.RAISED,
                to_state=AlarmState.RAISED,
                detail={"from_priority": str(priority), "to_priority": str(new_priority)},
            )
        escalated.append(alarm_id)
    return escalated


async def _state(conn: AsyncConnection[Any], alarm_id: uuid.UUID) -> AlarmState:
    cursor = await conn.execute("SELECT state FROM alarms WHERE alarm_id = %s", (alarm_id,))
    row = await cursor.fetchone()
    if row is None:
        raise UnknownAlarmError(str(alarm_id))
    return AlarmState(row[0])


async def _log(  # noqa: PLR0913 - one row's columns
    conn: AsyncConnection[Any],
    alarm_id: uuid.UUID,
    *,
    at: datetime,
    actor: str,
    action: str,
    from_state: AlarmState | None,
    to_state: AlarmState | None,
    detail: dict[str, str],
) -> None:
    await conn.execute(
        "INSERT INTO alarm_log (alarm_id, at, actor, action, from_state, to_state, detail)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (
            alarm_id,
            at,
            actor,
            action,
            from_state.value if from_state else None,
            to_state.value if to_state else None,
            Jsonb(detail),
        ),
    )


@dataclass(frozen=True, slots=True)
class AlarmRow:
    """An alarm as the API shows it."""

    alarm_id: uuid.UUID
    home_id: str
    district: str
    kind: str
    priority: int
    state: str
    reason_key: str
    reason_params: dict[str, str]
    raised_at: datetime
    last_trigger_at: datetime
    trigger_count: int
    escalated_at: datetime | None
    claimed_by: str | None
    closed_at: datetime | None
    outcome: str | None


_ALARM_COLUMNS = sql.SQL(
    "a.alarm_id, a.home_id, h.district, a.kind, a.priority, a.state, a.reason_key,"
    " a.reason_params, a.raised_at, a.last_trigger_at, a.trigger_count, a.escalated_at,"
    " a.claimed_by, a.closed_at, a.outcome"
)


async def list_alarms(  # noqa: PLR0913 - the API's filters
    conn: AsyncConnection[Any],
    *,
    districts: Sequence[str] | None,
    states: Sequence[AlarmState],
    home_id: str | None,
    limit: int,
    before: datetime | None,
    before_id: uuid.UUID | None = None,
    search: str | None = None,
) -> list[AlarmRow]:
    """Alarms newest first, in ``districts`` (all when None), in ``states``.

    ``search`` keeps the alarms whose home id or a resident's name contains it (any case).

    Paged by (``before``, ``before_id``), the last row of the previous page: alarms raised in
    the same instant (one timer tick raises many) are neither skipped nor repeated.
    """
    # The words searched for are matched literally: LIKE's wildcards in them are escaped.
    pattern = None
    if search is not None:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
    cursor = await conn.execute(
        sql.SQL(
            "SELECT {} FROM alarms a JOIN homes h USING (home_id)"
            " WHERE (%s::text[] IS NULL OR h.district = ANY(%s::text[]))"
            " AND a.state = ANY(%s) AND (%s::text IS NULL OR a.home_id = %s)"
            " AND (%s::timestamptz IS NULL OR (a.raised_at, a.alarm_id) < (%s, %s::uuid))"
            " AND (%s::text IS NULL OR a.home_id ILIKE %s OR EXISTS (SELECT 1 FROM residents r"
            "  WHERE r.home_id = a.home_id AND r.full_name ILIKE %s))"
            " ORDER BY a.raised_at DESC, a.alarm_id DESC LIMIT %s"
        ).format(_ALARM_COLUMNS),
        (
            None if districts is None else list(districts),
            None if districts is None else list(districts),
            [s.value for s in states],
            home_id,
            home_id,
            before,
            before,
            before_id or uuid.UUID(int=2**128 - 1),
            search,
            pattern,
            pattern,
            limit,
        ),
    )
    return [AlarmRow(*row) for row in await cursor.fetchall()]


async def get_alarm(conn: AsyncConnection[Any], alarm_id: uuid.UUID) -> AlarmRow | None:
    """One alarm, with its home's district."""
    cursor = await conn.execute(
        sql.SQL(
            "SELECT {} FROM alarms a JOIN homes h USING (home_id) WHERE a.alarm_id = %s"
        ).format(_ALARM_COLUMNS),
        (alarm_id,),
    )
    row = await cursor.fetchone()
    return None if row is None else AlarmRow(*row)


async def timeline(conn: AsyncConnection[Any], alarm_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """Every change of an alarm in order: (at, actor, action, from, to, detail)."""
    cursor = await conn.execute(
        "SELECT at, actor, action, from_state, to_state, detail FROM alarm_log"
        " WHERE alarm_id = %s ORDER BY id",
        (alarm_id,),
    )
    return [tuple(row) for row in await cursor.fetchall()]


async def add_note(
    conn: AsyncConnection[Any], alarm_id: uuid.UUID, actor: str, text: str, now: datetime
) -> None:
    """Put an operator's note on an alarm's timeline (any state: notes may follow closing)."""
    await add_to_timeline(conn, alarm_id, actor, "note", {"text": text}, now=now)


async def add_to_timeline(  # noqa: PLR0913 - one timeline entry
    conn: AsyncConnection[Any],
    alarm_id: uuid.UUID,
    actor: str,
    action: str,
    detail: dict[str, str],
    *,
    now: datetime,
) -> None:
    """Record something done for an alarm that does not change its state (a note, a call).

    Raises:
        UnknownAlarmError: no such alarm.
    """
    await _state(conn, alarm_id)
    await _log(
        conn,
        alarm_id,
        at=now,
        actor=actor,
        action=action,
        from_state=None,
        to_state=None,
        detail=detail,
    )


async def raise_missing_units(conn: AsyncConnection[Any], now: datetime) -> list[uuid.UUID]:
    """Raise a unit-offline alarm for each home unit silent past its heartbeats.

    One alarm per silence: not while one is open, nor again for the same silence after an
    operator closed it (only a unit heard from since, then silent again, raises anew).
    """
    cursor = await conn.execute(
        "SELECT p.home_id, p.last_seen, p.interval_s, p.online FROM presence p"
        " WHERE p.last_seen < %s - make_interval(secs => %s * coalesce(p.interval_s, %s))"
        " AND NOT EXISTS (SELECT 1 FROM alarms a WHERE a.home_id = p.home_id"
        "  AND a.kind = %s AND (a.state = ANY(%s) OR a.raised_at >= p.last_seen))",
        (
            now,
            supervision.MISSED_BEATS,
            supervision.DEFAULT_INTERVAL_S,
            supervision.UNIT_OFFLINE,
            _OPEN,
        ),
    )
    raised = []
    for home_id, last_seen, interval_s, online in await cursor.fetchall():
        if not supervision.missing(last_seen, interval_s, now):
            continue
        alarm_id = await raise_by_rule(
            conn,
            home_id,
            supervision.UNIT_OFFLINE,
            supervision.PRIORITY,
            {"last_seen": last_seen.isoformat(), "said_offline": str(not online)},
            now=now,
        )
        if alarm_id is not None:
            raised.append(alarm_id)
    return raised


async def raise_missed_check_ins(conn: AsyncConnection[Any], now: datetime) -> list[uuid.UUID]:
    """Raise a missed-check-in alarm for each home past today's deadline without a press.

    One per day: not if one was raised since the home's local midnight.
    """
    cursor = await conn.execute(
        "SELECT r.home_id, r.check_in_before, r.time_zone,"
        " (SELECT max(e.ts) FROM events e WHERE e.home_id = r.home_id AND e.kind = 'check_in'"
        "  AND e.ts > %s - interval '2 days'),"
        " (SELECT max(a.raised_at) FROM alarms a WHERE a.home_id = r.home_id AND a.kind = %s)"
        " FROM home_rules r WHERE r.check_in_before IS NOT NULL",
        (now, checkin.MISSED_CHECK_IN),
    )
    raised = []
    for home_id, before, zone, last_press, last_alarm in await cursor.fetchall():
        if not checkin.missed(now, before, zone, last_press):
            continue
        midnight, _ = checkin.day_window(now, before, zone)
        if last_alarm is not None and last_alarm >= midnight:
            continue
        alarm_id = await raise_by_rule(
            conn,
            home_id,
            checkin.MISSED_CHECK_IN,
            checkin.PRIORITY,
            checkin.describe(before),
            now=now,
        )
        if alarm_id is not None:
            raised.append(alarm_id)
    return raised


async def raise_by_rule(  # noqa: PLR0913 - the alarm's fields
    conn: AsyncConnection[Any],
    home_id: str,
    kind: str,
    priority: int,
    params: dict[str, str],
    *,
    now: datetime,
) -> uuid.UUID | None:
    """Raise an alarm a timer rule found (no event behind it); None if one is already open.

    The alarm and its first timeline row are one transaction (a savepoint inside the
    caller's), so no alarm is ever without its "raised" entry.
    """
    async with conn.transaction():
        created = await conn.execute(
            "INSERT INTO alarms (alarm_id, home_id, kind, priority, state, reason_key,"
            " reason_params, raised_at, last_trigger_at)"
            " VALUES (%s, %s, %s, %s, 'raised', %s, %s, %s, %s)"
            " ON CONFLICT (home_id, kind) WHERE state IN ('raised', 'claimed', 'in_progress')"
            " DO NOTHING RETURNING alarm_id",
            (uuid.uuid4(), home_id, kind, priority, f"alarm.{kind}", Jsonb(params), now, now),
        )
        row = await created.fetchone()
        if row is None:
            return None
        await _log(
            conn,
            row[0],
            at=now,
            actor=SYSTEM,
            action="raised",
            from_state=None,
            to_state=AlarmState.RAISED,
            detail=params,
        )
    return uuid.UUID(str(row[0]))
