"""Daily indicators: the events they are worked out from, and the kept rows the views read."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, NamedTuple

from psycopg import sql

from hub.indicators.daily import ACTIVITY_KINDS, DailyIndicators, Reading
from hub.zones import DEFAULT_TIME_ZONE
from protocol import Room

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime

    from psycopg import AsyncConnection

_ZONE = sql.SQL("coalesce(r.time_zone, {})").format(sql.Literal(DEFAULT_TIME_ZONE))
_ROOMS = [room.value for room in Room]

_READINGS = sql.SQL("""
SELECT e.home_id, e.ts, e.kind,
       coalesce(d.room, CASE WHEN lower(e.location) = ANY(%(rooms)s) THEN lower(e.location) END,
                'other'),
       CASE e.kind WHEN 'motion' THEN coalesce((e.value ->> 'detected')::boolean, false)
                   WHEN 'door' THEN coalesce((e.value ->> 'open')::boolean, false)
                   WHEN 'check_in' THEN true
                   ELSE coalesce((e.value ->> 'occupied')::boolean, false) END
FROM events e LEFT JOIN devices d USING (home_id, device_id)
WHERE e.home_id = ANY(%(homes)s) AND e.ts >= %(start)s AND e.ts < %(end)s
  AND e.kind = ANY(%(kinds)s)
ORDER BY e.home_id, e.ts
""")

COLUMNS = (
    "home_id",
    "day",
    "time_zone",
    "active_hours",
    "rise_min",
    "last_activity_min",
    "out_minutes",
    "outings",
    "night_bathroom_visits",
    "night_out_of_bed_minutes",
    "kitchen_visits",
    "check_ins",
    "events",
    "room_hours",
    "alarms",
    "calls",
)
_JSON = {"room_hours", "alarms", "calls"}

_SAVE = sql.SQL(
    "INSERT INTO daily_indicators ({columns}) VALUES ({values})"
    " ON CONFLICT (home_id, day) DO UPDATE SET {updates}, computed_at = now()"
).format(
    columns=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
    values=sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
    updates=sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in COLUMNS[2:]
    ),
)

_READ = sql.SQL(
    "SELECT {columns} FROM daily_indicators"
    " WHERE home_id = %s AND day >= %s AND day <= %s ORDER BY day"
).format(columns=sql.SQL(", ").join(map(sql.Identifier, COLUMNS[1:])))


class IndicatorRow(NamedTuple):
    """One kept day of a home, as the views read it."""

    day: date
    time_zone: str
    active_hours: float
    rise_min: int | None
    last_activity_min: int | None
    out_minutes: int
    outings: int
    night_bathroom_visits: int | None
    night_out_of_bed_minutes: int | None
    kitchen_visits: int | None
    check_ins: int
    events: int
    room_hours: dict[str, list[int]]
    alarms: dict[str, int]
    calls: dict[str, int]


async def homes_by_zone(
    conn: AsyncConnection[Any], home_ids: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """Registered homes (all, or those of ``home_ids``) grouped by their time zone's name."""
    cursor = await conn.execute(
        sql.SQL(
            "SELECT {zone}, h.home_id FROM homes h LEFT JOIN home_rules r USING (home_id)"
            " WHERE %(homes)s::text[] IS NULL OR h.home_id = ANY(%(homes)s::text[])"
            " ORDER BY 1, 2"
        ).format(zone=_ZONE),
        {"homes": None if home_ids is None else list(home_ids)},
    )
    zones: dict[str, list[str]] = defaultdict(list)
    for zone, home_id in await cursor.fetchall():
        zones[zone].append(home_id)
    return dict(zones)


async def not_done(conn: AsyncConnection[Any], home_ids: Sequence[str], day: date) -> list[str]:
    """Those of ``home_ids`` whose ``day`` has not been worked out yet."""
    cursor = await conn.execute(
        "SELECT h FROM unnest(%s::text[]) h WHERE NOT EXISTS"
        " (SELECT 1 FROM daily_indicators i WHERE i.home_id = h AND i.day = %s) ORDER BY h",
        (list(home_ids), day),
    )
    return [row[0] for row in await cursor.fetchall()]


async def readings(
    conn: AsyncConnection[Any], home_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[Reading]]:
    """Each home's activity readings from ``start`` to ``end``, in time order.

    A reading's room is its device's room in the registry, else the room its event's location
    names, else ``other``.
    """
    cursor = await conn.execute(
        _READINGS,
        {
            "homes": list(home_ids),
            "start": start,
            "end": end,
            "kinds": sorted(ACTIVITY_KINDS),
            "rooms": _ROOMS,
        },
    )
    found: dict[str, list[Reading]] = defaultdict(list)
    rooms = {room.value: room for room in Room}
    for home_id, ts, kind, room, on in await cursor.fetchall():
        found[home_id].append(Reading(ts, kind, rooms[room], on))
    return found


async def alarm_counts(
    conn: AsyncConnection[Any], home_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """Alarms raised from ``start`` to ``end``, per home and kind."""
    cursor = await conn.execute(
        "SELECT home_id, kind, count(*) FROM alarms WHERE home_id = ANY(%s)"
        " AND raised_at >= %s AND raised_at < %s GROUP BY 1, 2",
        (list(home_ids), start, end),
    )
    return _nested(await cursor.fetchall())


async def call_counts(
    conn: AsyncConnection[Any], home_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """Well-being calls closed from ``start`` to ``end``, per home and outcome."""
    cursor = await conn.execute(
        "SELECT home_id, coalesce(outcome, state), count(*) FROM call_tasks"
        " WHERE home_id = ANY(%s) AND closed_at >= %s AND closed_at < %s GROUP BY 1, 2",
        (list(home_ids), start, end),
    )
    return _nested(await cursor.fetchall())


def _nested(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, int]]:
    nested: dict[str, dict[str, int]] = defaultdict(dict)
    for home_id, key, count in rows:
        nested[home_id][key] = int(count)
    return nested


async def save(
    conn: AsyncConnection[Any], zone: str, days: Sequence[tuple[str, DailyIndicators]]
) -> None:
    """Keep worked-out days (home id, indicators), replacing any worked out before."""
    rows = []
    for home_id, indicators in days:
        values = {"home_id": home_id, "time_zone": zone, **asdict(indicators)}
        rows.append([json.dumps(values[c]) if c in _JSON else values[c] for c in COLUMNS])
    async with conn.cursor() as cursor:
        await cursor.executemany(_SAVE, rows)


async def days_of(
    conn: AsyncConnection[Any], home_id: str, first: date, last: date
) -> list[IndicatorRow]:
    """A home's kept days from ``first`` to ``last``, in order (days not worked out are absent)."""
    cursor = await conn.execute(_READ, (home_id, first, last))
    return [IndicatorRow(*row) for row in await cursor.fetchall()]


class AlarmMarkRow(NamedTuple):
    """An alarm of a home, as the person's page marks it."""

    alarm_id: Any
    kind: str
    priority: int
    state: str
    raised_at: datetime
    closed_at: datetime | None
    outcome: str | None


class CallMarkRow(NamedTuple):
    """A well-being call of a home, as the person's page marks it."""

    task_id: Any
    planned_at: datetime
    state: str
    outcome: str | None
    closed_at: datetime | None


async def alarms_between(
    conn: AsyncConnection[Any], home_id: str, start: datetime, end: datetime
) -> list[AlarmMarkRow]:
    """A home's alarms raised from ``start`` to ``end``, oldest first."""
    cursor = await conn.execute(
        "SELECT alarm_id, kind, priority, state, raised_at, closed_at, outcome FROM alarms"
        " WHERE home_id = %s AND raised_at >= %s AND raised_at < %s ORDER BY raised_at",
        (home_id, start, end),
    )
    return [AlarmMarkRow(*row) for row in await cursor.fetchall()]


async def calls_between(
    conn: AsyncConnection[Any], home_id: str, start: datetime, end: datetime
) -> list[CallMarkRow]:
    """A home's well-being calls planned from ``start`` to ``end``, oldest first."""
    cursor = await conn.execute(
        "SELECT task_id, planned_at, state, outcome, closed_at FROM call_tasks"
        " WHERE home_id = %s AND planned_at >= %s AND planned_at < %s ORDER BY planned_at",
        (home_id, start, end),
    )
    return [CallMarkRow(*row) for row in await cursor.fetchall()]
