"""The operators' REST API on a running hub: sign-in, districts, actions, audit, errors."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import psycopg
import pytest
from aiohttp import web
from consoles import PASSWORD, Console
from fix_hub import hub_settings_for, wait_ready
from queries import rows

from hub.alarms.rules import trigger_for
from hub.app import create_app
from hub.auth.users import Role, add_user, create_token
from hub.storage import alarm_changes, homes, migrate
from protocol import Event, EventKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from fix_hub import RunningHub

    from telecare.services import Broker

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only


@pytest.fixture
async def centre(hub: RunningHub, database_url: str) -> dict[str, Any]:
    """Two districts, a home and an open panic alarm in each, and users of each role."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["casa-nord"], "ats-nord")
        await homes.register(conn, ["casa-sud"], "ats-sud")
        for name, role, districts in [
            ("anna", Role.OPERATOR, ["ats-nord"]),
            ("bruno", Role.OPERATOR, ["ats-nord"]),
            ("carla", Role.SOCIAL_WORKER, ["ats-sud"]),
            ("dario", Role.SOCIAL_WORKER, ["ats-nord"]),
        ]:
            await add_user(conn, name, PASSWORD, role, districts)
        raised = {}
        for home_id in ("casa-nord", "casa-sud"):
            event = _panic(home_id)
            trigger = trigger_for(event)
            assert trigger is not None
            (joined,) = await alarm_changes.apply_triggers(
                conn, [(event, trigger)], datetime.now(UTC)
            )
            raised[home_id] = joined.alarm_id
        token = await create_token(conn, "bruno", "test integration")
    return {"url": hub.url, "alarms": raised, "token": token}


def _panic(home_id: str) -> Event:
    from pydantic import TypeAdapter  # noqa: PLC0415 - only this helper needs it

    return TypeAdapter[Event](Event).validate_python(
        {
            "event_id": uuid.uuid4(),
            "home_id": home_id,
            "device_id": "pendant",
            "ts": datetime.now(UTC),
            "seq": 1,
            "kind": EventKind.PANIC_BUTTON,
            "value": {"active": True},
        }
    )


@pytest.fixture
async def consoles(centre: dict[str, Any]) -> AsyncIterator[list[Console]]:
    """Three consoles on the centre's hub, closed afterwards."""
    made = [Console(centre["url"]) for _ in range(3)]
    yield made
    for console in made:
        await console.close()


@pytest.mark.usefixtures("centre")
async def test_nothing_is_shown_without_signing_in_and_bad_passwords_are_throttled(
    consoles: list[Console],
) -> None:
    """401 before sign-in; wrong passwords 401, then 429 after five."""
    console = consoles[0]
    assert (await console.get("/api/v1/alarms"))[0] == 401
    for _ in range(5):
        assert await console.login("anna", "wrong password!") == 401
    assert await console.login("anna") == 429
    assert await consoles[1].login("bruno") == 200
    status, body = await consoles[1].post("/api/v1/auth/login", {"username": ""})
    assert status == 422
    assert {f["field"] for f in body["fields"]} == {"username", "password"}


async def test_an_operator_claims_starts_notes_and_resolves_and_each_step_is_recorded(
    centre: dict[str, Any], consoles: list[Console], database_url: str
) -> None:
    """The whole life of an alarm through the API, with its timeline and audit rows."""
    anna, bruno, _ = consoles
    assert await anna.login("anna") == 200
    assert await bruno.login("bruno") == 200
    alarm_id = centre["alarms"]["casa-nord"]
    status, page = await anna.get("/api/v1/alarms")
    assert status == 200
    assert [a["alarm_id"] for a in page["items"]] == [str(alarm_id)]
    base = f"/api/v1/alarms/{alarm_id}"
    assert (await anna.post(f"{base}/claim", {}, csrf=False))[0] == 403
    status, claimed = await anna.post(f"{base}/claim", {})
    assert (status, claimed["state"], claimed["claimed_by"]) == (200, "claimed", "anna")
    status, refused = await bruno.post(f"{base}/claim", {})
    assert status == 409
    assert "claimed" in refused["error"]
    status, refused = await bruno.post(f"{base}/resolve", {"outcome": "false_alarm"})
    assert (status, refused["error"]) == (409, "the alarm is handled by anna")
    assert (refused["code"], refused["params"]) == ("alarm.held_by", {"user": "anna"})
    assert (await anna.post(f"{base}/start", {}))[0] == 200
    assert (await anna.post(f"{base}/notes", {"text": "spoke with her, son on his way"}))[0] == 200
    called = {"name": "Luca Rossi", "phone": "+39 333 1234567", "result": "on_the_way"}
    assert (await anna.post(f"{base}/responders", called))[0] == 200
    status, bad = await anna.post(f"{base}/resolve", {"outcome": "sorted"})
    assert status == 422
    assert [f["field"] for f in bad["fields"]] == ["outcome"]
    status, resolved = await anna.post(f"{base}/resolve", {"outcome": "relative_contacted"})
    assert (status, resolved["state"], resolved["outcome"]) == (
        200,
        "resolved",
        "relative_contacted",
    )
    status, again = await bruno.post(f"{base}/claim", {})
    assert (status, again["error"]) == (409, "the alarm is already resolved")
    assert (again["code"], again["params"]["state"]) == ("alarm.closed", "resolved")
    status, detail = await anna.get(base)
    assert [(s["actor"], s["action"]) for s in detail["timeline"]] == [
        ("system", "raised"),
        ("anna", "claimed"),
        ("anna", "in_progress"),
        ("anna", "note"),
        ("anna", "responder"),
        ("anna", "resolved"),
    ]
    audit = await rows(
        database_url,
        "SELECT actor, action FROM audit_log WHERE subject = %s ORDER BY id",
        f"alarm:{alarm_id}",
    )
    assert audit == [
        ("anna", "alarm.claim"),
        ("anna", "alarm.start"),
        ("anna", "alarm.note"),
        ("anna", "alarm.responder"),
        ("anna", "alarm.resolve"),
        ("anna", "alarm.read"),
    ]


async def test_districts_keep_people_apart_and_social_workers_only_read(
    centre: dict[str, Any], consoles: list[Console]
) -> None:
    """Another district's alarm is 404 (not 403); a social worker reads but does not act."""
    carla, dario, _ = consoles
    assert await carla.login("carla") == 200
    assert await dario.login("dario") == 200
    nord = centre["alarms"]["casa-nord"]
    assert (await carla.get(f"/api/v1/alarms/{nord}"))[0] == 404
    status, page = await carla.get("/api/v1/alarms")
    assert [a["home_id"] for a in page["items"]] == ["casa-sud"]
    assert (await dario.get(f"/api/v1/alarms/{nord}"))[0] == 200
    status, body = await dario.post(f"/api/v1/alarms/{nord}/claim", {})
    assert (status, body["error"]) == (403, "a social_worker does not act on alarms")
    assert (await carla.get(f"/api/v1/alarms/{uuid.uuid4()}"))[0] == 404
    status, body = await carla.get("/api/v1/alarms/not-a-uuid")
    assert (status, body["fields"][0]["field"]) == (422, "alarm_id")
    status, body = await carla.get("/api/v1/alarms?limit=0&before=yesterday")
    assert status == 422
    assert {f["field"] for f in body["fields"]} == {"limit", "before"}


async def test_an_api_token_acts_without_a_session_or_csrf(centre: dict[str, Any]) -> None:
    """An integration's bearer token acts as its user; a wrong token is 401."""
    nord = centre["alarms"]["casa-nord"]
    async with aiohttp.ClientSession() as http:
        good = {"Authorization": f"Bearer {centre['token']}"}
        async with http.post(f"{centre['url']}/api/v1/alarms/{nord}/claim", headers=good) as r:
            assert r.status == 200
            assert (await r.json())["claimed_by"] == "bruno"
        bad = {"Authorization": "Bearer tc_nothing"}
        async with http.get(f"{centre['url']}/api/v1/alarms", headers=bad) as r:
            assert r.status == 401


async def test_the_openapi_document_describes_every_route_with_resolvable_schemas(
    centre: dict[str, Any],
) -> None:
    """OpenAPI 3.1 with a path per route; every $ref names a schema in components."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{centre['url']}/api/v1/openapi.json") as r,
    ):
        document = await r.json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/alarms/{alarm_id}/resolve" in document["paths"]
    schemas = document["components"]["schemas"]
    refs: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    assert refs
    assert all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs)
    assert "outcome" in schemas["ResolveRequest"]["properties"]


async def test_the_stream_brings_changes_made_through_another_replica_to_each_district(
    centre: dict[str, Any],
    start_hub: Callable[..., Awaitable[RunningHub]],
    database_url: str,
) -> None:
    """A claim through one hub reaches a console on another; districts see only their own."""
    other = await start_hub()
    anna_here, anna_there, carla = (Console(centre["url"]), Console(other.url), Console(other.url))
    try:
        for console, name in ((anna_here, "anna"), (anna_there, "anna"), (carla, "carla")):
            assert await console.login(name) == 200
        async with aiohttp.ClientSession() as anonymous:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await anonymous.ws_connect(f"{other.url}/api/v1/stream")
            assert refused.value.status == 401
        async with (
            anna_there.http.ws_connect(f"{other.url}/api/v1/stream") as nord_feed,
            carla.http.ws_connect(f"{other.url}/api/v1/stream") as sud_feed,
        ):
            nord = centre["alarms"]["casa-nord"]
            assert (await anna_here.post(f"/api/v1/alarms/{nord}/claim", {}))[0] == 200
            async with asyncio.timeout(20):
                change = await nord_feed.receive_json()
            assert change["type"] == "alarm"
            assert (change["alarm"]["alarm_id"], change["alarm"]["state"]) == (str(nord), "claimed")
            sud = centre["alarms"]["casa-sud"]
            async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
                await alarm_changes.claim(conn, sud, "someone", datetime.now(UTC))
            async with asyncio.timeout(20):
                first_for_sud = await sud_feed.receive_json()
            assert first_for_sud["alarm"]["alarm_id"] == str(sud)
    finally:
        for console in (anna_here, anna_there, carla):
            await console.close()


async def test_a_stopping_hub_closes_the_consoles_streams_as_going_away(
    mqtt_broker: Broker, database_url: str
) -> None:
    """At the stop an open stream is closed as going away (1001), not held until cut."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await add_user(conn, "anna", PASSWORD, Role.OPERATOR, ["ats-nord"])
    settings = hub_settings_for(mqtt_broker, database_url)
    # The default shutdown timeout (a minute): a socket left open would hold the stop that long.
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    stopping: asyncio.Task[None] | None = None
    console = Console(f"http://127.0.0.1:{settings.http_port}")
    try:
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        await wait_ready(console.base)
        assert await console.login("anna") == 200
        async with console.http.ws_connect(f"{console.base}/api/v1/stream") as feed:
            stopping = asyncio.create_task(runner.cleanup())
            async with asyncio.timeout(30):
                closing = await feed.receive()
            assert closing.type is aiohttp.WSMsgType.CLOSE
            assert closing.data == aiohttp.WSCloseCode.GOING_AWAY
        await stopping
    finally:
        await console.close()
        if stopping is None:
            await runner.cleanup()


@pytest.mark.usefixtures("centre")
async def test_the_registry_keeps_each_persons_card_for_their_district_and_audits_reads(
    consoles: list[Console], database_url: str
) -> None:
    """A social worker fills a card and its contacts; the district's operator reads it.

    Another district's worker gets 404, bad fields are named, and every read is audited.
    """
    dario, anna, carla = consoles
    assert await dario.login("dario") == 200
    assert await anna.login("anna") == 200
    assert await carla.login("carla") == 200
    resident = {
        "full_name": "Maria Rossi",
        "address": "Via Roma 1, Ancona",
        "date_of_birth": "1938-05-02",
        "language": "it",
        "medical_notes": "diabetes; insulin at 8:00",
        "key_safe": "by the front door, code 4321",
    }
    status, saved = await dario.post("/api/v1/homes/casa-nord/residents", resident)
    assert status == 200
    contacts = {
        "contacts": [
            {"name": "Luca Rossi", "relation": "son", "phone": "+39 333 1234567", "has_key": True},
            {"name": "Croce Verde", "phone": "071 123456", "responder": True},
        ]
    }
    async with dario.http.put(
        f"{dario.base}/api/v1/homes/casa-nord/contacts",
        json=contacts,
        headers={"X-CSRF-Token": dario.csrf},
    ) as r:
        assert r.status == 200
    async with dario.http.put(
        f"{dario.base}/api/v1/homes/casa-nord/contacts",
        json={"contacts": [{"name": "x", "phone": "call me"}]},
        headers={"X-CSRF-Token": dario.csrf},
    ) as r:
        assert r.status == 422
        assert [f["field"] for f in (await r.json())["fields"]] == ["contacts.0.phone"]
    status, card = await anna.get("/api/v1/homes/casa-nord")
    assert status == 200
    assert card["residents"][0]["resident_id"] == saved["resident_id"]
    assert card["residents"][0]["key_safe"] == "by the front door, code 4321"
    assert [c["name"] for c in card["contacts"]] == ["Luca Rossi", "Croce Verde"]
    assert (await carla.get("/api/v1/homes/casa-nord"))[0] == 404
    status, page = await carla.get("/api/v1/homes")
    assert [h["home_id"] for h in page["items"]] == ["casa-sud"]
    status, _ = await anna.post("/api/v1/homes/casa-nord/residents", resident)
    assert status == 403
    status, events = await anna.get("/api/v1/homes/casa-nord/events?from=2020-01-01T00:00:00Z")
    assert (status, events["items"]) == (200, [])
    status, bad = await anna.get(
        "/api/v1/homes/casa-nord/events?from=monday&limit=9999&order=sideways"
    )
    assert status == 422
    assert {f["field"] for f in bad["fields"]} == {"from", "limit", "order"}
    reads = await rows(
        database_url,
        "SELECT actor, action FROM audit_log WHERE subject = 'home:casa-nord' ORDER BY id",
    )
    assert reads == [
        ("dario", "resident.save"),
        ("dario", "contacts.replace"),
        ("anna", "home.read"),
        ("anna", "home.events"),
    ]


@pytest.mark.usefixtures("centre")
async def test_a_home_gets_a_daily_check_in_deadline_in_its_time_zone(
    consoles: list[Console],
) -> None:
    """Rules set by a social worker of the district show on the card; bad ones are named.

    A wellbeing rule left out keeps its defaults.
    """
    dario, anna, _ = consoles
    assert await dario.login("dario") == 200
    assert await anna.login("anna") == 200
    url = f"{dario.base}/api/v1/homes/casa-nord/rules"
    headers = {"X-CSRF-Token": dario.csrf}
    async with dario.http.put(url, json={"time_zone": "Mars/Olympus"}, headers=headers) as r:
        assert r.status == 422
        assert [f["field"] for f in (await r.json())["fields"]] == ["time_zone"]
    bad = {"wellbeing": {"out_of_bed": {"minutes": 1}}}
    async with dario.http.put(url, json=bad, headers=headers) as r:
        assert r.status == 422
        assert [f["field"] for f in (await r.json())["fields"]] == ["wellbeing.out_of_bed.minutes"]
    rules = {
        "time_zone": "Europe/Rome",
        "check_in_before": "10:30:00",
        "wellbeing": {"out_of_bed": {"enabled": True, "minutes": 30}},
    }
    async with dario.http.put(url, json=rules, headers=headers) as r:
        assert r.status == 200
    status, card = await anna.get("/api/v1/homes/casa-nord")
    assert status == 200
    assert card["rules"]["check_in_before"] == "10:30:00"
    assert card["rules"]["wellbeing"]["out_of_bed"] == {"enabled": True, "minutes": 30}
    assert card["rules"]["wellbeing"]["night"] == {"starts": "22:00:00", "ends": "06:00:00"}
