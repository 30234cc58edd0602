"""The hub's alarm timers: escalate alarms left unclaimed, every second, from the database.

The timers are the alarms' own times in the table, so they survive a restart of any hub, and
several hubs may run this at once (each escalation is a conditional update).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
import structlog

from hub.storage import alarms

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

log = structlog.get_logger(__name__)

TICK_S = 1.0


async def escalate_forever(pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]]) -> None:
    """Escalate due alarms every :data:`TICK_S` until cancelled; database errors are logged."""
    while True:
        await asyncio.sleep(TICK_S)
        try:
            async with pool.connection() as conn:
                escalated = await alarms.escalate_due(conn, datetime.now(UTC))
        except psycopg.Error as err:
            log.warning("alarm_timers_failed", error=str(err))
            continue
        for alarm_id in escalated:
            # Supervisors watch for this line until the console shows escalations.
            log.warning("alarm_escalated", alarm_id=str(alarm_id))
