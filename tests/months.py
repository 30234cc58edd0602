"""A hand-made month for the district figures: March 2025 in ats-nord, and what it adds up to.

Everything is made with the hub's own storage code (alarms raised, claimed, released,
escalated and resolved; calls planned and answered; residents added and removed), with dates
set by hand where the code writes "now". Around it, things that must not count: February's
and April's alarms and calls, a resident who left before, one who joined after, and another
district's home. March 2025 in Europe/Rome starts at +01:00 and ends at +02:00 (summer time
began on the 30th), so both ends of the month are local midnights of different offsets.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from hub.alarms.lifecycle import AlarmState
from hub.alarms.wellbeing_calls import CallOutcome, Schedule
from hub.storage import alarm_changes, calls, homes, migrate, registry

if TYPE_CHECKING:
    from psycopg import AsyncConnection

ROME = ZoneInfo("Europe/Rome")
DISTRICT = "ats-nord"
OTHER = "ats-sud"
MONTH = "2025-03"
LABEL = "March 2025"


def rome(day: str, clock: str = "10:00") -> datetime:
    """A local time in Rome: ``rome("03-10", "09:00")`` is 10 March 2025 at 09:00."""
    month, dom = (int(part) for part in day.split("-"))
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime(2025, month, dom, hours, minutes, tzinfo=ROME)


class Expected:
    """What the month adds up to (worked out by hand in the comments of :func:`fill_march`)."""

    alarms = 8
    by_kind: ClassVar[
        list[tuple[str, int, int, int]]
    ] = [  # (kind, priority as raised, alarms, escalated), by priority then kind
        ("fall", 1, 1, 0),
        ("panic_button", 1, 2, 0),
        ("wellbeing_call_unanswered", 2, 1, 0),
        ("missed_check_in", 3, 2, 0),
        ("unit_offline", 3, 1, 0),
        ("battery_low", 4, 1, 1),
    ]
    judged = 7
    within_60s = 4
    within_180s = 5
    by_priority: ClassVar[
        dict[int, tuple[int, int, int]]
    ] = {  # priority: (judged, within 60 s, within 180 s)
        1: (3, 2, 3),
        2: (1, 1, 1),
        3: (2, 1, 1),
        4: (1, 0, 0),
    }
    median_s = 47.5  # of 20, 30, 45, 50, 90, 1200
    p90_s = 645.0
    outcomes: ClassVar[dict[str, int]] = {
        "emergency_services": 1,
        "relative_contacted": 1,
        "false_alarm": 1,
        "technical_fixed": 1,
        "cancelled": 1,
        "resolved_by_phone": 2,
        "open": 1,
    }
    missed_check_ins = 2
    missed_homes = 1
    faults: ClassVar[dict[str, tuple[int, int]]] = {
        "battery_low": (1, 1),
        "unit_offline": (1, 1),
    }  # kind: (alarms, homes)
    calls: ClassVar[dict[str, int]] = {
        "planned": 8,
        "done": 5,
        "unanswered": 1,
        "skipped": 1,
        "pending": 1,
        "attempts": 8,
    }
    people: ClassVar[dict[str, int]] = {
        "served": 4,
        "at_start": 2,
        "joined": 2,
        "left": 2,
        "at_end": 2,
        "homes": 3,
        "homes_joined": 1,
    }
    reviews: ClassVar[list[tuple[str, str, int]]] = [
        ("active_hours", "nothing_to_do", 1),
        ("active_hours", "open", 1),
        ("night_bathroom_visits", "home_visit", 1),
    ]


EXPECTED = Expected()


async def fill_march(conn: AsyncConnection[Any]) -> None:
    """Make the month (on an autocommit connection to a fresh database)."""
    await migrate.migrate(conn)
    await homes.register(conn, ["casa-1", "casa-2", "casa-3"], DISTRICT)
    await homes.register(conn, ["casa-sud"], OTHER)
    await _homes_registered(conn)
    await _people(conn)
    await _alarms(conn)
    await _calls(conn)
    await _reviews(conn)


async def _homes_registered(conn: AsyncConnection[Any]) -> None:
    # casa-3 joined the service in March; the others long before.
    for home, at in [
        ("casa-1", rome("01-01")),
        ("casa-2", rome("01-01")),
        ("casa-3", rome("03-03")),
        ("casa-sud", rome("01-01")),
    ]:
        await conn.execute("UPDATE homes SET created_at = %s WHERE home_id = %s", (at, home))


async def _resident(
    conn: AsyncConnection[Any], home: str, joined: datetime, left: datetime | None = None
) -> None:
    resident_id = await registry.save_resident(
        conn,
        home,
        None,
        full_name=f"Resident of {home} since {joined:%Y-%m-%d}",
        address="Via Roma 1",
        date_of_birth=None,
        language="it",
        medical_notes="",
        care_notes="",
        key_safe="",
    )
    await conn.execute(
        "UPDATE residents SET joined_at = %s WHERE resident_id = %s", (joined, resident_id)
    )
    if left is not None:
        assert await registry.delete_resident(conn, home, str(resident_id))
        await conn.execute(
            "UPDATE resident_departures SET left_at = %s WHERE resident_id = %s",
            (left, resident_id),
        )


async def _people(conn: AsyncConnection[Any]) -> None:
    # served 4: r1, r2, r3, r4; at the start r1, r3; joined r2, r4; left r3, r4; at the end r1, r2
    await _resident(conn, "casa-1", datetime(2024, 6, 1, tzinfo=ROME))  # r1
    await _resident(conn, "casa-2", rome("03-10"))  # r2 joined
    await _resident(conn, "casa-3", datetime(2024, 1, 1, tzinfo=ROME), rome("03-20"))  # r3 left
    await _resident(conn, "casa-3", rome("03-05"), rome("03-25"))  # r4 joined and left
    await _resident(conn, "casa-2", rome("04-02"))  # joined after the month
    await _resident(conn, "casa-1", datetime(2024, 1, 1, tzinfo=ROME), rome("02-15"))  # left before
    await _resident(conn, "casa-sud", datetime(2024, 1, 1, tzinfo=ROME))  # another district


async def _alarm(  # noqa: PLR0913 - one alarm's life, step by step
    conn: AsyncConnection[Any],
    home: str,
    kind: str,
    priority: int,
    raised: datetime,
    *,
    claims: tuple[float, ...] = (),
    outcome: str | None = None,
    escalate_after: float | None = None,
) -> uuid.UUID:
    """Raise an alarm, escalate it, claim it (releasing between claims), and close it.

    ``claims`` are seconds after raising; ``outcome`` "cancelled" is the resident's cancel.
    """
    alarm_id = await alarm_changes.raise_by_rule(conn, home, kind, priority, {}, now=raised)
    assert alarm_id is not None
    if escalate_after is not None:
        assert await alarm_changes.escalate(
            conn,
            alarm_id,
            priority=priority,
            escalated_at=None,
            now=raised + timedelta(seconds=escalate_after),
        )
    at = raised
    for number, after in enumerate(claims):
        if number:
            await alarm_changes.transition(
                conn,
                alarm_id,
                AlarmState.RAISED,
                actor="anna",
                now=raised + timedelta(seconds=after - 1),
            )
        at = raised + timedelta(seconds=after)
        await alarm_changes.claim(conn, alarm_id, "anna" if number == 0 else "bruno", at)
    if outcome is not None:
        state = AlarmState.CANCELLED if outcome.startswith("cancelled") else AlarmState.RESOLVED
        await alarm_changes.transition(
            conn,
            alarm_id,
            state,
            actor="resident" if outcome == "cancelled" else "anna",
            now=at + timedelta(minutes=5),
            detail={"outcome": outcome},
        )
    return alarm_id


async def _alarms(conn: AsyncConnection[Any]) -> None:
    # In the month (the unanswered call's alarm is made by _calls): answered after 20 s, 90 s,
    # 30 s (first claim; the second, after a release, is at 300 s), 1200 s, 45 s; one
    # cancelled by the resident before any claim (not judged), one never claimed (judged,
    # missed both). Within 60 s: 20, 30, 45 (+ the call's 50) = 4 of 7; within 180 s: 5.
    await _alarm(
        conn,
        "casa-1",
        "fall",
        1,
        rome("03-01", "00:10"),
        claims=(20,),
        outcome="emergency_services",
    )
    await _alarm(
        conn, "casa-1", "panic_button", 1, rome("03-10"), claims=(90,), outcome="relative_contacted"
    )
    await _alarm(
        conn,
        "casa-2",
        "panic_button",
        1,
        rome("03-12", "09:00"),
        claims=(30, 300),
        outcome="false_alarm",
    )
    await _alarm(
        conn,
        "casa-2",
        "battery_low",
        4,
        rome("03-15"),
        claims=(1200,),
        outcome="technical_fixed",
        escalate_after=900,
    )
    await _alarm(conn, "casa-3", "missed_check_in", 3, rome("03-20"), outcome="cancelled")
    await _alarm(
        conn,
        "casa-3",
        "missed_check_in",
        3,
        rome("03-21"),
        claims=(45,),
        outcome="resolved_by_phone",
    )
    await _alarm(conn, "casa-3", "unit_offline", 3, rome("03-31", "23:50"))
    # Not in the month: the evening before, the first minutes after, another district.
    await _alarm(conn, "casa-1", "fall", 1, rome("02-28", "23:30"), claims=(10,), outcome="test")
    await _alarm(conn, "casa-1", "fall", 1, rome("04-01", "00:05"), claims=(10,), outcome="test")
    await _alarm(conn, "casa-sud", "fall", 1, rome("03-10"), claims=(500,), outcome="false_alarm")


async def _calls(conn: AsyncConnection[Any]) -> None:
    # Tuesdays and Fridays at 10:00: in March the 4th, 7th, 11th, 14th, 18th, 21st, 25th and
    # 28th (8 planned); February's 25th and 28th and April's 1st and 4th do not count.
    cursor = await conn.execute("SELECT resident_id FROM residents WHERE home_id = 'casa-1'")
    resident = (await cursor.fetchone() or [None])[0]
    schedule = Schedule(frozenset({2, 5}), time(10, 0), retry_minutes=30, attempts=3)
    await calls.replace_schedules(conn, "casa-1", [(resident, schedule)], rome("02-24"))
    day = rome("02-24", "12:00")
    while day < rome("04-05", "12:00"):
        await calls.plan_due(conn, day)
        day += timedelta(days=1)
    cursor = await conn.execute("SELECT task_id, planned_at FROM call_tasks ORDER BY planned_at")
    tasks = {
        planned.astimezone(ROME).strftime("%m-%d"): task
        for task, planned in await cursor.fetchall()
    }
    assert len(tasks) == 12
    for day_name in ("03-04", "03-14", "03-18", "03-21", "03-25"):
        await _attempt(conn, tasks[day_name], CallOutcome.SPOKE, rome(day_name, "10:02"))
    await _attempt(conn, tasks["03-11"], CallOutcome.SKIPPED, rome("03-11", "10:01"))
    for clock in ("10:01", "10:31", "11:01"):  # three unanswered attempts, 30 min apart
        await _attempt(conn, tasks["03-07"], CallOutcome.NO_ANSWER, rome("03-07", clock))
    cursor = await conn.execute(
        "SELECT alarm_id, raised_at FROM alarms WHERE kind = 'wellbeing_call_unanswered'"
    )
    alarm_id, raised = (await cursor.fetchall())[0]
    await alarm_changes.claim(conn, alarm_id, "anna", raised + timedelta(seconds=50))
    await alarm_changes.transition(
        conn,
        alarm_id,
        AlarmState.RESOLVED,
        actor="anna",
        now=raised + timedelta(minutes=3),
        detail={"outcome": "resolved_by_phone"},
    )
    # The 28th stays in the queue (pending).


async def _attempt(
    conn: AsyncConnection[Any], task: uuid.UUID, outcome: CallOutcome, at: datetime
) -> None:
    await calls.claim(conn, task, "anna", at)
    async with conn.transaction():
        await calls.record_outcome(
            conn, task, outcome, actor="anna", overrides=False, notes=None, now=at
        )


async def _reviews(conn: AsyncConnection[Any]) -> None:
    # Opened in March: 3 (one open, two seen); February's, April's and ats-sud's do not count.
    for home, indicator, opened, outcome in [
        ("casa-1", "active_hours", "03-03", None),
        ("casa-2", "night_bathroom_visits", "03-31", "home_visit"),
        ("casa-2", "active_hours", "03-15", "nothing_to_do"),
        ("casa-1", "active_hours", "02-28", "gp_informed"),
        ("casa-1", "outings", "04-01", None),
        ("casa-sud", "active_hours", "03-10", None),
    ]:
        await conn.execute(
            "INSERT INTO review_entries (entry_id, home_id, indicator, direction, opened_on,"
            " last_found_on, state, outcome, seen_by, seen_at, recent, usual, spread, change,"
            " days, reason_key) VALUES (%s, %s, %s, 'down', %s, %s, %s, %s, %s, %s,"
            " 3.0, 5.0, 0.5, -0.4, 14, %s)",
            (
                uuid.uuid4(),
                home,
                indicator,
                rome(opened).date(),
                rome(opened).date(),
                "open" if outcome is None else "seen",
                outcome,
                None if outcome is None else "sara",
                None if outcome is None else rome(opened) + timedelta(days=1),
                f"review.{indicator}.down",
            ),
        )
