"""The review list's past: the nights before the timed one, reviewed as the hub would have.

Each night from the first day of the report's month to the day before the timed night, every
home is reviewed on that day (:func:`hub.review.nightly.review_homes`, the nightly run's own
step), the homes split between worker processes, so the month's figures count the entries
a month of nights opened, and the timed night finds the list as it stands after them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg

from bench.dashboards.nightly import NIGHTLY_AT
from hub.review.nightly import review_homes
from hub.zones import zone_of
from runtime.logs import configure_logging

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True, slots=True)
class NightsTask:
    """Nights to review for some homes."""

    database_url: str
    zone_name: str
    first: date
    last: date
    homes: tuple[str, ...]


def _quiet_worker() -> None:
    configure_logging("warning")  # as the parent: each night's review line is not progress


def _review(task: NightsTask) -> int:
    async def run() -> int:
        opened = 0
        zone = zone_of(task.zone_name)
        async with await psycopg.AsyncConnection.connect(
            task.database_url, autocommit=True
        ) as conn:
            day = task.first
            while day <= task.last:
                now = datetime.combine(day + timedelta(days=1), NIGHTLY_AT, zone)
                opened += (await review_homes(conn, day, task.homes, now)).opened
                day += timedelta(days=1)
        return opened

    return asyncio.run(run())


def review_nights(  # noqa: PLR0913 - the homes, the nights and the workers
    database_url: str,
    zone_name: str,
    homes: Sequence[str],
    *,
    first: date,
    last: date,
    processes: int,
) -> int:
    """Review every home on each day from ``first`` to ``last``; the entries opened."""
    if last < first:
        return 0
    share = -(-len(homes) // processes)
    tasks = [
        NightsTask(database_url, zone_name, first, last, tuple(homes[n : n + share]))
        for n in range(0, len(homes), share)
    ]
    with multiprocessing.get_context("spawn").Pool(processes, _quiet_worker) as pool:
        return sum(pool.map(_review, tasks))
