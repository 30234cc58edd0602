"""The nightly indicators run against PostgreSQL: once a day per home, from the stored events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from hub.loops import indicators as nightly
from hub.storage import events, homes, indicators, migrate, registry
from protocol import EventBatch

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

Conn = psycopg.AsyncConnection[Any]
ROME = ZoneInfo("Europe/Rome")
DAY = date(2026, 11, 24)


def rome(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A local time on DAY (or ``days`` later)."""
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=ROME) + timedelta(days=days)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Conn]:
    """A migrated database with home-1 in Rome and home-2 in Lisbon, and a staging table."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["home-1", "home-2"], "ats-1")
        await conn.execute(
            "INSERT INTO home_rules (home_id, time_zone) VALUES ('home-2', 'Europe/Lisbon')"
        )
        await events.prepare(conn)
        yield conn


_seq = iter(range(1, 1_000_000))


async def store(
    conn: Conn,
    home: str,
    readings: list[tuple[str, str, dict[str, Any], datetime]],
    location: str | None = None,
) -> None:
    """Store a home's readings (device, kind, value, time) as the ingest does."""
    batch = EventBatch.model_validate(
        {
            "home_id": home,
            "events": [
                {
                    "event_id": uuid.uuid4(),
                    "home_id": home,
                    "device_id": device,
                    "ts": at,
                    "seq": next(_seq),
                    "kind": kind,
                    "value": value,
                    "location": location,
                }
                for device, kind, value, at in readings
            ],
        }
    )
    await events.store(conn, list(events.rows_of(batch, datetime.now(UTC))))


async def test_yesterday_is_worked_out_once_after_the_local_night(db: Conn) -> None:
    """Before 2:00 only earlier days are due; after, yesterday is kept, with registry rooms."""
    await registry.set_device_rooms(db, "home-1", {"pir-a": "kitchen", "bed-1": "bedroom"})
    await store(
        db,
        "home-1",
        [
            ("bed-1", "bed", {"occupied": True}, rome(22, 30, days=-1)),
            ("pir-b", "motion", {"detected": True}, rome(2, 10)),  # location says bathroom
            ("bed-1", "bed", {"occupied": False}, rome(7, 5)),
            ("pir-a", "motion", {"detected": True}, rome(7, 30)),
            ("pir-a", "motion", {"detected": True}, rome(12, 40)),
            ("pendant", "check_in", {}, rome(9, 0)),
        ],
        location="bathroom",
    )
    caught_up = await nightly.nightly_once(db, rome(1, 0, days=1))
    assert {day: sorted(done) for day, done in caught_up.items()} == {
        DAY - timedelta(days=back): ["home-1", "home-2"] for back in range(1, 5)
    }
    done = await nightly.nightly_once(db, rome(2, 30, days=1))
    assert done == {DAY: ["home-1"]}  # Lisbon is an hour behind: its 2:00 is not there yet
    (day,) = await indicators.days_of(db, "home-1", DAY, DAY)
    assert (day.rise_min, day.night_bathroom_visits, day.kitchen_visits) == (425, 1, 2)
    assert (day.check_ins, day.events, day.time_zone) == (1, 6 - 1, "Europe/Rome")
    assert sum(day.room_hours["kitchen"]) == 2
    assert await nightly.nightly_once(db, rome(2, 45, days=1)) == {}
    assert await nightly.nightly_once(db, rome(3, 30, days=1)) == {DAY: ["home-2"]}


async def test_alarms_and_closed_calls_of_the_day_are_counted(db: Conn) -> None:
    """Alarms by kind raised that local day; the 0:30 alarm is the next day's."""
    raised_at = [("panic_button", rome(10)), ("fall", rome(11)), ("fall", rome(0, 30, days=1))]
    for kind, raised in raised_at:
        await db.execute(
            "INSERT INTO alarms (alarm_id, home_id, kind, priority, state, reason_key,"
            " raised_at, last_trigger_at) VALUES (%s, 'home-1', %s, 1, 'resolved', 'k', %s, %s)",
            (uuid.uuid4(), kind, raised, raised),
        )
    for outcome, closed in [("spoke", rome(9)), ("no_answer", rome(16)), ("spoke", rome(17))]:
        await db.execute(
            "INSERT INTO call_tasks (task_id, home_id, planned_at, next_try_at, state,"
            " max_attempts, retry_minutes, outcome, closed_at)"
            " VALUES (%s, 'home-1', %s, %s, 'done', 3, 10, %s, %s)",
            (uuid.uuid4(), closed, closed, outcome, closed),
        )
    await nightly.backfill(db, DAY, DAY + timedelta(days=1), ["home-1"])
    first, second = await indicators.days_of(db, "home-1", DAY, DAY + timedelta(days=1))
    assert (first.alarms, second.alarms) == ({"panic_button": 1, "fall": 1}, {"fall": 1})
    assert (first.calls, second.calls) == ({"spoke": 2, "no_answer": 1}, {})


async def test_a_backfill_works_days_out_again_from_what_is_stored(db: Conn) -> None:
    """Events that arrive late are counted when the day is worked out again."""
    await nightly.backfill(db, DAY, DAY, ["home-1"])
    assert (await indicators.days_of(db, "home-1", DAY, DAY))[0].events == 0
    await store(db, "home-1", [("pir-a", "motion", {"detected": True}, rome(9))], "living")
    days = await nightly.backfill(db, DAY - timedelta(days=1), DAY)
    assert days == 4  # two days of two homes
    (day,) = await indicators.days_of(db, "home-1", DAY, DAY)
    assert (day.events, day.room_hours) == (1, {"living": [0] * 9 + [1] + [0] * 14})
