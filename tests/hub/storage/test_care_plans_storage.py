"""Care plans in PostgreSQL: each home's review is due by its own calendar, not the hub's."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from queries import until_rows

from hub.auth.users import Role, add_user
from hub.storage import care_plans, homes, migrate, registry

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

Conn = psycopg.AsyncConnection[Any]
NOW = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)
"""Late on 10 March at Kiritimati (UTC+14), already 11 March; still 9 March at Pago Pago."""
ZONES = {
    "casa-kiritimati": "Pacific/Kiritimati",
    "casa-roma": "Europe/Rome",
    "casa-pago": "Pacific/Pago_Pago",
}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Conn]:
    """A migrated database with a home in each of three time zones, and their worker."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, list(ZONES), "ats-1")
        for home_id, zone in ZONES.items():
            await registry.save_rules(conn, home_id, zone, None)
        await add_user(conn, "dario", "a long enough password", Role.SOCIAL_WORKER, ["ats-1"])
        yield conn


async def write(conn: Conn, home_id: str, next_review: date) -> care_plans.CarePlanRow:
    """A plan for ``home_id`` reviewed on ``next_review``, by dario at NOW, not committed."""
    return await care_plans.save(
        conn,
        home_id,
        based_on=None,
        resident_id=None,
        goals=["Stay at home"],
        services=[],
        responsible="dario",
        next_review=next_review,
        notes="",
        saved_by="dario",
        saved_at=NOW,
    )


async def save(conn: Conn, home_id: str, next_review: date) -> care_plans.CarePlanRow:
    """:func:`write`, committed."""
    async with conn.transaction():
        return await write(conn, home_id, next_review)


async def test_a_review_is_due_on_the_homes_own_date(db: Conn) -> None:
    """A review on 11 March is due at Kiritimati now, tomorrow in Rome, later at Pago Pago."""
    for home_id in ZONES:
        await save(db, home_id, date(2026, 3, 11))

    async def due(within_days: int) -> list[str]:
        return [row.home_id for row in await care_plans.due(db, ["ats-1"], NOW, within_days)]

    assert await due(0) == ["casa-kiritimati"]
    assert await due(1) == ["casa-kiritimati", "casa-roma"]
    assert await due(2) == ["casa-kiritimati", "casa-pago", "casa-roma"]
    assert await care_plans.due(db, ["ats-2"], NOW, 2) == []
    assert len(await care_plans.due(db, None, NOW, 2)) == 3


async def test_only_the_version_in_force_counts(db: Conn) -> None:
    """An overdue version replaced by one reviewed later is no longer due; its row stays."""
    await save(db, "casa-roma", date(2026, 3, 1))
    assert [row.version for row in await care_plans.due(db, None, NOW, 0)] == [1]
    await save(db, "casa-roma", date(2026, 6, 1))
    assert await care_plans.due(db, None, NOW, 0) == []
    versions = await care_plans.history(db, "casa-roma")
    assert [(v.version, v.next_review) for v in versions] == [
        (2, date(2026, 6, 1)),
        (1, date(2026, 3, 1)),
    ]


async def test_a_save_from_an_old_version_changes_nothing(db: Conn) -> None:
    """The refusal leaves the caller's transaction usable and the history as it was."""
    await save(db, "casa-roma", date(2026, 6, 1))
    async with db.transaction():
        with pytest.raises(care_plans.CarePlanChangedError) as refused:
            await care_plans.save(
                db,
                "casa-roma",
                based_on=0,
                resident_id=None,
                goals=["Stale"],
                services=[],
                responsible="dario",
                next_review=date(2026, 4, 1),
                notes="",
                saved_by="dario",
                saved_at=NOW,
            )
        assert refused.value.current == 1
        assert [v.goals for v in await care_plans.history(db, "casa-roma")] == [["Stay at home"]]


async def test_two_saves_at_once_never_share_a_version(db: Conn, database_url: str) -> None:
    """Both read version 0 as in force; the one that waited on the other's row is refused.

    The first save's transaction stays open until the second is seen waiting on its row
    lock, so the race is run every time, not by chance.
    """
    async with (
        await psycopg.AsyncConnection.connect(database_url) as first,
        await psycopg.AsyncConnection.connect(database_url) as second,
    ):
        await write(first, "casa-roma", date(2026, 6, 1))  # its transaction left open
        racing = asyncio.create_task(write(second, "casa-roma", date(2026, 7, 1)))
        await until_rows(
            database_url,
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
            bool,
            second.info.backend_pid,
        )
        await first.commit()
        with pytest.raises(care_plans.CarePlanChangedError) as refused:
            await racing
        assert refused.value.current == 1
        await second.rollback()
    versions = await care_plans.history(db, "casa-roma")
    assert [(v.version, v.next_review) for v in versions] == [(1, date(2026, 6, 1))]
