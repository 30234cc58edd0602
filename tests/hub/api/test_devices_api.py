"""A home's devices through the API: which room each is in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    """A home in each of two districts, an operator and a social worker of the first."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["casa-nord"], "ats-nord")
        await homes.register(conn, ["casa-sud"], "ats-sud")
        await conn.execute(
            "INSERT INTO devices (home_id, device_id, battery_percent) VALUES"
            " ('casa-nord', 'pir-1', 80)"
        )
        await add_user(conn, "anna", PASSWORD, Role.OPERATOR, ["ats-nord"])
        await add_user(conn, "dario", PASSWORD, Role.SOCIAL_WORKER, ["ats-nord"])
    made = {name: Console(hub.url) for name in ("anna", "dario")}
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


async def test_a_social_worker_says_which_room_each_device_is_in(
    consoles: dict[str, Console], database_url: str
) -> None:
    """The room is kept with the heartbeat's figures, a new device is listed, and it is audited."""
    dario = consoles["dario"]
    status, body = await put(dario, "/api/v1/homes/casa-nord/devices/pir-1", {"room": "kitchen"})
    assert (status, body["room"], body["battery_percent"]) == (200, "kitchen", 80)
    status, body = await put(dario, "/api/v1/homes/casa-nord/devices/bed-1", {"room": "bedroom"})
    assert (status, body["room"], body["last_seen"]) == (200, "bedroom", None)
    card = (await dario.get("/api/v1/homes/casa-nord"))[1]
    assert {d["device_id"]: d["room"] for d in card["devices"]} == {
        "bed-1": "bedroom",
        "pir-1": "kitchen",
    }
    assert (await put(dario, "/api/v1/homes/casa-nord/devices/pir-1", {"room": None}))[0] == 200
    audited = await rows(
        database_url, "SELECT detail FROM audit_log WHERE action = 'device.room' ORDER BY id"
    )
    assert [d[0]["room"] for d in audited] == ["kitchen", "bedroom", None]


async def test_a_room_outside_the_list_another_district_and_an_operator_are_refused(
    consoles: dict[str, Console],
) -> None:
    """An unknown room is a 422 naming it; another district's home a 404; operators a 403."""
    dario, anna = consoles["dario"], consoles["anna"]
    status, body = await put(dario, "/api/v1/homes/casa-nord/devices/pir-1", {"room": "attic"})
    assert (status, [f["field"] for f in body["fields"]]) == (422, ["room"])
    assert (await put(dario, "/api/v1/homes/casa-sud/devices/pir-1", {"room": "other"}))[0] == 404
    assert (await put(anna, "/api/v1/homes/casa-nord/devices/pir-1", {"room": "other"}))[0] == 403
