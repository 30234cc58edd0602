"""The hub's alarm timers, run every second from the database.

They escalate alarms left unclaimed and raise an alarm for every home unit gone silent and
every person still for longer than usual.

The timers are the alarms' own times in the table, so they survive a restart of any hub, and
several hubs may run this at once (each escalation is a conditional update).
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
import structlog

from hub.alarms.wellbeing import InactivitySettings
from hub.storage import alarms

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

log = structlog.get_logger(__name__)

TICK_S = 1.0
SUPERVISION_EVERY_TICKS = 10
INACTIVITY = InactivitySettings()
"""The same settings for everyone until per-person settings exist."""


async def escalate_forever(pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]]) -> None:
    """Escalate due alarms every :data:`TICK_S` until cancelled; database errors are logged."""
    for tick in itertools.count():
        await asyncio.sleep(TICK_S)
        try:
            async with pool.connection() as conn:
                now = datetime.now(UTC)
                escalated = await alarms.escalate_due(conn, now)
                # Silence is judged in minutes; a look every 10 s spares the presence scan.
                missing, inactive, unchecked = [], [], []
                if tick % SUPERVISION_EVERY_TICKS == 0:
                    missing = await alarms.raise_missing_units(conn, now)
                    inactive = await alarms.raise_inactive_homes(conn, now, INACTIVITY)
                    unchecked = await alarms.raise_missed_check_ins(conn, now)
        except psycopg.Error as err:
            log.warning("alarm_timers_failed", error=str(err))
            continue
        except Exception:
            # Escalation must outlive any bug in one rule: log it and go on next second.
            log.exception("alarm_timers_crashed")
            continue
        for alarm_id in escalated:
            # Supervisors watch for this line until the console shows escalations.
            log.warning("alarm_escalated", alarm_id=str(alarm_id))
        for alarm_id in missing:
            log.warning("alarm_raised", alarm_id=str(alarm_id), kind="unit_offline")
        for alarm_id in inactive:
            log.warning("alarm_raised", alarm_id=str(alarm_id), kind="inactivity")
        for alarm_id in unchecked:
            log.warning("alarm_raised", alarm_id=str(alarm_id), kind="missed_check_in")
