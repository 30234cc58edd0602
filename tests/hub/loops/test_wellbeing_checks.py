"""The wellbeing and device rules against PostgreSQL: the right homes, one alarm per spell."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from hub.alarms.lifecycle import AlarmState
from hub.alarms.settings import NightDoorRule, WellbeingSettings
from hub.storage import alarm_changes, events, homes, migrate, registry, wellbeing_checks
from protocol import EventBatch

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

Conn = psycopg.AsyncConnection[Any]
ROME = ZoneInfo("Europe/Rome")
DAY = datetime(2026, 11, 24, tzinfo=ROME)  # a Tuesday
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def rome(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A local time on DAY (or ``days`` later), as UTC."""
    return (DAY + timedelta(days=days)).replace(hour=hour, minute=minute).astimezone(UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Conn]:
    """A migrated database with home-1 registered, and its events staging table."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["home-1"], "ats-1")
        await events.prepare(conn)
        yield conn


_seq = iter(range(1, 1_000_000))


async def store(conn: Conn, device: str, kind: str, value: dict[str, Any], at: datetime) -> None:
    """Store one event of home-1 as the ingest does, received when it happened."""
    batch = EventBatch.model_validate(
        {
            "home_id": "home-1",
            "events": [
                {
                    "event_id": uuid.uuid4(),
                    "home_id": "home-1",
                    "device_id": device,
                    "ts": at,
                    "seq": next(_seq),
                    "kind": kind,
                    "value": value,
                }
            ],
        }
    )
    await events.store(conn, list(events.rows_of(batch, at)))


async def kinds(conn: Conn) -> list[tuple[str, dict[str, str]]]:
    """Every alarm's kind and reason parameters, oldest first."""
    cursor = await conn.execute("SELECT kind, reason_params FROM alarms ORDER BY raised_at")
    return [(row[0], row[1]) for row in await cursor.fetchall()]


async def close(conn: Conn, alarm_id: uuid.UUID, at: datetime) -> None:
    """An operator takes the alarm and resolves it."""
    await alarm_changes.claim(conn, alarm_id, "anna", at)
    await alarm_changes.transition(conn, alarm_id, AlarmState.RESOLVED, actor="anna", now=at)


async def test_two_replicas_share_the_baselines_out(db: Conn, database_url: str) -> None:
    """Two hubs renewing at the same moment work out each home's baseline once between them."""
    now = rome(4)
    others = [f"home-{n}" for n in range(2, 9)]
    await homes.register(db, others, "ats-1")
    for home in ["home-1", *others]:
        await db.execute(
            "INSERT INTO home_activity (home_id, last_activity_at) VALUES (%s, %s)",
            (home, now - HOUR),
        )
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as other:
        first, second = await asyncio.gather(
            wellbeing_checks.refresh_baselines(db, now),
            wellbeing_checks.refresh_baselines(other, now),
        )
    assert first + second == 8
    assert await wellbeing_checks.refresh_baselines(db, now) == 0


async def test_a_person_still_for_longer_than_usual_raises_one_inactivity_alarm(db: Conn) -> None:
    """Four weeks of afternoons with movement, then three still hours: one alarm, with why."""
    now = rome(15, 30)
    for back in range(1, 29):
        for hour in range(8, 22):
            await db.execute(
                "INSERT INTO activity_hourly (home_id, hour, kind, events)"
                " VALUES ('home-1', %s, 'motion', 3)",
                (rome(hour, days=-back),),
            )
    await store(db, "pir-hall", "motion", {"detected": True}, now - 3 * HOUR)
    assert await wellbeing_checks.refresh_baselines(db, now) == 1
    assert await wellbeing_checks.refresh_baselines(db, now) == 0  # once a day
    (raised,) = await wellbeing_checks.raise_inactive_homes(db, now)
    assert await wellbeing_checks.raise_inactive_homes(db, now + timedelta(minutes=10)) == []
    await close(db, raised, now + timedelta(minutes=11))
    assert await wellbeing_checks.raise_inactive_homes(db, now + timedelta(minutes=20)) == []
    assert await kinds(db) == [
        ("inactivity", {"idle_minutes": "180", "threshold_minutes": "120", "usual_minutes": "0"})
    ]


async def test_someone_in_bed_at_night_is_not_inactive_but_still_in_bed_at_noon_is(
    db: Conn,
) -> None:
    """No history: 7 h still at 04:00 in bed is the night; 7 h still at noon in bed is not."""
    await store(db, "bed-pad", "bed", {"occupied": True}, rome(21))
    assert await wellbeing_checks.raise_inactive_homes(db, rome(4, days=1)) == []
    await store(db, "pir-hall", "motion", {"detected": True}, rome(5, days=1))
    await store(db, "bed-pad", "bed", {"occupied": True}, rome(5, 1, days=1))
    (raised,) = await wellbeing_checks.raise_inactive_homes(db, rome(12, 30, days=1))
    assert raised


async def test_settings_change_the_threshold_and_can_switch_a_rule_off(db: Conn) -> None:
    """Default 6 h without history; set to 2 h it raises at 2.5 h; switched off it never does."""
    await store(db, "pir-hall", "motion", {"detected": True}, rome(9))
    assert await wellbeing_checks.raise_inactive_homes(db, rome(11, 30)) == []
    await registry.save_rules(
        db,
        "home-1",
        "Europe/Rome",
        None,
        WellbeingSettings.model_validate({"inactivity": {"default_minutes": 120}}),
    )
    (raised,) = await wellbeing_checks.raise_inactive_homes(db, rome(11, 30))
    await close(db, raised, rome(11, 31))
    await store(db, "pir-hall", "motion", {"detected": True}, rome(12))
    await registry.save_rules(
        db,
        "home-1",
        "Europe/Rome",
        None,
        WellbeingSettings.model_validate({"inactivity": {"enabled": False}}),
    )
    assert await wellbeing_checks.raise_inactive_homes(db, rome(18)) == []


async def test_not_up_by_the_usual_time_raises_one_late_rise_alarm(db: Conn) -> None:
    """Up in the 07:00 hour for four weeks; today nothing since 22:00: an alarm at 09:00."""
    for back in range(1, 29):
        for hour in range(7, 22):
            await db.execute(
                "INSERT INTO activity_hourly (home_id, hour, kind, events)"
                " VALUES ('home-1', %s, 'motion', 2)",
                (rome(hour, days=-back),),
            )
    await store(db, "pir-hall", "motion", {"detected": True}, rome(22, days=-1))
    await wellbeing_checks.refresh_baselines(db, rome(4))
    assert await wellbeing_checks.raise_late_risers(db, rome(8, 50)) == []
    (raised,) = await wellbeing_checks.raise_late_risers(db, rome(9, 1))
    await close(db, raised, rome(9, 5))
    assert await wellbeing_checks.raise_late_risers(db, rome(9, 30)) == []
    late = [k for k in await kinds(db) if k[0] == "late_rise"]
    assert late == [("late_rise", {"expected_by": "09:00", "usual_up_by": "08:00"})]


async def test_a_door_opened_at_night_raises_once_and_a_daytime_door_never(db: Conn) -> None:
    """Opened and closed at 14:00: nothing; at 02:10 (closed a minute later): one alarm."""
    await store(db, "door-front", "door", {"open": True}, rome(14))
    await store(db, "door-front", "door", {"open": False}, rome(14, 1))
    assert await wellbeing_checks.raise_night_doors(db, rome(14, 5)) == []
    await store(db, "door-front", "door", {"open": True}, rome(2, 10, days=1))
    await store(db, "door-front", "door", {"open": False}, rome(2, 11, days=1))
    (raised,) = await wellbeing_checks.raise_night_doors(db, rome(2, 12, days=1))
    await close(db, raised, rome(2, 20, days=1))
    assert await wellbeing_checks.raise_night_doors(db, rome(2, 30, days=1)) == []
    assert await kinds(db) == [("night_door", {"device_id": "door-front", "opened_at": "02:10"})]


async def test_the_night_door_rule_watches_only_the_doors_named(db: Conn) -> None:
    """Only the front door is watched: the fridge opened at night is not an alarm."""
    await registry.save_rules(
        db,
        "home-1",
        "Europe/Rome",
        None,
        WellbeingSettings(night_door=NightDoorRule(devices=["door-front"])),
    )
    await store(db, "fridge", "door", {"open": True}, rome(1))
    assert await wellbeing_checks.raise_night_doors(db, rome(1, 1)) == []


async def test_out_of_bed_at_night_and_not_back_raises_once(db: Conn) -> None:
    """Up at 02:00: at 02:40 nothing, at 02:46 an alarm; back in bed, the next night anew."""
    await store(db, "bed-pad", "bed", {"occupied": True}, rome(22, days=-1))
    await store(db, "bed-pad", "bed", {"occupied": False}, rome(2))
    assert await wellbeing_checks.raise_out_of_bed(db, rome(2, 40)) == []
    (raised,) = await wellbeing_checks.raise_out_of_bed(db, rome(2, 46))
    assert await wellbeing_checks.raise_out_of_bed(db, rome(2, 50)) == []
    await close(db, raised, rome(2, 55))
    await store(db, "bed-pad", "bed", {"occupied": True}, rome(3))
    assert await wellbeing_checks.raise_out_of_bed(db, rome(3, 50)) == []
    assert await kinds(db) == [("out_of_bed", {"left_bed_at": "02:00", "minutes_out": "46"})]


async def test_a_room_cold_for_an_hour_raises_one_alarm(db: Conn) -> None:
    """Readings every 30 min at 14.5 °C from 10:00: an alarm at 11:00 naming the thermometer.

    Closed by an operator, it is not raised again while the same cold spell lasts.
    """
    await store(db, "thermo-living", "temperature", {"celsius": 19.5}, rome(9, 30))
    for minute in (0, 30, 60):
        at = rome(10) + timedelta(minutes=minute)
        await store(db, "thermo-living", "temperature", {"celsius": 14.5}, at)
        if minute < 60:
            assert await wellbeing_checks.raise_room_temperatures(db, at) == []
    (raised,) = await wellbeing_checks.raise_room_temperatures(db, rome(11))
    await close(db, raised, rome(11, 5))
    assert await wellbeing_checks.raise_room_temperatures(db, rome(11, 10)) == []
    for minute in range(30, 240, 30):  # still cold for three more hours: the same spell
        at = rome(11) + timedelta(minutes=minute)
        await store(db, "thermo-living", "temperature", {"celsius": 14.5}, at)
        assert await wellbeing_checks.raise_room_temperatures(db, at) == []
    assert await kinds(db) == [
        (
            "room_temperature",
            {"celsius": "14.5", "side": "cold", "minutes": "60", "device_id": "thermo-living"},
        )
    ]


async def test_devices_the_unit_no_longer_hears_raise_one_alarm_naming_them(db: Conn) -> None:
    """The heartbeat says the pendant was last heard 25 h ago: one alarm, not repeated."""
    now = rome(12)
    for device, seen in (("pendant", now - 25 * HOUR), ("door-front", now - HOUR)):
        await db.execute(
            "INSERT INTO devices (home_id, device_id, last_seen) VALUES ('home-1', %s, %s)",
            (device, seen),
        )
    (raised,) = await wellbeing_checks.raise_silent_devices(db, now)
    await close(db, raised, now)
    assert await wellbeing_checks.raise_silent_devices(db, now + HOUR) == []
    assert await kinds(db) == [
        ("device_silent", {"devices": "pendant", "last_seen": (now - 25 * HOUR).isoformat()})
    ]


async def test_a_silent_home_unit_holds_back_the_rules_that_depend_on_it(db: Conn) -> None:
    """While the unit's own alarm is open, stillness and silent devices say nothing more."""
    now = rome(12)
    await store(db, "pir-hall", "motion", {"detected": True}, now - 10 * HOUR)
    await db.execute(
        "INSERT INTO devices (home_id, device_id, last_seen) VALUES ('home-1', 'pendant', %s)",
        (now - 30 * HOUR,),
    )
    await alarm_changes.raise_by_rule(db, "home-1", "unit_offline", 3, {}, now=now)
    assert await wellbeing_checks.raise_inactive_homes(db, now) == []
    assert await wellbeing_checks.raise_silent_devices(db, now) == []


async def test_rules_saved_with_a_time_zone_apply_in_that_zone(db: Conn) -> None:
    """A home in Lisbon (an hour behind Rome): a door at 22:30 Rome time is 21:30 there."""
    await registry.save_rules(db, "home-1", "Europe/Lisbon", time(10), WellbeingSettings())
    await store(db, "door-front", "door", {"open": True}, rome(22, 30))
    assert await wellbeing_checks.raise_night_doors(db, rome(22, 35)) == []
    await store(db, "door-front", "door", {"open": True}, rome(23, 30))
    assert len(await wellbeing_checks.raise_night_doors(db, rome(23, 35))) == 1
    assert (await registry.rules(db, "home-1"))[0] == "Europe/Lisbon"


async def test_a_late_alarm_last_night_does_not_hold_back_this_mornings(db: Conn) -> None:
    """A late-rise alarm raised at 23:50 and closed: the next morning's is raised all the same."""
    await store(db, "pir-hall", "motion", {"detected": True}, rome(22, days=-1))
    late = await alarm_changes.raise_by_rule(
        db, "home-1", "late_rise", 2, {}, now=rome(23, 50, days=-1)
    )
    assert late is not None
    await close(db, late, rome(23, 55, days=-1))
    assert len(await wellbeing_checks.raise_late_risers(db, rome(11, 5))) == 1


async def test_a_room_cold_for_days_is_one_alarm_until_a_week_has_passed(db: Conn) -> None:
    """12 °C for 30 hours with the alarm closed: no second alarm a day later."""
    for half_hours in range(61):
        at = rome(8) + timedelta(minutes=30 * half_hours)
        await store(db, "thermo-living", "temperature", {"celsius": 12.0}, at)
        raised = await wellbeing_checks.raise_room_temperatures(db, at)
        if half_hours == 2:
            (first,) = raised
            await close(db, first, at)
        else:
            assert raised == [], f"raised again after {half_hours / 2} h"


async def test_a_silent_unit_holds_back_the_night_door_and_the_cold_room(db: Conn) -> None:
    """While the unit's own alarm is open, its last readings raise nothing more."""
    await store(db, "door-front", "door", {"open": True}, rome(2))
    for minute in (0, 30, 60):
        await store(
            db, "thermo", "temperature", {"celsius": 10.0}, rome(1) + timedelta(minutes=minute)
        )
    await alarm_changes.raise_by_rule(db, "home-1", "unit_offline", 3, {}, now=rome(1, 30))
    assert await wellbeing_checks.raise_night_doors(db, rome(2, 5)) == []
    assert await wellbeing_checks.raise_room_temperatures(db, rome(2, 5)) == []


async def test_a_device_with_a_door_and_a_thermometer_keeps_both_readings(db: Conn) -> None:
    """A door contact that also reports temperature: its opening at night is still seen."""
    await store(db, "multi-1", "door", {"open": True}, rome(2))
    await store(db, "multi-1", "temperature", {"celsius": 20.0}, rome(2, 1))
    assert len(await wellbeing_checks.raise_night_doors(db, rome(2, 5))) == 1


async def test_a_homes_latest_events_can_be_read_newest_first(db: Conn) -> None:
    """Of 300 events, the 200 newest, newest first (the resident card's timeline)."""
    for minute in range(300):
        await store(db, "pir-hall", "motion", {"detected": True}, rome(8) + minute * MINUTE)
    newest = await registry.home_events(
        db, "home-1", start=rome(0), end=rome(23), limit=200, newest_first=True
    )
    assert [row[1] for row in newest[:2]] == [rome(8) + 299 * MINUTE, rome(8) + 298 * MINUTE]
    assert len(newest) == 200
