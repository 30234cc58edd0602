"""Storage on real PostgreSQL: migrations, partitions, exactly-once events, retention."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import psycopg
import pytest

from hub.config import HubSettings
from hub.loops import maintenance
from hub.storage import dead_letters, events, homes, migrate, partitions
from protocol import EventBatch, EventKind, Motion, MotionEvent, Trigger, TriggerEvent

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[psycopg.AsyncConnection[object]]:
    """A migrated database with today's partitions and one registered home."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await partitions.create_ahead(conn, NOW.date())
        await homes.register(conn, ["home-1"], "ats-1")
        await events.prepare(conn)
        yield conn


def batch(
    count: int,
    ts: datetime = NOW,
    kind: Literal[EventKind.FALL, EventKind.SMOKE] = EventKind.FALL,
) -> EventBatch:
    """``count`` events of home-1, a second apart from ``ts``."""
    return EventBatch(
        home_id="home-1",
        events=[
            TriggerEvent(
                event_id=uuid.uuid4(),
                home_id="home-1",
                device_id="pendant-1",
                ts=ts + timedelta(seconds=i),
                seq=i,
                kind=kind,
                value=Trigger(active=True),
            )
            for i in range(count)
        ],
    )


async def count(conn: psycopg.AsyncConnection[object], query: str) -> int:
    """The single number a query returns."""
    row = await (await conn.execute(query)).fetchone()
    assert row is not None
    return int(row[0])  # type: ignore[index]


async def test_migrating_twice_changes_nothing(database_url: str) -> None:
    """`telecare db migrate` is safe to run again: the second run applies nothing."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        first = await migrate.migrate(conn)
        second = await migrate.migrate(conn)
    assert first == [m.version for m in migrate.available()]
    assert second == []


async def test_a_redelivered_batch_is_stored_once(db: psycopg.AsyncConnection[object]) -> None:
    """Storing the same events again adds no rows and no rollup counts."""
    rows = list(events.rows_of(batch(5), NOW))
    assert await events.store(db, rows) == 5
    assert await events.store(db, rows) == 0
    assert await count(db, "SELECT count(*) FROM events") == 5
    assert await count(db, "SELECT sum(events) FROM activity_hourly") == 5


async def test_duplicates_inside_one_write_are_stored_once(
    db: psycopg.AsyncConnection[object],
) -> None:
    """The same event twice in one flush (a redelivery still queued) becomes one row."""
    rows = list(events.rows_of(batch(3), NOW))
    assert await events.store(db, rows + rows[:2]) == 3
    assert await count(db, "SELECT count(*) FROM events") == 3


async def test_an_event_id_is_stored_once_whatever_its_time(
    db: psycopg.AsyncConnection[object],
) -> None:
    """The same id with another device time is a copy: one row, the first time kept.

    In another day's partition or in the same write; the rollup counts it once.
    """
    rows = list(events.rows_of(batch(1), NOW))
    event_id, ts = rows[0][0], NOW
    moved = [(event_id, ts - timedelta(days=1), *rows[0][2:])]
    later = [(event_id, ts + timedelta(hours=3), *rows[0][2:])]
    assert await events.store(db, rows) == 1
    assert await events.store(db, moved) == 0
    assert await events.store(db, later + later) == 0
    assert await count(db, "SELECT count(*) FROM events") == 1
    assert await count(db, "SELECT sum(events) FROM activity_hourly") == 1
    fresh = [(uuid.uuid4(), ts, *rows[0][2:]), (uuid.uuid4(), ts, *rows[0][2:])]
    same_id_twice = [fresh[0], (fresh[0][0], ts + timedelta(minutes=1), *rows[0][2:]), fresh[1]]
    assert await events.store(db, same_id_twice) == 2


async def test_ids_are_forgotten_with_the_events_retention(
    db: psycopg.AsyncConnection[object],
) -> None:
    """Ids received before the cutoff go.

    A copy of such an event with its own time is still absorbed while its partition is kept.
    """
    old = list(events.rows_of(batch(2), NOW - timedelta(days=2)))
    new = list(events.rows_of(batch(1), NOW))
    await events.store(db, old + new)
    assert await events.forget_ids(db, NOW - timedelta(days=1)) == 2
    assert await count(db, "SELECT count(*) FROM event_ids") == 1
    assert await events.store(db, old) == 0


async def test_events_land_in_their_day_partition(db: psycopg.AsyncConnection[object]) -> None:
    """An event of today is in today's partition, not in the default one."""
    await events.store(db, list(events.rows_of(batch(2), NOW)))
    assert await count(db, "SELECT count(*) FROM events_p20261124") == 2
    assert await count(db, "SELECT count(*) FROM events_default") == 0


async def test_partitions_exist_ahead_of_time(db: psycopg.AsyncConnection[object]) -> None:
    """A week of partitions is ready before any event needs one."""
    days = await partitions.existing_days(db)
    assert days[0] == date(2026, 11, 23)
    assert days[-1] == date(2026, 12, 1)
    assert await partitions.create_ahead(db, NOW.date()) == []


async def test_a_reset_clock_still_stores_its_events(db: psycopg.AsyncConnection[object]) -> None:
    """An event dated 1970 is kept (in the default partition) and absorbed when resent."""
    rows = list(events.rows_of(batch(1, ts=datetime(1970, 1, 1, tzinfo=UTC)), NOW))
    assert await events.store(db, rows) == 1
    assert await events.store(db, rows) == 0
    assert await count(db, "SELECT count(*) FROM events_default") == 1


async def test_a_new_partition_takes_its_rows_from_the_default(
    db: psycopg.AsyncConnection[object],
) -> None:
    """Events far in the future wait in the default partition and move when their day comes."""
    future = datetime(2026, 12, 20, 8, tzinfo=UTC)
    await events.store(db, list(events.rows_of(batch(3, ts=future), NOW)))
    assert await count(db, "SELECT count(*) FROM events_default") == 3
    made = await partitions.create_ahead(db, date(2026, 12, 19), days_ahead=1, days_behind=0)
    assert made == ["events_p20261219", "events_p20261220"]
    assert await count(db, "SELECT count(*) FROM events_default") == 0
    assert await count(db, "SELECT count(*) FROM events_p20261220") == 3


async def test_retention_drops_only_what_is_past_it(db: psycopg.AsyncConnection[object]) -> None:
    """With 1 day of retention yesterday's partition goes; today's and odd clocks' rows stay."""
    await events.store(db, list(events.rows_of(batch(2, ts=NOW - timedelta(days=1)), NOW)))
    await events.store(db, list(events.rows_of(batch(3), NOW)))
    await events.store(db, list(events.rows_of(batch(1, ts=datetime(1970, 1, 1, tzinfo=UTC)), NOW)))
    dropped = await partitions.drop_expired(db, NOW + timedelta(days=1), retention_days=1)
    assert dropped == ["events_p20261123"]
    assert await count(db, "SELECT count(*) FROM events") == 4
    assert await count(db, "SELECT count(*) FROM events_default") == 1


async def test_old_dead_letters_are_deleted_and_recent_ones_kept(
    db: psycopg.AsyncConnection[object],
) -> None:
    """Maintenance deletes dead letters past their retention, and only those."""
    letters = [
        dead_letters.DeadLetter(NOW - timedelta(days=age), "t", b"x", "invalid_json", (), "d")
        for age in (100, 91, 89, 0)
    ]
    await dead_letters.store(db, letters)
    settings = HubSettings(dead_letter_retention_days=90, partitions_ahead_days=1)
    await maintenance.maintain_once(db, settings, now=NOW)
    cursor = await db.execute("SELECT received_at FROM dead_letters ORDER BY received_at")
    assert await cursor.fetchall() == [(NOW - timedelta(days=89),), (NOW,)]


async def test_movement_but_not_a_smoke_alarm_marks_the_person_active(
    db: psycopg.AsyncConnection[object],
) -> None:
    """The home's last activity follows activity kinds only, and never goes back in time."""
    await events.store(db, list(events.rows_of(batch(1, kind=EventKind.SMOKE), NOW)))
    assert await count(db, "SELECT count(*) FROM home_activity") == 0

    def movement(ts: datetime) -> EventBatch:
        return EventBatch(
            home_id="home-1",
            events=[
                MotionEvent(
                    event_id=uuid.uuid4(),
                    home_id="home-1",
                    device_id="pir-1",
                    ts=ts,
                    seq=1,
                    kind=EventKind.MOTION,
                    value=Motion(detected=True),
                )
            ],
        )

    await events.store(db, list(events.rows_of(movement(NOW), NOW)))
    await events.store(db, list(events.rows_of(movement(NOW - timedelta(hours=2)), NOW)))
    row = await (await db.execute("SELECT last_activity_at FROM home_activity")).fetchone()
    assert row == (NOW,)


async def test_rollup_counts_events_per_hour_and_kind(db: psycopg.AsyncConnection[object]) -> None:
    """The hourly rollup adds up across writes, by home, hour and kind."""
    await events.store(db, list(events.rows_of(batch(2, kind=EventKind.FALL), NOW)))
    await events.store(db, list(events.rows_of(batch(3, kind=EventKind.SMOKE), NOW)))
    await events.store(db, list(events.rows_of(batch(4, kind=EventKind.FALL), NOW)))
    cursor = await db.execute("SELECT hour, kind, events FROM activity_hourly ORDER BY kind")
    assert await cursor.fetchall() == [
        (datetime(2026, 11, 24, 10, tzinfo=UTC), "fall", 6),
        (datetime(2026, 11, 24, 10, tzinfo=UTC), "smoke", 3),
    ]


async def test_homes_register_once(db: psycopg.AsyncConnection[object]) -> None:
    """Registering a home twice keeps one row; lookups say which ids are known."""
    assert await homes.register(db, ["home-1", "home-2"], "ats-1") == 1
    assert await homes.registered(db, ["home-1", "home-2", "home-3"]) == {"home-1", "home-2"}
