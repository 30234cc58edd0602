"""The nightly run timed over every home for one day, beside reading the same rows alone.

The run is what :mod:`hub.loops.indicators` does each night: the day worked out for every
home (:func:`~hub.loops.indicators.work_out`, by time zone), then each home reviewed on it
(:func:`hub.review.nightly.review_homes`); each part is timed.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING, Any

import psycopg

from bench.common.machine import machine_busy_s
from hub.indicators.daily import ACTIVITY_KINDS, window
from hub.loops.indicators import work_out
from hub.review.nightly import review_homes
from hub.storage import indicators
from hub.zones import zone_of

if TYPE_CHECKING:
    from datetime import date

    from bench.common.output import Report

NIGHTLY_AT = clock(2, 30)
"""The local time the nightly run is timed at (after :data:`hub.loops.indicators.RUN_FROM`)."""
_RAW_READ = (
    "COPY (SELECT e.home_id, e.ts, e.kind, e.location, e.value FROM events e"
    " WHERE e.ts >= %s AND e.ts < %s AND e.kind = ANY(%s)) TO STDOUT"
)
"""The reference: the rows the nightly run reads for the day (every home's window), read out
of the database with nothing done to them."""


async def _raw_read(conn: psycopg.AsyncConnection[Any], start: datetime, end: datetime) -> int:
    size = 0
    async with (
        conn.cursor() as cursor,
        cursor.copy(_RAW_READ, (start, end, sorted(ACTIVITY_KINDS))) as copy,
    ):
        async for chunk in copy:
            size += len(chunk)
    return size


async def _measure(database_url: str, day: date, zone_name: str) -> Report:
    zone = zone_of(zone_name)
    now = datetime.combine(day + timedelta(days=1), NIGHTLY_AT, zone)
    start, end = window(day, zone)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        started = time.perf_counter()
        read_bytes = await _raw_read(conn, start, end)
        raw_read_s = time.perf_counter() - started
        cursor = await conn.execute(
            "SELECT count(*) FROM events WHERE ts >= %s AND ts < %s AND kind = ANY(%s)",
            (start, end, sorted(ACTIVITY_KINDS)),
        )
        row = await cursor.fetchone()
        rows = int(row[0]) if row else 0
        zones = await indicators.homes_by_zone(conn)
        busy, cpu, started = machine_busy_s(), time.process_time(), time.perf_counter()
        homes = 0
        for name, home_ids in zones.items():
            homes += await work_out(conn, day, name, home_ids)
        worked_s = time.perf_counter() - started
        runs = [await review_homes(conn, day, home_ids, now) for home_ids in zones.values()]
        nightly_s = time.perf_counter() - started
        python_s = time.process_time() - cpu
        machine_s = machine_busy_s() - busy
    return {
        "day": day.isoformat(),
        "now": now.isoformat(),
        "homes": homes,
        "nightly_s": round(nightly_s, 2),
        "indicators_s": round(worked_s, 2),
        "review_s": round(nightly_s - worked_s, 2),
        "review": {
            "opened": sum(r.opened for r in runs),
            "updated": sum(r.updated for r in runs),
            "going_on": sum(r.going_on for r in runs),
        },
        "ms_per_home": round(1000 * nightly_s / homes, 3) if homes else None,
        "python_cpu_s": round(python_s, 2),
        "machine_cpu_percent": round(100 * machine_s / nightly_s, 1) if nightly_s else None,
        "rows_read": rows,
        "raw_read_s": round(raw_read_s, 3),
        "raw_read_mb": round(read_bytes / 1e6, 1),
        "ratio": round(nightly_s / raw_read_s, 1) if raw_read_s else None,
    }


def time_nightly(database_url: str, day: date, zone_name: str) -> Report:
    """Time the nightly run working out and reviewing ``day`` for every home."""
    return asyncio.run(_measure(database_url, day, zone_name))
