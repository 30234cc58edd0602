"""Fixtures of the console's browser tests: a hub with homes, residents and staff; console pages.

Everything is real: the hub in this test's event loop on the session's Mosquitto and a fresh
PostgreSQL database, panic presses published as a home unit publishes them, and Chromium
loading the console from the hub.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import psycopg
import pytest
from browsing import DISTRICT, Centre, Opened
from consoles import PASSWORD, Console
from homes import Fleet
from queries import eventually

from gateway.audio import tone_microphone
from gateway.config import GatewaySettings
from gateway.outbox import Outbox
from gateway.unit import HomeUnit
from hub.auth.users import Role, add_user
from hub.storage import homes, migrate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from fix_hub import RunningHub
    from playwright.async_api import Browser, Request, WebSocket

    from runtime.mqtt import MqttOptions
    from telecare.services import Broker

STAFF = [
    ("anna", Role.OPERATOR),
    ("bruno", Role.OPERATOR),
    ("sara", Role.SUPERVISOR),
    ("carla", Role.SOCIAL_WORKER),
]


@pytest.fixture
async def centre(
    hub: RunningHub, database_url: str, home_id: str, mqtt_options: MqttOptions
) -> AsyncIterator[Centre]:
    """Two homes with residents and contacts, and the district's staff.

    Operators anna and bruno, supervisor sara, social worker carla.
    """
    other = f"{home_id}-b"
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, [home_id, other], DISTRICT)
        for name, role in STAFF:
            await add_user(conn, name, PASSWORD, role, [DISTRICT])
    sara = Console(hub.url)
    assert await sara.login("sara") == 200
    status, _ = await sara.post(
        f"/api/v1/homes/{home_id}/residents",
        {
            "full_name": "Maria Rossi",
            "address": "Via Roma 1, Udine",
            "date_of_birth": "1941-03-02",
            "medical_notes": "Diabete; pacemaker",
            "care_notes": "Vive sola; la figlia passa la sera",
            "key_safe": "Cassetta a sinistra della porta, codice 4711",
        },
    )
    assert status == 200
    assert (
        await sara.post(
            f"/api/v1/homes/{other}/residents",
            {"full_name": "Giovanni Bianchi", "address": "Via Dante 5, Udine"},
        )
    )[0] == 200
    headers = {"X-CSRF-Token": sara.csrf}
    contacts = {
        "contacts": [
            {
                "name": "Lucia Rossi",
                "relation": "figlia",
                "phone": "+39 333 1234567",
                "has_key": True,
            },
            {"name": "Paolo Verdi", "relation": "vicino", "phone": "+39 0432 765432"},
        ]
    }
    async with sara.http.put(
        f"{hub.url}/api/v1/homes/{home_id}/contacts", json=contacts, headers=headers
    ) as response:
        assert response.status == 200
    async with Fleet(mqtt_options, f"console-{uuid.uuid4().hex[:8]}") as fleet:
        yield Centre(hub.url, home_id, other, fleet, database_url, sara)
    await sara.close()


@pytest.fixture
async def open_console(
    browser: Browser, centre: Centre, artifacts: Path
) -> AsyncIterator[Callable[..., Awaitable[Opened]]]:
    """Open the console in a fresh browser context (its own cookies and storage).

    Every request and WebSocket is recorded, and every script error or Content-Security-Policy
    violation; each page's last screen is kept in the test's artefacts, and any such problem
    fails the test.
    """
    opened: list[Opened] = []

    async def open_one(locale: str = "it-IT") -> Opened:
        context = await browser.new_context(
            locale=locale, permissions=["microphone"], viewport={"width": 1400, "height": 1000}
        )
        page = await context.new_page()
        record = Opened(context, page)

        def on_request(request: Request) -> None:
            record.requests.append(request.url)

        def on_socket(socket: WebSocket) -> None:
            record.sockets.append(socket.url)

        page.on("request", on_request)
        page.on("websocket", on_socket)
        page.on("pageerror", lambda error: record.problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                record.problems.append(f"console: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        opened.append(record)
        await page.goto(centre.url)
        return record

    yield open_one
    problems = []
    for index, record in enumerate(opened):
        await record.page.screenshot(path=artifacts / f"last-{index}.png", full_page=True)
        problems += record.problems
        await record.context.close()
    assert problems == []


@pytest.fixture
async def home_unit(centre: Centre, mqtt_broker: Broker, tmp_path: Path) -> AsyncIterator[HomeUnit]:
    """The centre's first home's real unit, connected; its speakerphone plays a 1 kHz tone."""
    settings = GatewaySettings(
        mqtt_url=mqtt_broker.url, home_id=centre.home, outbox_path=tmp_path / "outbox.sqlite3"
    )
    unit = HomeUnit(
        settings,
        Outbox(settings.outbox_path, centre.home),
        microphone=tone_microphone(1000.0, 0.25),
    )
    task = asyncio.create_task(unit.run())
    try:

        async def connected() -> bool:
            return unit.state.connected

        await eventually(connected, "the home unit to connect")
        yield unit
    finally:
        await unit.stop()
        await asyncio.wait_for(task, 30)
