"""Writing events: COPY into a staging table, then one insert that skips ids already stored.

The event id alone decides: each stored event's id goes into ``event_ids`` (its own key, not
bound to ``events``' partitioning by device time), and only events whose id was new there are
inserted, so a copy sent again with another time is absorbed like an exact one. Two copies
in one write count once. The hourly rollup counts only the rows actually inserted, in the
same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from psycopg import AsyncConnection

    from protocol import EventBatch

EventRow = tuple[object, ...]
"""(event_id, ts, received_at, home_id, device_id, kind, seq, location, value as JSON text)."""

COLUMNS = "event_id, ts, received_at, home_id, device_id, kind, seq, location, value"

CREATE_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS events_staging"
    " (LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)

_INSERT = sql.SQL("""
WITH fresh AS (
    INSERT INTO event_ids (event_id, received_at)
    SELECT DISTINCT ON (event_id) event_id, received_at FROM events_staging
    ORDER BY event_id
    ON CONFLICT DO NOTHING
    RETURNING event_id
), inserted AS (
    INSERT INTO events ({columns})
    SELECT DISTINCT ON (event_id) {columns} FROM events_staging
    WHERE event_id IN (SELECT event_id FROM fresh)
    ORDER BY event_id, ts
    ON CONFLICT DO NOTHING
    RETURNING home_id, device_id, kind, ts, received_at, value
), rolled AS (
    INSERT INTO activity_hourly (home_id, hour, kind, events)
    SELECT home_id, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00+00'), kind, count(*)
    FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (home_id, hour, kind)
    DO UPDATE SET events = activity_hourly.events + EXCLUDED.events
    RETURNING 1
), active AS (
    INSERT INTO home_activity (home_id, last_activity_at)
    SELECT home_id, max(LEAST(ts, received_at)) FROM inserted WHERE kind = ANY(%s)
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (home_id) DO UPDATE
    SET last_activity_at = GREATEST(home_activity.last_activity_at, EXCLUDED.last_activity_at)
    RETURNING 1
), sensed AS (
    INSERT INTO sensor_state (home_id, device_id, kind, value, ts, opened_at)
    SELECT DISTINCT ON (home_id, device_id, kind) home_id, device_id, kind, value,
           LEAST(ts, received_at),
           max(LEAST(ts, received_at)) FILTER (WHERE value @> '{{"open": true}}')
               OVER (PARTITION BY home_id, device_id, kind)
    FROM inserted WHERE kind = ANY(%s)
    ORDER BY home_id, device_id, kind, ts DESC
    ON CONFLICT (home_id, device_id, kind) DO UPDATE SET
        value = CASE WHEN EXCLUDED.ts >= sensor_state.ts THEN EXCLUDED.value
                     ELSE sensor_state.value END,
        ts = GREATEST(sensor_state.ts, EXCLUDED.ts),
        opened_at = GREATEST(sensor_state.opened_at, EXCLUDED.opened_at)
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM rolled),
       (SELECT count(*) FROM active), (SELECT count(*) FROM sensed)
""").format(columns=sql.SQL(COLUMNS))
_COPY = sql.SQL("COPY events_staging ({}) FROM STDIN").format(sql.SQL(COLUMNS))

ACTIVITY_KINDS = ["motion", "door", "bed", "chair"]
"""Sensor kinds that show the person up and about. Presses are left out: a home with only a
pendant would otherwise count as "inactive" some hours after every press. The time kept is
the device's, but never later than the hub received it (a clock running ahead must not
hide a real stillness)."""

STATE_KINDS = ["bed", "door", "temperature"]
"""Sensor kinds whose latest reading is kept in ``sensor_state`` for the night and temperature
rules (and a door's latest opening, which a quick close would otherwise hide)."""


def rows_of(batch: EventBatch, received_at: datetime) -> Iterable[EventRow]:
    """The table rows of a decoded batch."""
    for event in batch.events:
        value = event.value.__pydantic_serializer__.to_json(event.value).decode()
        yield (
            event.event_id,
            event.ts,
            received_at,
            event.home_id,
            event.device_id,
            event.kind.value,
            event.seq,
            event.location,
            value,
        )


async def prepare(conn: AsyncConnection[object]) -> None:
    """Make this connection's staging table (once per connection)."""
    await conn.execute(CREATE_STAGING)


async def store(conn: AsyncConnection[object], rows: Sequence[EventRow]) -> int:
    """Store ``rows`` in one transaction; return how many were new (the rest were stored before).

    Every row is durably stored when this returns, new or not, so all may be acknowledged.
    """
    async with conn.transaction():
        async with conn.cursor().copy(_COPY) as copy:
            for row in rows:
                await copy.write_row(row)
        cursor = await conn.execute(_INSERT, (ACTIVITY_KINDS, STATE_KINDS))
        counts = await cursor.fetchone()
    return int(counts[0]) if counts else 0  # type: ignore[index]


async def forget_ids(conn: AsyncConnection[object], before: datetime) -> int:
    """Forget the ids of events received before ``before`` (their retention); return how many.

    A copy of such an event that still arrives is then told apart only by ``events``' own
    key (the same id and device time), while its partition is kept.
    """
    cursor = await conn.execute("DELETE FROM event_ids WHERE received_at < %s", (before,))
    return cursor.rowcount
