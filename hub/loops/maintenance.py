"""Housekeeping the hub does itself: partitions made ahead, old data dropped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg
import structlog

from hub.storage import dead_letters, events, locks, partitions

if TYPE_CHECKING:
    from hub.config import HubSettings

log = structlog.get_logger(__name__)


# Hubs queue on this (as they do for migrations) instead of making the same partition at once.
_LOCK_KEY = 0x7E1E_CA4F
LOCK_TIMEOUT = "2s"
"""Attaching or detaching a partition waits at most this for its lock, so that ingest is never
held up for long behind a reader; maintenance tries again at its next round."""


async def maintain_once(
    conn: psycopg.AsyncConnection[object], settings: HubSettings, now: datetime | None = None
) -> None:
    """Make the coming days' partitions, drop those past retention, delete old dead letters.

    One hub at a time does it. ``now`` is the current time unless a test says otherwise.
    """
    now = now or datetime.now(UTC)
    async with locks.advisory_lock(conn, _LOCK_KEY, lock_timeout=LOCK_TIMEOUT):
        await partitions.create_ahead(conn, now.date(), days_ahead=settings.partitions_ahead_days)
        await partitions.drop_expired(conn, now, retention_days=settings.retention_days)
        forgotten = await events.forget_ids(conn, now - timedelta(days=settings.retention_days))
        if forgotten:
            log.info("event_ids_forgotten", count=forgotten)
        before = now - timedelta(days=settings.dead_letter_retention_days)
        expired = await dead_letters.expire(conn, before)
        if expired:
            log.info("dead_letters_expired", count=expired, before=before.isoformat())


async def maintain_forever(settings: HubSettings) -> None:
    """Run :func:`maintain_once` every ``maintenance_interval_s``; errors are logged, not fatal.

    Several hubs may do this at once: creating or dropping a partition another hub has just
    made or dropped fails harmlessly and is done by whichever came first.
    """
    while True:
        await asyncio.sleep(settings.maintenance_interval_s)
        try:
            async with await psycopg.AsyncConnection.connect(
                settings.database_url, autocommit=True
            ) as conn:
                await maintain_once(conn, settings)
        except psycopg.Error as err:
            log.warning("maintenance_failed", error=str(err))
