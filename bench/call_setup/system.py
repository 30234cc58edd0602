"""The system the console calls: the hub and the home's real unit, both in this process."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import psycopg
from aiohttp import web

from bench.call_setup.timing import UNIT_AMPLITUDE, UNIT_HZ
from bench.common.output import BenchError
from bench.common.services import DISTRICT, OPERATOR, prepare_schema
from gateway.audio import tone_microphone
from gateway.config import GatewaySettings
from gateway.outbox import Outbox
from gateway.unit import HomeUnit
from hub.app import create_app
from hub.auth import users
from hub.config import HubSettings
from hub.storage import registry
from runtime.mqtt import MqttProtocol
from telecare.services import free_port

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from bench.common.services import Services

HOME = "bench-call-1"
READY_TIMEOUT_S = 30.0


@dataclass
class Setup:
    """What the run was given: services, database, where to work."""

    args: argparse.Namespace
    services: Services
    database_url: str
    workdir: Path
    password: str
    chromium: str


async def prepare(database_url: str, password: str) -> None:
    """Schema and the home (as every benchmark does), its resident and the operator."""
    await prepare_schema(database_url, [HOME])
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await registry.save_resident(
            conn,
            HOME,
            None,
            full_name="Maria Rossi",
            address="Via Roma 1, Udine",
            date_of_birth=None,
            language="it",
            medical_notes="",
            care_notes="",
            key_safe="",
        )
        await users.add_user(conn, OPERATOR, password, users.Role.OPERATOR, [DISTRICT])


async def wait_ready(base: str) -> None:
    """Wait until the hub's /readyz says ready."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(READY_TIMEOUT_S):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running_hub(setup: Setup) -> Any:  # noqa: ANN401 - an async context manager's type
    """The hub in this process, on a free port; its base URL."""
    tag = uuid.uuid4().hex[:8]
    settings = HubSettings(
        database_url=setup.database_url,
        mqtt_url=setup.services.hub_mqtt_url,
        mqtt_protocol=MqttProtocol.V5,
        mqtt_client_id=f"bench-call-{tag}",
        mqtt_share_group=f"bench-call-{tag}",
        http_host="127.0.0.1",
        http_port=free_port(),
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        base = f"http://127.0.0.1:{settings.http_port}"
        await wait_ready(base)
        yield base
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def running_unit(setup: Setup) -> Any:  # noqa: ANN401 - an async context manager's type
    """The home's real unit, connected, its speakerphone on a 1 kHz tone."""
    settings = GatewaySettings(
        mqtt_url=setup.services.target.url,
        home_id=HOME,
        outbox_path=setup.workdir / "outbox.sqlite3",
    )
    unit = HomeUnit(
        settings,
        Outbox(settings.outbox_path, HOME),
        microphone=tone_microphone(UNIT_HZ, UNIT_AMPLITUDE),
    )
    task = asyncio.create_task(unit.run())
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            while not unit.state.connected:
                if task.done():
                    task.result()
                    raise BenchError("the home unit stopped")
                await asyncio.sleep(0.05)
        yield unit
    finally:
        await unit.stop()
        await asyncio.wait_for(task, READY_TIMEOUT_S)
