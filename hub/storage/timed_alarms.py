"""The alarms the clock acts on: unclaimed ones escalated, silent home units, missed check-ins.

The hub's alarm timers (:mod:`hub.loops.alarm_timers`) run these to find what is due;
:mod:`hub.storage.alarm_changes` makes the changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.alarms import checkin, supervision
from hub.alarms.lifecycle import (
    ESCALATE_AFTER,
    OPEN_STATES,
    AlarmState,
    AlarmTimer,
    escalation_due,
)
from hub.storage import alarm_changes

if TYPE_CHECKING:
    import uuid
    from datetime import datetime, timedelta

    from psycopg import AsyncConnection

_OPEN = list(OPEN_STATES)


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
        if await alarm_changes.escalate(
            conn, alarm_id, priority=priority, escalated_at=escalated_at, now=now
        ):
            escalated.append(alarm_id)
    return escalated


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
        alarm_id = await alarm_changes.raise_by_rule(
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
        alarm_id = await alarm_changes.raise_by_rule(
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
