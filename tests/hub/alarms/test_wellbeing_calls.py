"""Scheduled well-being calls: when they fall due, one task per moment, retries, the alarm."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from hub.alarms.wellbeing_calls import (
    CallOutcome,
    CallState,
    CallTaskError,
    Schedule,
    after_outcome,
    occurrences,
)
from hub.storage import calls, homes, migrate, registry

if TYPE_CHECKING:
    import uuid
    from collections.abc import AsyncIterator

Conn = psycopg.AsyncConnection[Any]
ROME = ZoneInfo("Europe/Rome")
TUESDAY_FRIDAY_10 = Schedule(frozenset({2, 5}), time(10))


def rome(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A local time in Rome in 2026, as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=ROME).astimezone(UTC)


def test_calls_fall_due_on_the_planned_weekdays_at_local_time() -> None:
    """Tuesday and Friday at 10:00 in Rome, over a week: two moments, at 09:00 UTC in winter."""
    week = occurrences(TUESDAY_FRIDAY_10, ROME, rome(23, 0), rome(30, 0))
    assert week == [rome(24, 10), rome(27, 10)]
    assert [m.astimezone(UTC).hour for m in week] == [9, 9]
    summer = occurrences(TUESDAY_FRIDAY_10, ROME, rome(1, 0, month=7), rome(4, 0, month=7))
    assert [m.astimezone(UTC).hour for m in summer] == [8]


def test_an_unanswered_call_is_retried_then_becomes_an_alarm() -> None:
    """Three attempts: two no-answers put the call back in 30 min; the third raises."""
    now = rome(24, 10)
    first = after_outcome(CallState.CLAIMED, CallOutcome.NO_ANSWER, 1, TUESDAY_FRIDAY_10, now)
    assert first.state is CallState.OPEN
    assert first.next_try_at == now + timedelta(minutes=30)
    last = after_outcome(CallState.CLAIMED, CallOutcome.NO_ANSWER, 3, TUESDAY_FRIDAY_10, now)
    assert (last.state, last.raise_alarm) == (CallState.UNANSWERED, True)
    spoke = after_outcome(CallState.CLAIMED, CallOutcome.SPOKE, 1, TUESDAY_FRIDAY_10, now)
    assert (spoke.state, spoke.raise_alarm) == (CallState.DONE, False)


def test_an_outcome_needs_the_call_claimed_and_not_closed() -> None:
    """Unclaimed: claim first; done: already done."""
    now = rome(24, 10)
    with pytest.raises(CallTaskError, match="claim the call"):
        after_outcome(CallState.OPEN, CallOutcome.SPOKE, 1, TUESDAY_FRIDAY_10, now)
    with pytest.raises(CallTaskError, match="already done"):
        after_outcome(CallState.DONE, CallOutcome.SPOKE, 1, TUESDAY_FRIDAY_10, now)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Conn]:
    """A migrated database with home-1 (in Rome) planned for Tuesday and Friday at 10:00."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["home-1"], "ats-1")
        await registry.save_rules(conn, "home-1", "Europe/Rome", None)
        await calls.replace_schedules(conn, "home-1", [(None, TUESDAY_FRIDAY_10)], rome(23, 12))
        yield conn


async def test_each_planned_moment_puts_one_task_in_the_queue(db: Conn) -> None:
    """Before 10:00 nothing; at 10:00 one task, however often it is looked for.

    A plan replaced afterwards does not make this morning's call again.
    """
    assert await calls.plan_due(db, rome(24, 9, 59)) == []
    assert len(await calls.plan_due(db, rome(24, 10, 0))) == 1
    assert await calls.plan_due(db, rome(24, 10, 5)) == []
    await calls.replace_schedules(db, "home-1", [(None, TUESDAY_FRIDAY_10)], rome(24, 11))
    assert await calls.plan_due(db, rome(24, 12)) == []
    (task,) = await calls.list_calls(
        db, districts=["ats-1"], open_only=True, home_id=None, limit=10
    )
    assert (task.state, task.planned_at, task.attempts) == ("open", rome(24, 10), 0)


@pytest.mark.usefixtures("db")
async def test_two_hubs_planning_at_once_make_one_task(database_url: str) -> None:
    """Ten timers at the same moment: one task."""
    async with AsyncConnectionPool(database_url, min_size=4, open=False) as pool:

        async def plan() -> list[uuid.UUID]:
            async with pool.connection() as conn:
                return await calls.plan_due(conn, rome(24, 10))

        made = await asyncio.gather(*(plan() for _ in range(10)))
    assert sum(len(m) for m in made) == 1


async def test_exactly_one_operator_wins_a_call_and_no_answers_end_in_an_alarm(
    database_url: str, db: Conn
) -> None:
    """Three operators claim at once: one wins. Then three unanswered attempts.

    Each is claimed anew when due again; the third raises a wellbeing alarm and closes the
    task, every attempt on record.
    """
    (task_id,) = await calls.plan_due(db, rome(24, 10))
    now = rome(24, 10, 1)
    async with AsyncConnectionPool(database_url, min_size=3, open=False) as pool:

        async def try_claim(name: str) -> bool:
            async with pool.connection() as conn:
                try:
                    await calls.claim(conn, task_id, name, now)
                except CallTaskError:
                    return False
                return True

        outcomes = await asyncio.gather(*(try_claim(n) for n in ("anna", "bruno", "carla")))
    assert sorted(outcomes) == [False, False, True]
    winner = (await calls.get_call(db, task_id)).claimed_by  # type: ignore[union-attr]
    loser = next(name for name in ("anna", "bruno", "carla") if name != winner)
    with pytest.raises(CallTaskError, match=f"handled by {winner}"):
        await calls.release(db, task_id, actor=loser, overrides=False)
    async with db.transaction():
        with pytest.raises(CallTaskError, match=f"handled by {winner}"):
            await calls.record_outcome(
                db,
                task_id,
                CallOutcome.SPOKE,
                actor=loser,
                overrides=False,
                notes=None,
                now=now,
            )
    await calls.release(db, task_id, actor=str(winner), overrides=False)
    await calls.claim(db, task_id, "anna", now)
    assert winner in {"anna", "bruno", "carla"}
    for attempt in range(3):
        if attempt:
            with pytest.raises(CallTaskError, match="not due until"):
                await calls.claim(db, task_id, "anna", now)
            now += timedelta(minutes=31)
            await calls.claim(db, task_id, "anna", now)
        async with db.transaction():
            await calls.record_outcome(
                db,
                task_id,
                CallOutcome.NO_ANSWER,
                actor="anna",
                overrides=False,
                notes=None,
                now=now,
            )
    task = await calls.get_call(db, task_id)
    assert task is not None
    assert (task.state, task.attempts, task.outcome) == ("unanswered", 3, "no_answer")
    assert [entry["outcome"] for entry in task.log] == ["no_answer"] * 3
    cursor = await db.execute("SELECT alarm_id, kind, priority, reason_params FROM alarms")
    alarm_id, kind, priority, params = await cursor.fetchone()  # type: ignore[misc]
    assert (alarm_id, kind, priority) == (task.alarm_id, "wellbeing_call_unanswered", 2)
    assert params == {"attempts": "3", "planned_at": rome(24, 10).isoformat()}
