"""The nightly review: after a day's indicators are kept, each home's changes go on the list.

The indicators' nightly run (:mod:`hub.loops.indicators`) calls :func:`review_homes` for the
day it has just worked out and the homes it worked it out for. For a batch of homes it reads
the last :data:`~hub.review.method.HISTORY_DAYS` days of ``daily_indicators`` in one query,
their districts' thresholds and their latest entries, runs the pure method
(:func:`hub.review.method.review`) and the decision (:mod:`hub.review.followup`) off the event
loop, and writes the list's changes in one transaction. It raises no alarm and tells no
console: the review list is read by social workers when they look.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from hub.review.followup import Change, Step, changes
from hub.review.method import HISTORY_DAYS, review
from hub.storage import review as stored

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import psycopg

    from hub.review.followup import Latest
    from hub.review.method import Indicator
    from hub.review.settings import ReviewSettings

log = structlog.get_logger(__name__)

BATCH = 500
"""Homes read together: 35,000 rows of indicators at the most."""


@dataclass(frozen=True, slots=True)
class ReviewRun:
    """What one night's review did."""

    homes: int
    opened: int
    updated: int
    going_on: int


async def review_homes(
    conn: psycopg.AsyncConnection[Any], day: date, home_ids: Sequence[str], now: datetime
) -> ReviewRun:
    """Review ``home_ids`` on their local ``day`` (just worked out) and update the list."""
    first = day - timedelta(days=HISTORY_DAYS - 1)
    made: list[Change] = []
    for start in range(0, len(home_ids), BATCH):
        batch = home_ids[start : start + BATCH]
        days = await stored.history(conn, batch, first, day)
        settings = await stored.settings_of_homes(conn, batch)
        latest = await stored.latest(conn, batch)
        # Some tenths of a millisecond of Python per home: off the event loop.
        steps = await asyncio.to_thread(_steps, day, batch, days, settings, latest)
        async with conn.transaction():
            await stored.apply(conn, steps, day, now)
        made += steps
    run = ReviewRun(
        homes=len(home_ids),
        opened=sum(c.step is Step.OPEN for c in made),
        updated=sum(c.step is Step.UPDATE for c in made),
        going_on=sum(c.step is Step.GOES_ON for c in made),
    )
    log.info(
        "review_run",
        day=day.isoformat(),
        homes=run.homes,
        opened=run.opened,
        updated=run.updated,
        going_on=run.going_on,
    )
    return run


def _steps(
    day: date,
    home_ids: Sequence[str],
    days: Mapping[str, Sequence[stored.DayRow]],
    settings: Mapping[str, ReviewSettings],
    latest: Mapping[str, Mapping[Indicator, Latest]],
) -> list[Change]:
    made = []
    for home_id in home_ids:
        rules = settings.get(home_id)
        if rules is None:
            continue  # no longer registered
        findings = review(days.get(home_id, []), day, rules)
        if findings:
            made += changes(
                home_id, findings, latest.get(home_id, {}), day, rules.comes_back_margin
            )
    return made
