"""The registry through the API: homes, their residents and contacts, devices, presence, events.

Everyone signed in reads the homes of their districts (another district's home is 404);
supervisors, social workers and admins edit residents and contacts; only admins register
homes. Every read of a home's card or events, and every change, is audited.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.api.access import (
    ApiError,
    authenticate,
    json_response,
    parse_instant,
    parse_limit,
    pool_of,
    read_body,
)
from hub.api.models import (
    CallScheduleIn,
    ContactIn,
    ContactsIn,
    Deleted,
    DeviceOut,
    EventOut,
    EventPage,
    FieldProblem,
    HomeDetail,
    HomeIn,
    HomeList,
    HomeSummary,
    PresenceOut,
    ResidentIn,
    ResidentOut,
    RulesIn,
)
from hub.auth.users import Role
from hub.storage import audit, calls, homes, registry

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import psycopg
    from aiohttp import web

    from hub.auth.users import User

EDITORS = frozenset({Role.SUPERVISOR, Role.SOCIAL_WORKER, Role.ADMIN})
DEFAULT_RANGE = timedelta(days=1)


def add_registry_routes(app: web.Application) -> None:
    """Serve the registry under ``/api/v1/homes``."""
    app.router.add_get("/api/v1/homes", _list_homes)
    app.router.add_post("/api/v1/homes", _register_home)
    app.router.add_get("/api/v1/homes/{home_id}", _home)
    app.router.add_post("/api/v1/homes/{home_id}/residents", _add_resident)
    app.router.add_put("/api/v1/homes/{home_id}/residents/{resident_id}", _replace_resident)
    app.router.add_delete("/api/v1/homes/{home_id}/residents/{resident_id}", _delete_resident)
    app.router.add_delete("/api/v1/homes/{home_id}/devices/{device_id}", _delete_device)
    app.router.add_put("/api/v1/homes/{home_id}/contacts", _replace_contacts)
    app.router.add_get("/api/v1/homes/{home_id}/events", _events)
    app.router.add_put("/api/v1/homes/{home_id}/rules", _replace_rules)


async def _visible_home(conn: psycopg.AsyncConnection[Any], user: User, home_id: str) -> str:
    district = await registry.home_district(conn, home_id)
    if district is None or not user.serves(district):
        raise ApiError(404, "no such home")
    return district


def _editor(user: User) -> None:
    if user.role not in EDITORS:
        raise ApiError(403, f"a {user.role.value} does not edit the registry")


async def _list_homes(request: web.Request) -> web.Response:
    user = await authenticate(request)
    try:
        limit = parse_limit(request.query.get("limit", "200"))
    except ValueError as err:
        raise ApiError(422, "bad query", [FieldProblem(field="limit", message=str(err))]) from err
    districts = None if user.role is Role.ADMIN else list(user.districts)
    async with pool_of(request).connection() as conn, conn.transaction():
        found = await registry.list_homes(conn, districts, limit)
        await audit.record(
            conn, user.username, "homes.list", "homes", {"home_ids": [h[0] for h in found]}
        )
    items = [
        HomeSummary(home_id=h, district=d, online=o, last_seen=seen, residents=list(names))
        for h, d, o, seen, names in found
    ]
    return json_response(HomeList(items=items))


async def _register_home(request: web.Request) -> web.Response:
    user = await authenticate(request)
    if user.role is not Role.ADMIN:
        raise ApiError(403, "only an admin registers homes")
    body = await read_body(request, HomeIn)
    async with pool_of(request).connection() as conn, conn.transaction():
        added = await homes.register(conn, [body.home_id], body.district)
        if not added:
            raise ApiError(409, f"home {body.home_id!r} is already registered")
        await audit.record(conn, user.username, "home.register", f"home:{body.home_id}")
    return json_response(
        HomeSummary(
            home_id=body.home_id, district=body.district, online=None, last_seen=None, residents=[]
        )
    )


async def _card(conn: psycopg.AsyncConnection[Any], home_id: str, district: str) -> HomeDetail:
    residents = [
        ResidentOut(
            resident_id=r[0],
            full_name=r[1],
            address=r[2],
            date_of_birth=r[3],
            language=r[4],
            medical_notes=r[5],
            care_notes=r[6],
            key_safe=r[7],
        )
        for r in await registry.residents(conn, home_id)
    ]
    contacts = [
        ContactIn(name=c[1], relation=c[2], phone=c[3], responder=c[4], has_key=c[5], notes=c[6])
        for c in await registry.contacts(conn, home_id)
    ]
    devices = [
        DeviceOut(device_id=d[0], battery_percent=d[1], signal_dbm=d[2], last_seen=d[3])
        for d in await registry.devices(conn, home_id)
    ]
    seen = await registry.presence(conn, home_id)
    presence = (
        None
        if seen is None
        else PresenceOut(
            online=seen[0],
            status_reason=seen[1],
            last_seen=seen[2],
            power=seen[3],
            outbox_depth=seen[4],
        )
    )
    zone, before, wellbeing = await registry.rules(conn, home_id)
    return HomeDetail(
        home_id=home_id,
        district=district,
        residents=residents,
        contacts=contacts,
        devices=devices,
        presence=presence,
        rules=RulesIn(time_zone=zone, check_in_before=before, wellbeing=wellbeing),
        call_schedules=[
            CallScheduleIn(
                resident_id=row.resident_id,
                weekdays=sorted(row.schedule.weekdays),
                at=row.schedule.at,
                retry_minutes=row.schedule.retry_minutes,
                attempts=row.schedule.attempts,
            )
            for row in await calls.schedules_of(conn, home_id)
        ],
    )


async def _home(request: web.Request) -> web.Response:
    user = await authenticate(request)
    home_id = request.match_info["home_id"]
    async with pool_of(request).connection() as conn, conn.transaction():
        district = await _visible_home(conn, user, home_id)
        card = await _card(conn, home_id, district)
        await audit.record(conn, user.username, "home.read", f"home:{home_id}")
    return json_response(card)


async def _save_resident(request: web.Request, resident_id: uuid.UUID | None) -> web.Response:
    user = await authenticate(request)
    _editor(user)
    home_id = request.match_info["home_id"]
    body = await read_body(request, ResidentIn)
    async with pool_of(request).connection() as conn, conn.transaction():
        await _visible_home(conn, user, home_id)
        try:
            saved = await registry.save_resident(conn, home_id, resident_id, **body.model_dump())
        except LookupError as err:
            raise ApiError(404, "no such resident in this home") from err
        await audit.record(
            conn, user.username, "resident.save", f"home:{home_id}", {"resident_id": str(saved)}
        )
    return json_response(ResidentOut(resident_id=saved, **body.model_dump()))


async def _add_resident(request: web.Request) -> web.Response:
    return await _save_resident(request, None)


async def _replace_resident(request: web.Request) -> web.Response:
    try:
        resident_id = uuid.UUID(request.match_info["resident_id"])
    except ValueError as err:
        problem = FieldProblem(field="resident_id", message="not a UUID")
        raise ApiError(422, "not a resident id", [problem]) from err
    return await _save_resident(request, resident_id)


async def _delete_resident(request: web.Request) -> web.Response:
    try:
        resident_id = uuid.UUID(request.match_info["resident_id"])
    except ValueError as err:
        raise ApiError(404, "no such resident") from err
    return await _delete(request, "resident", str(resident_id), registry.delete_resident)


async def _delete_device(request: web.Request) -> web.Response:
    return await _delete(request, "device", request.match_info["device_id"], registry.delete_device)


async def _delete(
    request: web.Request,
    what: str,
    key: str,
    delete: Callable[[psycopg.AsyncConnection[Any], str, str], Awaitable[bool]],
) -> web.Response:
    """Remove a resident who moved out or a device taken away; 404 when there is none."""
    user = await authenticate(request)
    _editor(user)
    home_id = request.match_info["home_id"]
    async with pool_of(request).connection() as conn, conn.transaction():
        await _visible_home(conn, user, home_id)
        if not await delete(conn, home_id, key):
            raise ApiError(404, f"no such {what}")
        await audit.record(conn, user.username, f"{what}.delete", f"home:{home_id}", {what: key})
    return json_response(Deleted(deleted=key))


async def _replace_contacts(request: web.Request) -> web.Response:
    user = await authenticate(request)
    _editor(user)
    home_id = request.match_info["home_id"]
    body = await read_body(request, ContactsIn)
    async with pool_of(request).connection() as conn, conn.transaction():
        await _visible_home(conn, user, home_id)
        await registry.replace_contacts(
            conn,
            home_id,
            [(c.name, c.relation, c.phone, c.responder, c.has_key, c.notes) for c in body.contacts],
        )
        await audit.record(
            conn,
            user.username,
            "contacts.replace",
            f"home:{home_id}",
            {"count": len(body.contacts)},
        )
    return json_response(body)


async def _replace_rules(request: web.Request) -> web.Response:
    user = await authenticate(request)
    _editor(user)
    home_id = request.match_info["home_id"]
    body = await read_body(request, RulesIn)
    async with pool_of(request).connection() as conn, conn.transaction():
        await _visible_home(conn, user, home_id)
        await registry.save_rules(
            conn, home_id, body.time_zone, body.check_in_before, body.wellbeing
        )
        await audit.record(
            conn, user.username, "rules.replace", f"home:{home_id}", body.model_dump(mode="json")
        )
    return json_response(body)


async def _events(request: web.Request) -> web.Response:
    user = await authenticate(request)
    home_id = request.match_info["home_id"]
    problems: list[FieldProblem] = []
    now = datetime.now(UTC)
    bounds: dict[str, datetime] = {}
    for name, default in (("from", now - DEFAULT_RANGE), ("to", now)):
        try:
            bounds[name] = parse_instant(request.query[name]) if name in request.query else default
        except ValueError as err:
            problems.append(FieldProblem(field=name, message=str(err)))
    try:
        limit = parse_limit(request.query.get("limit", "200"))
    except ValueError as err:
        problems.append(FieldProblem(field="limit", message=str(err)))
    order = request.query.get("order", "oldest")
    if order not in {"oldest", "newest"}:
        problems.append(FieldProblem(field="order", message="oldest or newest"))
    if problems:
        raise ApiError(422, "bad query", problems)
    async with pool_of(request).connection() as conn, conn.transaction():
        await _visible_home(conn, user, home_id)
        found = await registry.home_events(
            conn,
            home_id,
            start=bounds["from"],
            end=bounds["to"],
            limit=limit,
            newest_first=order == "newest",
        )
        await audit.record(
            conn,
            user.username,
            "home.events",
            f"home:{home_id}",
            {"from": bounds["from"].isoformat(), "to": bounds["to"].isoformat()},
        )
    items = [
        EventOut(
            event_id=e[0], ts=e[1], device_id=e[2], kind=e[3], seq=e[4], location=e[5], value=e[6]
        )
        for e in found
    ]
    return json_response(EventPage(items=items))
