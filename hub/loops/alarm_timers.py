"""The hub's alarm timers, run from the database.

Every second they escalate alarms left unclaimed; every 10 s they raise an alarm for every
home unit gone silent and every missed daily check-in, and put the well-being calls that fell
due in the operators' queue. The wellbeing and device rules run in
a loop of their own every 30 s, so that a large centre's morning (baselines to renew, many
homes to judge) never holds up an escalation.

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

from hub.storage import calls, timed_alarms, wellbeing_checks

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

log = structlog.get_logger(__name__)

TICK_S = 1.0
SUPERVISION_EVERY_TICKS = 10
WELLBEING_EVERY_S = 30.0
"""The wellbeing rules judge minutes to hours of stillness or absence; 30 s is soon enough."""


async def escalate_forever(pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]]) -> None:
    """Escalate due alarms every :data:`TICK_S` until cancelled; database errors are logged."""
    for tick in itertools.count():
        await asyncio.sleep(TICK_S)
        try:
            async with pool.connection() as conn:
                now = datetime.now(UTC)
                escalated = await timed_alarms.escalate_due(conn, now)
                # Silence is judged in minutes; a look every 10 s spares the presence scan.
                missing, unchecked, planned = [], [], []
                if tick % SUPERVISION_EVERY_TICKS == 0:
                    missing = await timed_alarms.raise_missing_units(conn, now)
                    unchecked = await timed_alarms.raise_missed_check_ins(conn, now)
                    planned = await calls.plan_due(conn, now)
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
        for task_id in planned:
            log.info("call_planned", task_id=str(task_id))
        for alarm_id in unchecked:
            log.warning("alarm_raised", alarm_id=str(alarm_id), kind="missed_check_in")


WELLBEING_CHECKS = {
    "inactivity": wellbeing_checks.raise_inactive_homes,
    "late_rise": wellbeing_checks.raise_late_risers,
    "night_door": wellbeing_checks.raise_night_doors,
    "out_of_bed": wellbeing_checks.raise_out_of_bed,
    "room_temperature": wellbeing_checks.raise_room_temperatures,
    "device_silent": wellbeing_checks.raise_silent_devices,
}
"""Each wellbeing or device rule's check, by the alarm kind it raises."""


async def check_wellbeing_forever(
    pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]],
) -> None:
    """Renew due baselines and run every wellbeing and device rule, until cancelled.

    Every :data:`WELLBEING_EVERY_S`; one rule's failure does not stop the others.
    """
    while True:
        await asyncio.sleep(WELLBEING_EVERY_S)
        for name, check in {"baselines": _refresh, **WELLBEING_CHECKS}.items():
            try:
                async with pool.connection() as conn:
                    raised = await check(conn, datetime.now(UTC))
            except psycopg.Error as err:
                log.warning("wellbeing_check_failed", check=name, error=str(err))
                continue
            except Exception:
                log.exception("wellbeing_check_crashed", check=name)
                continue
            for alarm_id in raised:
                log.warning("alarm_raised", alarm_id=str(alarm_id), kind=name)


async def _refresh(conn: psycopg.AsyncConnection[Any], now: datetime) -> list[Any]:
    renewed = await wellbeing_checks.refresh_baselines(conn, now)
    if renewed:
        log.info("baselines_renewed", homes=renewed)
    return []
