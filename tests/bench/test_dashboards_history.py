"""The dashboards benchmark's history is what the hub itself would keep from the same person.

The benchmark makes older days straight from the simulator (no raw events); these tests write
the same home's raw events through the hub's storage path and check that the hub's nightly
code works out the same days, and that the storage's hourly rollup counts the same.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from bench.dashboards.history import Plan, district_of, home_id, sim_home
from bench.dashboards.loading import write_history
from device_sim.backfill import backfill
from hub.loops.indicators import work_out
from hub.storage import homes, migrate

ZONE = "Europe/Rome"
FIRST = date(2026, 6, 8)
DAYS = 6
"""A week in June: no change of the clocks inside it, so whole days are whole days."""
START = datetime.combine(FIRST, time(0), ZoneInfo(ZONE))
END = START + timedelta(days=DAYS)


def plan(raw_from: datetime) -> Plan:
    """One home's history over the week, raw events from ``raw_from``."""
    return Plan(
        seed=3,
        zone_name=ZONE,
        first_day=FIRST,
        last_day=FIRST + timedelta(days=DAYS - 1),
        raw_from=raw_from,
        end=END,
        district_homes=1000,
        created_at=START - timedelta(days=30),
    )


async def kept(conn: psycopg.AsyncConnection[Any]) -> dict[date, dict[str, Any]]:
    """The kept days, their time of working out left aside."""
    cursor = await conn.execute(
        "SELECT * FROM daily_indicators WHERE home_id = %s ORDER BY day", (home_id(1),)
    )
    names = [c.name for c in cursor.description or []]
    days = [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]
    return {d["day"]: {n: v for n, v in d.items() if n != "computed_at"} for d in days}


async def test_made_days_are_the_days_the_nightly_run_works_out(database_url: str) -> None:
    """The benchmark's days equal the hub's own from the same person's stored events."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, [home_id(1)], district_of(1, 1000))
    write_history(database_url, plan(END), homes=1, processes=1, chunk=1)
    # The raw events begin the day before, so the first day's night is in them too.
    await backfill(
        database_url, [sim_home(1, plan(END))], DAYS + 1, district_of(1, 1000), until=END
    )
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        made = await kept(conn)
        for offset in range(DAYS):
            await work_out(conn, FIRST + timedelta(days=offset), ZONE, [home_id(1)])
        worked = await kept(conn)
    assert len(made) == DAYS
    assert made == worked
    assert all(day["events"] > 0 for day in made.values())


async def test_made_rollup_is_the_storage_rollup(database_url: str) -> None:
    """The benchmark's hourly rollup equals what storing the events counts, thermometer too."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, [home_id(1)], district_of(1, 1000))
    write_history(database_url, plan(END), homes=1, processes=1, chunk=1)
    query = "SELECT hour, kind, events FROM activity_hourly ORDER BY 1, 2"
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        made = await (await conn.execute(query)).fetchall()
        await conn.execute("TRUNCATE activity_hourly")
    await backfill(database_url, [sim_home(1, plan(END))], DAYS, district_of(1, 1000), until=END)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        stored = await (await conn.execute(query)).fetchall()
    assert len(made) > DAYS * 24  # more than the thermometer alone
    assert made == stored
    assert made[0][0] == START.astimezone(UTC)
