"""Kept days of a person for the social workers' views: a steady life, lately worse at night.

Written through the hub's own storage (``hub.storage.indicators``), as the nightly run keeps
them; the views read nothing else.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import psycopg

from hub.indicators.daily import DailyIndicators
from hub.storage import indicators

if TYPE_CHECKING:
    from browsing import Centre

ROME = ZoneInfo("Europe/Rome")
WORSE_FOR = 14
"""The last days, when the bathroom visits at night went from one to three."""


def yesterday() -> date:
    """The last day the page shows: the home's yesterday."""
    return datetime.now(ROME).date() - timedelta(days=1)


def a_day(day: date, last: date) -> DailyIndicators:
    """Maria's day: kitchen at breakfast and lunch, bed at night; up more often lately."""
    worse = (last - day).days < WORSE_FOR
    wobble = day.toordinal() % 3
    kitchen = [0] * 24
    kitchen[8], kitchen[12] = 4 + wobble, 9
    bedroom = [2] * 7 + [0] * 15 + [3, 2]
    return DailyIndicators(
        day,
        active_hours=13.0 + wobble / 2,
        rise_min=450 + wobble * 10,
        last_activity_min=1310,
        out_minutes=60,
        outings=1,
        night_bathroom_visits=3 if worse else 1,
        night_out_of_bed_minutes=25 if worse else 8,
        kitchen_visits=3,
        check_ins=1,
        events=150,
        room_hours={"kitchen": kitchen, "bedroom": bedroom},
    )


async def keep_days(centre: Centre, days: int) -> date:
    """``days`` kept days of Maria's home up to yesterday, and a panic alarm 3 days ago."""
    last = yesterday()
    kept = [(centre.home, a_day(last - timedelta(days=n), last)) for n in range(days)]
    raised = datetime.combine(last - timedelta(days=3), time(10), ROME).astimezone(UTC)
    async with await psycopg.AsyncConnection.connect(centre.database_url, autocommit=True) as conn:
        await indicators.save(conn, "Europe/Rome", kept)
        await conn.execute(
            "INSERT INTO alarms (alarm_id, home_id, kind, priority, state, reason_key,"
            " raised_at, last_trigger_at, closed_at, outcome)"
            " VALUES (%s, %s, 'panic_button', 1, 'resolved', 'alarm.panic_button', %s, %s,"
            " %s, 'relative_contacted')",
            (uuid.uuid4(), centre.home, raised, raised, raised + timedelta(minutes=20)),
        )
    return last
