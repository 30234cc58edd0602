"""Daily partitions of the events table: made ahead of time, dropped after retention.

PostgreSQL without TimescaleDB: the hub creates tomorrow's partitions before tomorrow, so an
insert never has to, and drops whole partitions when they pass the retention period (cheap,
unlike DELETE). Events whose device time falls outside the partitions wait in the default
partition; when a day's partition is made, its rows are moved out of the default first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import structlog
from psycopg import sql

if TYPE_CHECKING:
    from psycopg import AsyncConnection

log = structlog.get_logger(__name__)

PREFIX = "events_p"


@dataclass(frozen=True, slots=True)
class DayPartition:
    """The partition of one UTC day."""

    day: date

    @property
    def name(self) -> str:
        """Table name, ``events_pYYYYMMDD``."""
        return f"{PREFIX}{self.day:%Y%m%d}"

    @property
    def start(self) -> datetime:
        """First instant of the day (UTC), included."""
        return datetime.combine(self.day, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """First instant of the next day, excluded."""
        return self.start + timedelta(days=1)


def wanted(today: date, days_ahead: int, days_behind: int) -> list[DayPartition]:
    """The partitions that should exist around ``today``."""
    return [DayPartition(today + timedelta(days=d)) for d in range(-days_behind, days_ahead + 1)]


def expired(existing: list[date], now: datetime, retention_days: int) -> list[DayPartition]:
    """Partitions whose whole day is older than the retention period."""
    cutoff = now - timedelta(days=retention_days)
    return [DayPartition(day) for day in existing if DayPartition(day).end <= cutoff]


async def existing_days(conn: AsyncConnection[object]) -> list[date]:
    """Days that have a partition now (tables of other names attached by hand are ignored)."""
    cursor = await conn.execute(
        "SELECT c.relname FROM pg_inherits i"
        " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
        " WHERE p.relname = 'events' AND c.relname ~ %s",
        (f"^{PREFIX}[0-9]{{8}}$",),
    )
    days = []
    for row in await cursor.fetchall():
        try:
            days.append(datetime.strptime(str(row[0])[len(PREFIX) :], "%Y%m%d").date())  # type: ignore[index]  # noqa: DTZ007 - a bare date
        except ValueError:
            continue
    return sorted(days)


async def create_ahead(
    conn: AsyncConnection[object], today: date, *, days_ahead: int = 7, days_behind: int = 1
) -> list[str]:
    """Make the missing partitions from ``days_behind`` before to ``days_ahead`` after today.

    Returns the names of the partitions made.
    """
    have = set(await existing_days(conn))
    made = []
    for partition in wanted(today, days_ahead, days_behind):
        if partition.day in have:
            continue
        await _create(conn, partition)
        made.append(partition.name)
        log.info("partition_created", partition=partition.name)
    return made


async def _create(conn: AsyncConnection[object], partition: DayPartition) -> None:
    table = sql.Identifier(partition.name)
    bounds = (partition.start, partition.end)
    async with conn.transaction():
        await conn.execute(
            sql.SQL(
                "CREATE TABLE {} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            ).format(table)
        )
        # Rows already waiting in the default partition for this day move with it; otherwise
        # attaching would fail.
        await conn.execute(
            sql.SQL(
                "WITH moved AS (DELETE FROM events_default WHERE ts >= %s AND ts < %s RETURNING *)"
                " INSERT INTO {} SELECT * FROM moved"
            ).format(table),
            bounds,
        )
        # DDL takes no bind parameters: the bounds are written in as literals.
        await conn.execute(
            sql.SQL("ALTER TABLE events ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
                table, sql.Literal(partition.start), sql.Literal(partition.end)
            )
        )


async def drop_expired(
    conn: AsyncConnection[object], now: datetime, *, retention_days: int
) -> list[str]:
    """Drop the day partitions past retention.

    Rows in the default partition (device times outside the partitions, such as a unit whose
    clock was reset to 1970) are not deleted: they were acknowledged as stored, and their
    time says nothing about when they arrived. They stay until someone looks at them.

    Returns the names of the partitions dropped.
    """
    dropped = []
    for partition in expired(await existing_days(conn), now, retention_days):
        async with conn.transaction():
            await conn.execute(
                sql.SQL("ALTER TABLE events DETACH PARTITION {}").format(
                    sql.Identifier(partition.name)
                )
            )
            await conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(partition.name)))
        dropped.append(partition.name)
        log.info("partition_dropped", partition=partition.name)
    return dropped
