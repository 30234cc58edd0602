"""The nightly run: each home's day in numbers once the day is over, then the review list.

A home's day is worked out once its local night has come (:data:`RUN_FROM`, so that a unit's
outbox has had time to deliver the evening), from its stored events, alarms and calls; days
missed while no hub ran are caught up (:data:`CATCH_UP_DAYS`). Each day worked out is then
reviewed for early signs of decline (:mod:`hub.review.nightly`). One hub at a time does it.
:func:`backfill` works out past days again, without reviewing them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import psycopg
import structlog

from hub.indicators.daily import DailyIndicators, Reading, compute, window
from hub.review.nightly import review_homes
from hub.storage import indicators, locks
from hub.zones import zone_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from zoneinfo import ZoneInfo

    from psycopg_pool import AsyncConnectionPool

log = structlog.get_logger(__name__)

RUN_FROM = time(2)
"""Local time after which yesterday is worked out."""
CATCH_UP_DAYS = 3
"""Days before yesterday that are worked out too when they are missing (a hub was down)."""
BATCH = 250
"""Homes read and worked out together: one query each for events, alarms and calls."""
EVERY_S = 600.0
_LOCK_KEY = 0x1D1C_A705


class HomeDay(NamedTuple):
    """What one home's day is worked out from."""

    home_id: str
    readings: list[Reading]
    alarms: dict[str, int]
    calls: dict[str, int]


async def work_out(
    conn: psycopg.AsyncConnection[Any], day: date, zone_name: str, home_ids: Sequence[str]
) -> int:
    """Work out and keep ``day`` for ``home_ids`` (all in ``zone_name``); return how many."""
    zone = zone_of(zone_name)
    start, end = window(day, zone)
    day_start = datetime.combine(day, time(0), zone)
    for first in range(0, len(home_ids), BATCH):
        batch = home_ids[first : first + BATCH]
        found = await indicators.readings(conn, batch, start, end)
        alarms = await indicators.alarm_counts(conn, batch, day_start, end)
        calls = await indicators.call_counts(conn, batch, day_start, end)
        # Some 0.2 ms of Python per home: off the event loop, so ingest keeps its turn.
        homes = [HomeDay(h, found.get(h, []), alarms.get(h, {}), calls.get(h, {})) for h in batch]
        worked = await asyncio.to_thread(_compute, day, zone, homes)
        async with conn.transaction():
            await indicators.save(conn, zone_name, worked)
    return len(home_ids)


def _compute(
    day: date, zone: ZoneInfo, homes: Sequence[HomeDay]
) -> list[tuple[str, DailyIndicators]]:
    return [(h.home_id, compute(day, zone, h.readings, h.alarms, h.calls)) for h in homes]


def due_day(now: datetime, zone_name: str) -> date:
    """The latest local day of ``zone_name`` that can be worked out at ``now``."""
    local = now.astimezone(zone_of(zone_name))
    return local.date() - timedelta(days=1 if local.time() >= RUN_FROM else 2)


async def nightly_once(conn: psycopg.AsyncConnection[Any], now: datetime) -> dict[date, list[str]]:
    """Work out and review every home's due days not yet worked out; the homes done per day.

    Use on a connection in autocommit mode (the turn between hubs is a session lock).
    """
    done: dict[date, list[str]] = {}
    async with locks.advisory_lock(conn, _LOCK_KEY, lock_timeout="10s"):
        for zone_name, home_ids in (await indicators.homes_by_zone(conn)).items():
            last = due_day(now, zone_name)
            for back in range(CATCH_UP_DAYS, -1, -1):
                day = last - timedelta(days=back)
                todo = await indicators.not_done(conn, home_ids, day)
                if todo:
                    await work_out(conn, day, zone_name, todo)
                    await review_homes(conn, day, todo, now)
                    done.setdefault(day, []).extend(todo)
    for day, home_ids in done.items():
        log.info("indicators_worked_out", day=day.isoformat(), homes=len(home_ids))
    return done


async def backfill(
    conn: psycopg.AsyncConnection[Any],
    first: date,
    last: date,
    home_ids: Sequence[str] | None = None,
    progress: Callable[[date, int], None] | None = None,
) -> int:
    """Work out (again) every day from ``first`` to ``last`` for the homes; return home-days.

    From stored events: days whose events were dropped by retention come out empty.
    ``progress(day, homes)`` is called after each day of each time zone.
    """
    total = 0
    for zone_name, homes in (await indicators.homes_by_zone(conn, home_ids)).items():
        day = first
        while day <= last:
            total += await work_out(conn, day, zone_name, homes)
            if progress is not None:
                progress(day, len(homes))
            day += timedelta(days=1)
    return total


async def nightly_forever(pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]]) -> None:
    """Run :func:`nightly_once` every :data:`EVERY_S`, until cancelled; errors are logged."""
    while True:
        await asyncio.sleep(EVERY_S)
        try:
            async with pool.connection() as conn:
                await nightly_once(conn, datetime.now(UTC))
        except psycopg.Error as err:
            log.warning("indicators_failed", error=str(err))
