"""Alarms changed in PostgreSQL: raise or join, cancel, claim (one winner), change state, escalate.

Every change is one statement that checks the state it changes from, so two operators or two
hubs acting at once cannot both succeed; every change writes an ``alarm_log`` row, and so do
the entries that change no state (notes, calls).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from hub.alarms.lifecycle import (
    OPEN_STATES,
    AlarmState,
    IllegalTransitionError,
    check_transition,
    escalated_priority,
)
from hub.errors import HubError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from psycopg import AsyncConnection

    from hub.alarms.rules import AlarmTrigger
    from protocol import CancelEvent, Event

SYSTEM = "system"
"""The actor of changes the hub makes by itself."""
RESIDENT = "resident"

_OPEN = list(OPEN_STATES)


class UnknownAlarmError(HubError, LookupError):
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
            " reason_params, raised_at, last_trigger_at, last_event_id, device_id)"
            " VALUES (%s, %s, %s, %s, 'raised', %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (home_id, kind, (coalesce(device_id, '')))"
            " WHERE state IN ('raised', 'claimed', 'in_progress')"
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
                trigger.device_id,
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


async def escalate(
    conn: AsyncConnection[Any],
    alarm_id: uuid.UUID,
    *,
    priority: int,
    escalated_at: datetime | None,
    now: datetime,
) -> bool:
    """Raise a still-raised alarm's ``priority`` one step; False if it changed meanwhile.

    ``escalated_at`` is its last escalation as the caller read it: the update's own condition
    on it keeps an alarm from escalating twice for one wait when several hubs run the timer.
    """
    new_priority = escalated_priority(priority)
    async with conn.transaction():
        done = await conn.execute(
            "UPDATE alarms SET priority = %s, escalated_at = %s, updated_at = now()"
            " WHERE alarm_id = %s AND state = 'raised'"
            " AND escalated_at IS NOT DISTINCT FROM %s RETURNING alarm_id",
            (new_priority, now, alarm_id, escalated_at),
        )
        if await done.fetchone() is None:
            return False
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
    return True


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
            " ON CONFLICT (home_id, kind, (coalesce(device_id, '')))"
            " WHERE state IN ('raised', 'claimed', 'in_progress')"
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
