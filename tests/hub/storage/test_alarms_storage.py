"""Alarms in PostgreSQL: raise, join, redelivery, cancel, the claim race, moves, escalation."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool
from pydantic import TypeAdapter

from hub.alarms.lifecycle import AlarmState, IllegalTransitionError
from hub.alarms.rules import trigger_for
from hub.storage import alarm_changes, alarm_reads, homes, migrate, timed_alarms
from protocol import CancelEvent, Event, EventKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

NOW = datetime(2026, 11, 24, 10, tzinfo=UTC)
Conn = psycopg.AsyncConnection[Any]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Conn]:
    """A migrated database with home-1 registered."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["home-1"], "ats-1")
        yield conn


def press(kind: EventKind = EventKind.PANIC_BUTTON, at: datetime = NOW) -> Event:
    """An alarm event of home-1."""
    return TypeAdapter[Event](Event).validate_python(
        {
            "event_id": uuid.uuid4(),
            "home_id": "home-1",
            "device_id": "pendant-1",
            "ts": at,
            "seq": 1,
            "kind": kind,
            "value": {"active": True},
        }
    )


async def raise_from(conn: Conn, *events: Event, now: datetime = NOW) -> list[alarm_changes.Joined]:
    """Apply the rules' triggers for ``events``, received at ``now``."""
    triggered = [(e, t) for e in events if (t := trigger_for(e)) is not None]
    return await alarm_changes.apply_triggers(conn, triggered, now)


async def one(conn: Conn, query: str, *params: object) -> tuple[Any, ...]:
    """The single row of ``query``."""
    row = await (await conn.execute(query, params)).fetchone()
    assert row is not None
    return tuple(row)


async def test_a_repeated_trigger_joins_the_open_alarm_and_a_redelivery_changes_nothing(
    db: Conn,
) -> None:
    """Two presses make one alarm counted twice; the same press again is not a third."""
    first, second = press(), press(at=NOW + timedelta(seconds=30))
    (raised,) = await raise_from(db, first)
    (joined,) = await raise_from(db, second)
    (again,) = await raise_from(db, first)
    assert raised.raised
    assert not joined.raised
    assert raised.alarm_id == joined.alarm_id == again.alarm_id
    assert await one(db, "SELECT trigger_count, state, priority FROM alarms") == (
        2,
        "raised",
        1,
    )
    actions = await (await db.execute("SELECT action FROM alarm_log ORDER BY id")).fetchall()
    assert [a[0] for a in actions] == ["raised", "joined"]
    (smoke,) = await raise_from(db, press(EventKind.SMOKE))
    assert smoke.raised
    assert smoke.alarm_id != raised.alarm_id


async def test_two_devices_low_batteries_are_two_alarms(db: Conn) -> None:
    """A technical alarm belongs to its device: another device's is another alarm.

    The same device's again joins it; two panic presses are still one alarm.
    """

    def low(device: str) -> Event:
        return TypeAdapter[Event](Event).validate_python(
            {
                "event_id": uuid.uuid4(),
                "home_id": "home-1",
                "device_id": device,
                "ts": NOW,
                "seq": 1,
                "kind": EventKind.BATTERY_LOW,
                "value": {"low": True, "percent": 5},
            }
        )

    (pir,) = await raise_from(db, low("pir-hall"))
    (door,) = await raise_from(db, low("door-front"))
    (again,) = await raise_from(db, low("pir-hall"))
    assert pir.raised
    assert door.raised
    assert not again.raised
    assert pir.alarm_id != door.alarm_id
    assert again.alarm_id == pir.alarm_id
    open_alarms = await (
        await db.execute("SELECT device_id, trigger_count FROM alarms ORDER BY device_id")
    ).fetchall()
    assert open_alarms == [("door-front", 1), ("pir-hall", 2)]
    first, second = await raise_from(db, press(), press())
    assert first.alarm_id == second.alarm_id


async def test_a_cancel_press_cancels_the_alarm_it_names_and_keeps_it_on_record(
    db: Conn,
) -> None:
    """The resident's cancel closes the alarm as cancelled, logged; a later press raises anew."""
    alarm_event = press()
    (raised,) = await raise_from(db, alarm_event)
    cancel = TypeAdapter[Event](Event).validate_python(
        {
            "event_id": uuid.uuid4(),
            "home_id": "home-1",
            "device_id": "pendant-1",
            "ts": NOW,
            "seq": 2,
            "kind": EventKind.CANCEL,
            "value": {"cancels": alarm_event.event_id},
        }
    )
    assert isinstance(cancel, CancelEvent)
    assert await alarm_changes.cancel_by_resident(db, [cancel], NOW) == [raised.alarm_id]
    assert await one(db, "SELECT state, outcome FROM alarms") == ("cancelled", "cancelled")
    assert await alarm_changes.cancel_by_resident(db, [cancel], NOW) == []
    first, second = press(), press()
    (anew,) = await raise_from(db, first)
    assert anew.raised
    await raise_from(db, second)
    late = cancel.model_copy(
        update={"value": cancel.value.model_copy(update={"cancels": first.event_id})}
    )
    assert await alarm_changes.cancel_by_resident(db, [late], NOW) == []  # a new press joined since


async def test_exactly_one_of_several_operators_wins_the_claim_in_1000_trials(
    database_url: str, db: Conn
) -> None:
    """Three operators claim each new alarm at once: one wins, the others are told why."""
    async with AsyncConnectionPool(
        database_url, min_size=3, max_size=3, kwargs={"autocommit": True}
    ) as pool:

        async def claim_as(alarm_id: uuid.UUID, operator: str) -> str | None:
            async with pool.connection() as conn:
                try:
                    await alarm_changes.claim(conn, alarm_id, operator, NOW)
                except IllegalTransitionError:
                    return None
                return operator

        for trial in range(1000):
            (raised,) = await raise_from(db, press())
            winners = await asyncio.gather(
                *(claim_as(raised.alarm_id, f"op-{n}") for n in range(3))
            )
            won = [w for w in winners if w is not None]
            assert len(won) == 1, f"trial {trial}: {winners}"
            claimed_by = await one(
                db, "SELECT claimed_by FROM alarms WHERE alarm_id = %s", raised.alarm_id
            )
            assert claimed_by == (won[0],)
            await alarm_changes.transition(
                db, raised.alarm_id, AlarmState.CANCELLED, actor=won[0], now=NOW
            )


async def test_moves_follow_the_lifecycle_and_illegal_ones_say_why(db: Conn) -> None:
    """Claim, in progress, resolve with an outcome; then nothing more; each step logged."""
    (raised,) = await raise_from(db, press())
    await alarm_changes.claim(db, raised.alarm_id, "anna", NOW)
    with pytest.raises(IllegalTransitionError, match="claimed cannot become claimed"):
        await alarm_changes.claim(db, raised.alarm_id, "bruno", NOW)
    await alarm_changes.transition(
        db, raised.alarm_id, AlarmState.IN_PROGRESS, actor="anna", now=NOW
    )
    await alarm_changes.transition(
        db,
        raised.alarm_id,
        AlarmState.RESOLVED,
        actor="anna",
        now=NOW,
        detail={"outcome": "help_sent"},
    )
    with pytest.raises(IllegalTransitionError, match="already resolved"):
        await alarm_changes.transition(
            db, raised.alarm_id, AlarmState.CLAIMED, actor="anna", now=NOW
        )
    with pytest.raises(alarm_changes.UnknownAlarmError):
        await alarm_changes.claim(db, uuid.uuid4(), "anna", NOW)
    assert await one(db, "SELECT state, outcome, claimed_by FROM alarms") == (
        "resolved",
        "help_sent",
        "anna",
    )
    log = await (await db.execute("SELECT actor, action FROM alarm_log ORDER BY id")).fetchall()
    assert log == [
        ("system", "raised"),
        ("anna", "claimed"),
        ("anna", "in_progress"),
        ("anna", "resolved"),
    ]


async def test_an_unclaimed_alarm_escalates_once_per_wait(db: Conn) -> None:
    """Past 60 s unclaimed a priority-2 alarm becomes priority 1, logged; not again at once."""
    three_minutes_ago = NOW - timedelta(minutes=3)
    (flood,) = await raise_from(db, press(EventKind.FLOOD), now=three_minutes_ago)
    assert await timed_alarms.escalate_due(db, NOW) == [flood.alarm_id]
    assert await timed_alarms.escalate_due(db, NOW + timedelta(seconds=30)) == []
    assert await one(db, "SELECT priority, state, escalated_at FROM alarms") == (
        1,
        "raised",
        NOW,
    )
    assert await timed_alarms.escalate_due(db, NOW + timedelta(seconds=61)) == [flood.alarm_id]
    await alarm_changes.claim(db, flood.alarm_id, "anna", NOW)
    assert await timed_alarms.escalate_due(db, NOW + timedelta(hours=1)) == []


async def test_a_silent_home_unit_raises_one_alarm_per_silence(db: Conn) -> None:
    """Silent past 2.5 heartbeats: one unit-offline alarm; none again until heard and silent."""

    async def heard(at: datetime) -> None:
        await db.execute(
            "INSERT INTO presence (home_id, online, last_seen, heartbeat_ts, interval_s)"
            " VALUES ('home-1', true, %s, %s, 60) ON CONFLICT (home_id) DO UPDATE"
            " SET last_seen = EXCLUDED.last_seen, heartbeat_ts = EXCLUDED.heartbeat_ts",
            (at, at),
        )

    await heard(NOW - timedelta(seconds=140))
    assert await timed_alarms.raise_missing_units(db, NOW) == []
    await heard(NOW - timedelta(seconds=160))
    (first,) = await timed_alarms.raise_missing_units(db, NOW)
    assert await timed_alarms.raise_missing_units(db, NOW + timedelta(minutes=5)) == []
    assert await one(db, "SELECT kind, priority, state FROM alarms") == (
        "unit_offline",
        3,
        "raised",
    )
    await alarm_changes.claim(db, first, "anna", NOW)
    await alarm_changes.transition(
        db, first, AlarmState.RESOLVED, actor="anna", now=NOW, detail={"outcome": "technical_fixed"}
    )
    assert await timed_alarms.raise_missing_units(db, NOW + timedelta(minutes=10)) == []
    await heard(NOW + timedelta(minutes=11))
    assert await timed_alarms.raise_missing_units(db, NOW + timedelta(minutes=12)) == []
    (second,) = await timed_alarms.raise_missing_units(db, NOW + timedelta(minutes=14))
    assert second != first


async def test_a_missing_daily_check_in_raises_one_alarm_a_day(db: Conn) -> None:
    """Before the deadline nothing; after it without a press one alarm; a press clears it."""
    await db.execute(
        "INSERT INTO home_rules (home_id, time_zone, check_in_before)"
        " VALUES ('home-1', 'Europe/Rome', '10:00')"
    )
    rome_9 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Rome
    assert await timed_alarms.raise_missed_check_ins(db, rome_9) == []
    (missed,) = await timed_alarms.raise_missed_check_ins(
        db, rome_9 + timedelta(hours=1, minutes=5)
    )
    assert await timed_alarms.raise_missed_check_ins(db, rome_9 + timedelta(hours=3)) == []
    assert await one(db, "SELECT kind, reason_params FROM alarms") == (
        "missed_check_in",
        {"expected_before": "10:00"},
    )
    await alarm_changes.claim(db, missed, "anna", rome_9)
    await alarm_changes.transition(db, missed, AlarmState.RESOLVED, actor="anna", now=rome_9)
    tomorrow_9 = rome_9 + timedelta(days=1)
    await db.execute(
        "INSERT INTO events (event_id, ts, received_at, home_id, device_id, kind, seq, value)"
        " VALUES (%s, %s, %s, 'home-1', 'pendant-1', 'check_in', 9, '{}')",
        (uuid.uuid4(), tomorrow_9, tomorrow_9),
    )
    assert await timed_alarms.raise_missed_check_ins(db, tomorrow_9 + timedelta(hours=2)) == []


async def test_paging_neither_skips_nor_repeats_alarms_raised_in_the_same_instant(
    db: Conn,
) -> None:
    """Five alarms of one timer tick, two a page: all five, once each."""
    await homes.register(db, [f"home-{n}" for n in range(2, 6)], "ats-1")
    for n in range(1, 6):
        event = press().model_copy(update={"home_id": f"home-{n}"})
        await raise_from(db, event)
    seen: list[uuid.UUID] = []
    before, before_id = None, None
    while True:
        page = await alarm_reads.list_alarms(
            db,
            districts=["ats-1"],
            states=[AlarmState.RAISED],
            home_id=None,
            limit=2,
            before=before,
            before_id=before_id,
        )
        seen += [row.alarm_id for row in page]
        if len(page) < 2:
            break
        before, before_id = page[-1].raised_at, page[-1].alarm_id
    assert len(seen) == len(set(seen)) == 5
