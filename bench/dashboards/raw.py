"""The last days as raw events, written the hub's way, and their days worked out the hub's way.

Raw events come from the same simulated homes through :func:`device_sim.backfill.backfill_span`
(the hub's storage path: COPY into staging, the insert that skips ids already stored, the
hourly rollup, the activity and sensor state kept in the same transaction), a district's homes
at a time in worker processes; then the days of those events, the last one excepted, are
worked out by :func:`hub.loops.indicators.backfill` (the nightly run's own code), the homes
split between worker processes. The last day is left to the timed nightly run.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg

from bench.dashboards import say
from bench.dashboards.history import district_of, home_id, sim_home
from device_sim.backfill import backfill_span
from hub.loops.indicators import backfill as work_out_days
from hub.storage import partitions
from runtime.logs import configure_logging

if TYPE_CHECKING:
    from datetime import date, datetime

    from bench.dashboards.history import Plan


@dataclass(frozen=True, slots=True)
class EventsTask:
    """Raw events of some homes of one district."""

    database_url: str
    plan: Plan
    district: str
    indices: tuple[int, ...]
    start: datetime
    end: datetime


def _quiet_worker() -> None:
    configure_logging("warning")  # as the parent: the writers' info lines are not progress


def _write_events(task: EventsTask) -> tuple[int, float]:
    """Events written, and this process's CPU seconds for them."""
    cpu = time.process_time()
    homes = [sim_home(index, task.plan) for index in task.indices]
    written = asyncio.run(
        backfill_span(task.database_url, homes, task.district, task.start, task.end)
    )
    return written, time.process_time() - cpu


async def _make_partitions(database_url: str, start: datetime, end: datetime) -> None:
    # Made once here: the writers' own calls then find them, instead of racing to make them.
    behind = (end.date() - start.date()).days + 1
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await partitions.create_ahead(conn, end.date(), days_ahead=1, days_behind=behind)


def write_raw_events(  # noqa: PLR0913 - the homes, the span and the workers
    database_url: str, plan: Plan, *, homes: int, start: datetime, end: datetime, processes: int
) -> tuple[int, float]:
    """Raw events of homes 1 to ``homes`` from ``start`` to ``end``: (events, CPU seconds).

    The CPU seconds are the writer processes' (the simulator, pydantic, psycopg), not the
    database server's.
    """
    asyncio.run(_make_partitions(database_url, start, end))
    per_task = max(1, min(plan.district_homes, 250))
    tasks = []
    for first in range(1, homes + 1, per_task):
        indices = range(first, min(first + per_task, homes + 1))
        by_district: dict[str, list[int]] = {}
        for index in indices:
            by_district.setdefault(district_of(index, plan.district_homes), []).append(index)
        tasks += [
            EventsTask(database_url, plan, district, tuple(part), start, end)
            for district, part in by_district.items()
        ]
    events, cpu_s, done = 0, 0.0, 0
    started = reported = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(processes, _quiet_worker) as pool:
        for task, (written, cpu) in zip(tasks, pool.imap(_write_events, tasks), strict=True):
            events += written
            cpu_s += cpu
            done += len(task.indices)
            if time.monotonic() - reported > 30 or done == homes:
                reported = time.monotonic()
                rate = events / (reported - started)
                say(f"raw events: {done}/{homes} homes, {events} events, {rate:.0f} events/s")
    return events, cpu_s


@dataclass(frozen=True, slots=True)
class DaysTask:
    """Days to work out for some homes."""

    database_url: str
    first: date
    last: date
    homes: tuple[str, ...]


def _work_out(task: DaysTask) -> int:
    async def run() -> int:
        async with await psycopg.AsyncConnection.connect(
            task.database_url, autocommit=True
        ) as conn:
            return await work_out_days(conn, task.first, task.last, task.homes)

    return asyncio.run(run())


def work_out_raw_days(
    database_url: str, homes: int, first: date, last: date, processes: int
) -> int:
    """Work out ``first`` to ``last`` for homes 1 to ``homes`` from their events; home-days."""
    if last < first:
        return 0
    ids = [home_id(index) for index in range(1, homes + 1)]
    share = -(-len(ids) // processes)
    tasks = [
        DaysTask(database_url, first, last, tuple(ids[n : n + share]))
        for n in range(0, len(ids), share)
    ]
    with multiprocessing.get_context("spawn").Pool(processes, _quiet_worker) as pool:
        return sum(pool.map(_work_out, tasks))
