"""The nightly run timed over every home for one day, beside reading the same rows alone."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING, Any

import psycopg

from bench.common.machine import machine_busy_s
from hub.indicators.daily import ACTIVITY_KINDS, window
from hub.loops.indicators import nightly_once
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
        busy, cpu, started = machine_busy_s(), time.process_time(), time.perf_counter()
        done = await nightly_once(conn, now)
        nightly_s = time.perf_counter() - started
        python_s = time.process_time() - cpu
        machine_s = machine_busy_s() - busy
    homes = len(done.get(day, []))
    return {
        "day": day.isoformat(),
        "now": now.isoformat(),
        "homes": homes,
        "days_worked_out": {d.isoformat(): len(h) for d, h in done.items()},
        "nightly_s": round(nightly_s, 2),
        "ms_per_home": round(1000 * nightly_s / homes, 3) if homes else None,
        "python_cpu_s": round(python_s, 2),
        "machine_cpu_percent": round(100 * machine_s / nightly_s, 1) if nightly_s else None,
        "rows_read": rows,
        "raw_read_s": round(raw_read_s, 3),
        "raw_read_mb": round(read_bytes / 1e6, 1),
        "ratio": round(nightly_s / raw_read_s, 1) if raw_read_s else None,
    }


def time_nightly(database_url: str, day: date, zone_name: str) -> Report:
    """Time :func:`hub.loops.indicators.nightly_once` working out ``day`` for every home."""
    return asyncio.run(_measure(database_url, day, zone_name))
