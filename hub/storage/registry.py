"""The registry: homes, the residents of each, and their contacts in calling order."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

from psycopg import sql
from psycopg.types.json import Jsonb

from hub.alarms.settings import WellbeingSettings
from hub.zones import DEFAULT_TIME_ZONE

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime, time

    from psycopg import AsyncConnection


class HomeRow(NamedTuple):
    """A home in a list: where it is, whether its unit is online, who lives there."""

    home_id: str
    district: str
    online: bool | None
    last_seen: datetime | None
    residents: list[str]


class ResidentRow(NamedTuple):
    """A resident, as the register keeps them."""

    resident_id: uuid.UUID
    full_name: str
    address: str
    date_of_birth: date | None
    language: str
    medical_notes: str
    care_notes: str
    key_safe: str


class ContactRow(NamedTuple):
    """A contact of a home, at its place in the calling order."""

    position: int
    name: str
    relation: str
    phone: str
    responder: bool
    has_key: bool
    notes: str


class DeviceRow(NamedTuple):
    """A device as the home unit's heartbeats report it."""

    device_id: str
    battery_percent: int | None
    signal_dbm: int | None
    last_seen: datetime | None
    room: str | None


class PresenceRow(NamedTuple):
    """Whether a home's unit is online, and what its last status said."""

    online: bool
    status_reason: str | None
    last_seen: datetime
    power: str | None
    outbox_depth: int | None


class EventRow(NamedTuple):
    """One stored event of a home."""

    event_id: uuid.UUID
    ts: datetime
    device_id: str
    kind: str
    seq: int
    location: str | None
    value: dict[str, Any]


class RulesRow(NamedTuple):
    """A home's rule settings."""

    time_zone: str
    check_in_before: time | None
    wellbeing: WellbeingSettings


async def home_district(conn: AsyncConnection[Any], home_id: str) -> str | None:
    """The district of a registered home (None if there is no such home)."""
    cursor = await conn.execute("SELECT district FROM homes WHERE home_id = %s", (home_id,))
    row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def list_homes(
    conn: AsyncConnection[Any], districts: Sequence[str] | None, limit: int
) -> list[HomeRow]:
    """The homes in ``districts`` (all with None), by id."""
    cursor = await conn.execute(
        "SELECT h.home_id, h.district, p.online, p.last_seen,"
        " coalesce(array_agg(r.full_name ORDER BY r.full_name)"
        "  FILTER (WHERE r.full_name IS NOT NULL), '{}')"
        " FROM homes h LEFT JOIN presence p USING (home_id) LEFT JOIN residents r USING (home_id)"
        " WHERE %s::text[] IS NULL OR h.district = ANY(%s::text[])"
        " GROUP BY h.home_id, h.district, p.online, p.last_seen ORDER BY h.home_id LIMIT %s",
        (None if districts is None else list(districts),) * 2 + (limit,),
    )
    return [HomeRow(*row) for row in await cursor.fetchall()]


async def residents(conn: AsyncConnection[Any], home_id: str) -> list[ResidentRow]:
    """The residents of a home, by name."""
    cursor = await conn.execute(
        "SELECT resident_id, full_name, address, date_of_birth, language, medical_notes,"
        " care_notes, key_safe FROM residents WHERE home_id = %s ORDER BY full_name",
        (home_id,),
    )
    return [ResidentRow(*row) for row in await cursor.fetchall()]


async def delete_resident(conn: AsyncConnection[Any], home_id: str, resident_id: str) -> bool:
    """Remove a resident (moved out, died); False if there is none.

    Their plan of calls goes with them, and their calls still in the queue are closed as
    skipped, on record. When they joined and left stays in ``resident_departures`` (no name,
    nothing personal) for the district's monthly figures.
    """
    await conn.execute(
        "UPDATE call_tasks SET state = 'skipped', outcome = 'skipped', claimed_by = NULL,"
        " closed_at = now(), updated_at = now(), log = log || jsonb_build_array("
        "  jsonb_build_object('at', now(), 'by', 'system', 'outcome', 'skipped',"
        "  'notes', 'the resident was removed from the register'))"
        " WHERE home_id = %s AND resident_id = %s AND state IN ('open', 'claimed')",
        (home_id, uuid.UUID(resident_id)),
    )
    cursor = await conn.execute(
        "WITH gone AS (DELETE FROM residents WHERE home_id = %s AND resident_id = %s"
        "  RETURNING resident_id, home_id, joined_at)"
        " INSERT INTO resident_departures (resident_id, home_id, district, joined_at, left_at)"
        " SELECT g.resident_id, g.home_id, h.district, g.joined_at, now()"
        " FROM gone g JOIN homes h USING (home_id) RETURNING 1",
        (home_id, uuid.UUID(resident_id)),
    )
    return await cursor.fetchone() is not None


async def delete_device(conn: AsyncConnection[Any], home_id: str, device_id: str) -> bool:
    """Forget a device taken out of the home (no longer supervised). False if none.

    A home unit that still lists it in its heartbeat brings it back.
    """
    deleted = await conn.execute(
        "DELETE FROM devices WHERE home_id = %s AND device_id = %s RETURNING 1",
        (home_id, device_id),
    )
    await conn.execute(
        "DELETE FROM sensor_state WHERE home_id = %s AND device_id = %s", (home_id, device_id)
    )
    return await deleted.fetchone() is not None


async def save_resident(  # noqa: PLR0913 - a resident's fields
    conn: AsyncConnection[Any],
    home_id: str,
    resident_id: uuid.UUID | None,
    *,
    full_name: str,
    address: str,
    date_of_birth: date | None,
    language: str,
    medical_notes: str,
    care_notes: str,
    key_safe: str,
) -> uuid.UUID:
    """Create a resident (``resident_id`` None) or replace one of this home; return its id.

    Raises:
        LookupError: ``resident_id`` is not a resident of this home.
    """
    values = (full_name, address, date_of_birth, language, medical_notes, care_notes, key_safe)
    if resident_id is None:
        resident_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO residents (resident_id, home_id, full_name, address, date_of_birth,"
            " language, medical_notes, care_notes, key_safe)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (resident_id, home_id, *values),
        )
        return resident_id
    cursor = await conn.execute(
        "UPDATE residents SET full_name = %s, address = %s, date_of_birth = %s, language = %s,"
        " medical_notes = %s, care_notes = %s, key_safe = %s, updated_at = now()"
        " WHERE resident_id = %s AND home_id = %s",
        (*values, resident_id, home_id),
    )
    if cursor.rowcount == 0:
        raise LookupError(str(resident_id))
    return resident_id


async def contacts(conn: AsyncConnection[Any], home_id: str) -> list[ContactRow]:
    """A home's contacts in calling order."""
    cursor = await conn.execute(
        "SELECT position, name, relation, phone, responder, has_key, notes FROM contacts"
        " WHERE home_id = %s ORDER BY position",
        (home_id,),
    )
    return [ContactRow(*row) for row in await cursor.fetchall()]


async def replace_contacts(
    conn: AsyncConnection[Any], home_id: str, ordered: Sequence[tuple[Any, ...]]
) -> None:
    """Replace a home's contacts with ``ordered``, to be called in that order.

    Each is (name, relation, phone, responder, has_key, notes).
    """
    async with conn.transaction():
        await conn.execute("DELETE FROM contacts WHERE home_id = %s", (home_id,))
        for position, contact in enumerate(ordered, start=1):
            await conn.execute(
                "INSERT INTO contacts (home_id, position, name, relation, phone, responder,"
                " has_key, notes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (home_id, position, *contact),
            )


async def devices(conn: AsyncConnection[Any], home_id: str) -> list[DeviceRow]:
    """A home's devices as its heartbeats report them, with the room each is in."""
    cursor = await conn.execute(
        "SELECT device_id, battery_percent, signal_dbm, last_seen, room FROM devices"
        " WHERE home_id = %s ORDER BY device_id",
        (home_id,),
    )
    return [DeviceRow(*row) for row in await cursor.fetchall()]


async def set_device_room(
    conn: AsyncConnection[Any], home_id: str, device_id: str, room: str | None
) -> DeviceRow:
    """Say which room a device is in (None: unknown); a device not heard of yet is listed."""
    cursor = await conn.execute(
        "INSERT INTO devices (home_id, device_id, room) VALUES (%s, %s, %s)"
        " ON CONFLICT (home_id, device_id) DO UPDATE SET room = EXCLUDED.room"
        " RETURNING device_id, battery_percent, signal_dbm, last_seen, room",
        (home_id, device_id, room),
    )
    row = await cursor.fetchone()
    return DeviceRow(*row)  # type: ignore[misc]


async def set_device_rooms(conn: AsyncConnection[Any], home_id: str, rooms: dict[str, str]) -> None:
    """Say at once which room each of a home's devices is in (device id -> room)."""
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO devices (home_id, device_id, room) VALUES (%s, %s, %s)"
            " ON CONFLICT (home_id, device_id) DO UPDATE SET room = EXCLUDED.room",
            [(home_id, device_id, room) for device_id, room in rooms.items()],
        )


async def presence(conn: AsyncConnection[Any], home_id: str) -> PresenceRow | None:
    """A home's presence, None before its unit was first heard."""
    cursor = await conn.execute(
        "SELECT online, status_reason, last_seen, power, outbox_depth FROM presence"
        " WHERE home_id = %s",
        (home_id,),
    )
    row = await cursor.fetchone()
    return None if row is None else PresenceRow(*row)


async def home_events(  # noqa: PLR0913 - the range, the limit and the order
    conn: AsyncConnection[Any],
    home_id: str,
    *,
    start: datetime,
    end: datetime,
    limit: int,
    newest_first: bool = False,
) -> list[EventRow]:
    """A home's events with ``start <= ts < end``, at most ``limit``.

    The oldest of them first, or with ``newest_first`` the newest.
    """
    order = sql.SQL("ts DESC, seq DESC" if newest_first else "ts, seq")
    cursor = await conn.execute(
        sql.SQL(
            "SELECT event_id, ts, device_id, kind, seq, location, value FROM events"
            " WHERE home_id = %s AND ts >= %s AND ts < %s ORDER BY {} LIMIT %s"
        ).format(order),
        (home_id, start, end, limit),
    )
    return [EventRow(*row) for row in await cursor.fetchall()]


async def rules(conn: AsyncConnection[Any], home_id: str) -> RulesRow:
    """A home's (time zone, check-in deadline, wellbeing settings); the defaults when never set."""
    cursor = await conn.execute(
        "SELECT time_zone, check_in_before, wellbeing FROM home_rules WHERE home_id = %s",
        (home_id,),
    )
    row = await cursor.fetchone()
    if row is None:
        return RulesRow(DEFAULT_TIME_ZONE, None, WellbeingSettings())
    return RulesRow(str(row[0]), row[1], WellbeingSettings.model_validate(row[2]))


async def save_rules(
    conn: AsyncConnection[Any],
    home_id: str,
    time_zone: str,
    check_in_before: time | None,
    wellbeing: WellbeingSettings | None = None,
) -> None:
    """Set a home's rule settings.

    The wellbeing settings are kept whole: the checks read them over the defaults.
    """
    await conn.execute(
        "INSERT INTO home_rules (home_id, time_zone, check_in_before, wellbeing)"
        " VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (home_id) DO UPDATE SET time_zone = EXCLUDED.time_zone,"
        " check_in_before = EXCLUDED.check_in_before, wellbeing = EXCLUDED.wellbeing",
        (
            home_id,
            time_zone,
            check_in_before,
            Jsonb((wellbeing or WellbeingSettings()).model_dump(mode="json")),
        ),
    )
