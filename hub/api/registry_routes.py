"""The registry through the API: homes, their residents and contacts, devices, presence, events.

Everyone signed in reads the homes of their districts (another district's home is 404);
supervisors, social workers and admins edit residents and contacts; only admins register
homes. Every read of a home's card or events, and every change, is audited.
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from hub.api.access import ApiError, visible
from hub.api.models import (
    CallScheduleIn,
    ContactIn,
    ContactsIn,
    Deleted,
    DeviceIn,
    DeviceOut,
    EventOut,
    EventPage,
    HomeDetail,
    HomeIn,
    HomeList,
    HomeSummary,
    PresenceOut,
    ResidentIn,
    ResidentOut,
    RulesIn,
)
from hub.api.params import DevicePath, EventsQuery, HomePath, HomesQuery, ResidentPath
from hub.api.routing import Allowed, Call, RouteTable
from hub.api.rows import out
from hub.auth.users import Role, User
from hub.storage import audit, calls, homes, registry

ROUTES = RouteTable()
EDITORS = Allowed(frozenset({Role.SUPERVISOR, Role.SOCIAL_WORKER, Role.ADMIN}), "edit the registry")
ADMINS = Allowed(frozenset({Role.ADMIN}), "register homes")
DEFAULT_RANGE = timedelta(days=1)

Conn = psycopg.AsyncConnection[Any]


async def _visible_home(conn: Conn, user: User, home_id: str) -> str:
    return visible(user, await registry.home_district(conn, home_id), "home")


@ROUTES.get("/api/v1/homes", "Homes of the caller's districts")
async def list_homes(call: Call, query: HomesQuery) -> HomeList:
    """The homes of the caller's districts, by id."""
    user = call.user
    districts = None if user.role is Role.ADMIN else list(user.districts)
    async with call.pool.connection() as conn, conn.transaction():
        found = await registry.list_homes(conn, districts, query.limit)
        await audit.record(
            conn, user.username, "homes.list", "homes", {"home_ids": [h.home_id for h in found]}
        )
    return HomeList(items=[out(HomeSummary, home) for home in found])


@ROUTES.post("/api/v1/homes", "Register a home (admin)", errors=[409], allowed=ADMINS)
async def register_home(call: Call, body: HomeIn) -> HomeSummary:
    """A new home in a district, with no residents yet."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        added = await homes.register(conn, [body.home_id], body.district)
        if not added:
            raise ApiError(409, f"home {body.home_id!r} is already registered")
        await audit.record(conn, user.username, "home.register", f"home:{body.home_id}")
    return out(HomeSummary, body, online=None, last_seen=None, residents=[])


async def _card(conn: Conn, home_id: str, district: str) -> HomeDetail:
    seen = await registry.presence(conn, home_id)
    return HomeDetail(
        home_id=home_id,
        district=district,
        residents=[out(ResidentOut, r) for r in await registry.residents(conn, home_id)],
        contacts=[out(ContactIn, c) for c in await registry.contacts(conn, home_id)],
        devices=[out(DeviceOut, d) for d in await registry.devices(conn, home_id)],
        presence=None if seen is None else out(PresenceOut, seen),
        rules=out(RulesIn, await registry.rules(conn, home_id)),
        call_schedules=[
            out(
                CallScheduleIn,
                row.schedule,
                resident_id=row.resident_id,
                weekdays=sorted(row.schedule.weekdays),
            )
            for row in await calls.schedules_of(conn, home_id)
        ],
    )


@ROUTES.get(
    "/api/v1/homes/{home_id}",
    "A home's card: residents, contacts, devices, presence",
    errors=[404],
)
async def get_home(call: Call, path: HomePath) -> HomeDetail:
    """Everything an operator needs to know about a home and the people in it."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        district = await _visible_home(conn, user, path.home_id)
        card = await _card(conn, path.home_id, district)
        await audit.record(conn, user.username, "home.read", f"home:{path.home_id}")
    return card


async def _save_resident(
    call: Call, path: HomePath, body: ResidentIn, resident_id: uuid.UUID | None
) -> ResidentOut:
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        await _visible_home(conn, user, path.home_id)
        try:
            saved = await registry.save_resident(
                conn, path.home_id, resident_id, **body.model_dump()
            )
        except LookupError as err:
            raise ApiError(404, "no such resident in this home") from err
        await audit.record(
            conn,
            user.username,
            "resident.save",
            f"home:{path.home_id}",
            {"resident_id": str(saved)},
        )
    return out(ResidentOut, body, resident_id=saved)


@ROUTES.post("/api/v1/homes/{home_id}/residents", "Add a resident", errors=[404], allowed=EDITORS)
async def add_resident(call: Call, path: HomePath, body: ResidentIn) -> ResidentOut:
    """A new resident of the home."""
    return await _save_resident(call, path, body, None)


@ROUTES.put(
    "/api/v1/homes/{home_id}/residents/{resident_id}",
    "Replace a resident",
    errors=[404],
    allowed=EDITORS,
)
async def replace_resident(call: Call, path: ResidentPath, body: ResidentIn) -> ResidentOut:
    """A resident's details, replaced whole."""
    return await _save_resident(call, path, body, path.resident_id)


Delete = Callable[[Conn, str, str], Awaitable[bool]]


async def _delete(call: Call, home_id: str, what: str, key: str, delete: Delete) -> Deleted:
    """Remove a resident who moved out or a device taken away; 404 when there is none."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        await _visible_home(conn, user, home_id)
        if not await delete(conn, home_id, key):
            raise ApiError(404, f"no such {what}")
        await audit.record(conn, user.username, f"{what}.delete", f"home:{home_id}", {what: key})
    return Deleted(deleted=key)


@ROUTES.delete(
    "/api/v1/homes/{home_id}/residents/{resident_id}",
    "Remove a resident (moved out); their planned calls go with them",
    errors=[404],
    allowed=EDITORS,
)
async def delete_resident(call: Call, path: ResidentPath) -> Deleted:
    """The resident leaves the register; their queued calls are closed as skipped."""
    key = str(path.resident_id)
    return await _delete(call, path.home_id, "resident", key, registry.delete_resident)


@ROUTES.delete(
    "/api/v1/homes/{home_id}/devices/{device_id}",
    "Forget a device taken out of the home (no longer supervised)",
    errors=[404],
    allowed=EDITORS,
)
async def delete_device(call: Call, path: DevicePath) -> Deleted:
    """The device is no longer supervised (its unit's heartbeat brings it back if listed)."""
    return await _delete(call, path.home_id, "device", path.device_id, registry.delete_device)


@ROUTES.put(
    "/api/v1/homes/{home_id}/devices/{device_id}",
    "Say which room a device is in",
    errors=[404],
    allowed=EDITORS,
)
async def put_device(call: Call, path: DevicePath, body: DeviceIn) -> DeviceOut:
    """The device's room, so that the home's activity reads as daily living."""
    user = call.user
    room = None if body.room is None else body.room.value
    async with call.pool.connection() as conn, conn.transaction():
        await _visible_home(conn, user, path.home_id)
        device = await registry.set_device_room(conn, path.home_id, path.device_id, room)
        await audit.record(
            conn,
            user.username,
            "device.room",
            f"home:{path.home_id}",
            {"device": path.device_id, "room": room},
        )
    return out(DeviceOut, device)


@ROUTES.put(
    "/api/v1/homes/{home_id}/contacts",
    "Replace the contacts, in calling order",
    errors=[404],
    allowed=EDITORS,
)
async def replace_contacts(call: Call, path: HomePath, body: ContactsIn) -> ContactsIn:
    """The home's contacts, replaced whole, in the order they are to be called."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        await _visible_home(conn, user, path.home_id)
        await registry.replace_contacts(
            conn,
            path.home_id,
            [(c.name, c.relation, c.phone, c.responder, c.has_key, c.notes) for c in body.contacts],
        )
        await audit.record(
            conn,
            user.username,
            "contacts.replace",
            f"home:{path.home_id}",
            {"count": len(body.contacts)},
        )
    return body


@ROUTES.put(
    "/api/v1/homes/{home_id}/rules",
    "Set the home's rules (time zone, daily check-in deadline, wellbeing rules)",
    errors=[404],
    allowed=EDITORS,
)
async def replace_rules(call: Call, path: HomePath, body: RulesIn) -> RulesIn:
    """The home's time zone, check-in deadline and wellbeing rules, replaced whole."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        await _visible_home(conn, user, path.home_id)
        await registry.save_rules(
            conn, path.home_id, body.time_zone, body.check_in_before, body.wellbeing
        )
        await audit.record(
            conn,
            user.username,
            "rules.replace",
            f"home:{path.home_id}",
            body.model_dump(mode="json"),
        )
    return body


@ROUTES.get("/api/v1/homes/{home_id}/events", "A home's events in a time range", errors=[404])
async def home_events(call: Call, path: HomePath, query: EventsQuery) -> EventPage:
    """The home's events from ``from`` to ``to`` (the last day when not given)."""
    user = call.user
    now = datetime.now(UTC)
    start = query.start or now - DEFAULT_RANGE
    end = query.end or now
    async with call.pool.connection() as conn, conn.transaction():
        await _visible_home(conn, user, path.home_id)
        found = await registry.home_events(
            conn,
            path.home_id,
            start=start,
            end=end,
            limit=query.limit,
            newest_first=query.order == "newest",
        )
        await audit.record(
            conn,
            user.username,
            "home.events",
            f"home:{path.home_id}",
            {"from": start.isoformat(), "to": end.isoformat()},
        )
    return EventPage(items=[out(EventOut, e) for e in found])
