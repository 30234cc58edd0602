"""Well-being calls through the API of a running hub: the plan, the task, the attempts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from consoles import PASSWORD, Console
from queries import rows

from hub.auth.users import Role, add_user
from hub.storage import homes, migrate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only


@pytest.fixture
async def consoles(hub: RunningHub, database_url: str) -> AsyncIterator[dict[str, Console]]:
    """A home in each of two districts, and a signed-in console for each user."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["casa-nord"], "ats-nord")
        await homes.register(conn, ["casa-sud"], "ats-sud")
        for name, role, district in [
            ("anna", Role.OPERATOR, "ats-nord"),
            ("bruno", Role.OPERATOR, "ats-nord"),
            ("dario", Role.SOCIAL_WORKER, "ats-nord"),
            ("carla", Role.SOCIAL_WORKER, "ats-sud"),
        ]:
            await add_user(conn, name, PASSWORD, role, [district])
    made = {name: Console(hub.url) for name in ("anna", "bruno", "dario", "carla")}
    for name, console in made.items():
        assert await console.login(name) == 200
    yield made
    for console in made.values():
        await console.close()


async def put(console: Console, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """PUT with the console's CSRF token."""
    headers = {"X-CSRF-Token": console.csrf}
    async with console.http.put(f"{console.base}{path}", json=body, headers=headers) as r:
        return r.status, await r.json()


async def delete(console: Console, path: str) -> tuple[int, Any]:
    """DELETE with the console's CSRF token."""
    headers = {"X-CSRF-Token": console.csrf}
    async with console.http.delete(f"{console.base}{path}", headers=headers) as r:
        return r.status, await r.json()


async def test_a_planned_call_reaches_the_queue_and_its_attempts_are_recorded(
    consoles: dict[str, Console], database_url: str
) -> None:
    """A social worker plans a call; at its time the hub queues it and tells the consoles.

    One operator claims it, the other cannot act on it, no answer brings it back later, and
    everything is on the card and in the audit log. The plan goes with the resident.
    """
    anna, bruno, dario, carla = (consoles[n] for n in ("anna", "bruno", "dario", "carla"))
    status, maria = await dario.post(
        "/api/v1/homes/casa-nord/residents", {"full_name": "Maria Rossi", "address": "Via Roma 1"}
    )
    assert status == 200
    # A minute ago in Rome, so that the hub's timer finds the call due at once.
    moment = datetime.now(ZoneInfo("Europe/Rome")) - timedelta(minutes=1)
    plan = {
        "schedules": [
            {
                "resident_id": maria["resident_id"],
                "weekdays": [moment.isoweekday()],
                "at": moment.strftime("%H:%M"),
                "attempts": 2,
            }
        ]
    }
    assert (await put(anna, "/api/v1/homes/casa-nord/call_schedule", plan))[0] == 403
    assert (await put(carla, "/api/v1/homes/casa-nord/call_schedule", plan))[0] == 404
    bad = {"schedules": [{**plan["schedules"][0], "weekdays": [8]}]}
    status, problem = await put(dario, "/api/v1/homes/casa-nord/call_schedule", bad)
    assert (status, [f["field"] for f in problem["fields"]]) == (422, ["schedules.0.weekdays.0"])
    assert (await put(dario, "/api/v1/homes/casa-nord/call_schedule", plan))[0] == 200
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        # As if planned yesterday: a new plan does not make calls already past.
        await conn.execute("UPDATE call_schedules SET created_at = now() - interval '1 day'")
    async with anna.http.ws_connect(f"{anna.base}/api/v1/stream") as feed:
        async with asyncio.timeout(60):
            change = await feed.receive_json()
        assert (change["type"], change["call"]["state"]) == ("call", "open")
    task_id = change["call"]["task_id"]
    status, queue = await anna.get("/api/v1/calls")
    assert status == 200
    (task,) = queue["items"]
    assert (task["task_id"], task["due"], task["resident_name"]) == (task_id, True, "Maria Rossi")
    assert (await carla.get("/api/v1/calls"))[1]["items"] == []
    assert (await dario.post(f"/api/v1/calls/{task_id}/claim", {}))[0] == 403
    assert (await anna.post(f"/api/v1/calls/{task_id}/claim", {}))[0] == 200
    status, refused = await bruno.post(f"/api/v1/calls/{task_id}/claim", {})
    assert (status, refused["error"]) == (409, "the call is handled by anna")
    assert (refused["code"], refused["params"]) == ("call.held_by", {"user": "anna"})
    outcome = f"/api/v1/calls/{task_id}/outcome"
    assert (await bruno.post(outcome, {"outcome": "spoke"}))[0] == 409
    status, after = await anna.post(outcome, {"outcome": "no_answer", "notes": "rang 10 times"})
    assert status == 200
    assert (after["state"], after["due"], after["attempts"]) == ("open", False, 1)
    assert after["log"][0]["notes"] == "rang 10 times"
    status, refused = await anna.post(f"/api/v1/calls/{task_id}/claim", {})
    assert status == 409
    assert refused["error"].startswith("the call is not due until")
    status, card = await anna.get("/api/v1/homes/casa-nord")
    assert card["call_schedules"][0]["weekdays"] == [moment.isoweekday()]
    actions = await rows(
        database_url,
        "SELECT action FROM audit_log WHERE subject = %s ORDER BY at",
        f"call:{task_id}",
    )
    assert [a for (a,) in actions] == ["call.claim", "call.outcome"]
    resident = f"/api/v1/homes/casa-nord/residents/{maria['resident_id']}"
    assert (await delete(anna, resident))[0] == 403
    assert (await delete(dario, resident))[0] == 200
    assert (await delete(dario, resident))[0] == 404
    assert (await anna.get("/api/v1/homes/casa-nord"))[1]["call_schedules"] == []
    (closed,) = (await anna.get("/api/v1/calls?state=all"))[1]["items"]
    assert (closed["state"], closed["log"][-1]["by"]) == ("skipped", "system")


async def test_a_device_taken_away_is_forgotten(
    consoles: dict[str, Console], database_url: str
) -> None:
    """A social worker deletes a device the heartbeat once listed; another district cannot."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO devices (home_id, device_id, last_seen) VALUES ('casa-nord', 'pir-1', %s)",
            (datetime.now(UTC) - timedelta(days=3),),
        )
    dario, carla = consoles["dario"], consoles["carla"]
    assert (await delete(carla, "/api/v1/homes/casa-nord/devices/pir-1"))[0] == 404
    assert await delete(dario, "/api/v1/homes/casa-nord/devices/pir-1") == (
        200,
        {"deleted": "pir-1"},
    )
    assert (await dario.get("/api/v1/homes/casa-nord"))[1]["devices"] == []


async def test_bad_queries_and_bodies_of_the_call_routes_name_the_field(
    consoles: dict[str, Console],
) -> None:
    """A wrong state or limit, a too long search, an unknown outcome: 422 naming the field."""
    anna = consoles["anna"]
    for path, field in [
        ("/api/v1/calls?state=sometimes", "state"),
        ("/api/v1/calls?limit=0", "limit"),
        ("/api/v1/alarms?q=" + "x" * 65, "q"),
    ]:
        status, body = await anna.get(path)
        assert (status, [f["field"] for f in body["fields"]]) == (422, [field]), path
    no_task = "/api/v1/calls/00000000-0000-0000-0000-000000000000/outcome"
    status, body = await anna.post(no_task, {"outcome": "maybe"})
    assert (status, [f["field"] for f in body["fields"]]) == (422, ["outcome"])
    assert (await anna.post(no_task, {"outcome": "spoke"}))[0] == 404
