"""Fixtures: a hub on the session broker and a fresh database, in-process or as a process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import psycopg
import pytest
from aiohttp import web

from hub.app import create_app
from hub.config import HubSettings
from hub.storage import homes, migrate
from runtime.mqtt import MqttProtocol
from telecare.services import Broker, free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

READY_TIMEOUT_S = 30


def hub_settings_for(broker: Broker, database_url: str, **overrides: object) -> HubSettings:
    """Settings of a hub of its own: unique client id and share group, short timers."""
    tag = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "database_url": database_url,
        "mqtt_url": f"mqtt://telecare-hub@127.0.0.1:{broker.port}",
        "mqtt_protocol": MqttProtocol.V5,
        "mqtt_client_id": f"hub-{tag}",
        "mqtt_share_group": f"hub-{tag}",
        "mqtt_session_expiry_s": 60,
        "http_host": "127.0.0.1",
        "http_port": free_port(),
        "batch_max_wait_ms": 5,
        "shutdown_grace_s": 5,
        **overrides,
    }
    return HubSettings(**values)  # type: ignore[arg-type]


async def register_homes(database_url: str, *home_ids: str, district: str = "ats-test") -> None:
    """Register homes (migrating first, as the hub would)."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, home_ids, district)


async def wait_ready(base_url: str, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Wait until the hub's /readyz says ready."""
    async with aiohttp.ClientSession() as session, asyncio.timeout(timeout_s):
        while True:
            try:
                async with session.get(f"{base_url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


@dataclass
class RunningHub:
    """A hub running in this test's event loop."""

    settings: HubSettings
    app: web.Application

    @property
    def url(self) -> str:
        """Base URL of its HTTP endpoints."""
        return f"http://127.0.0.1:{self.settings.http_port}"


@pytest.fixture
async def start_hub(
    mqtt_broker: Broker, database_url: str
) -> AsyncIterator[Callable[..., Awaitable[RunningHub]]]:
    """Start in-process hubs with settings overridden; each is stopped (drained) afterwards."""
    runners: list[web.AppRunner] = []

    async def start(**overrides: object) -> RunningHub:
        settings = hub_settings_for(mqtt_broker, database_url, **overrides)
        app = create_app(settings)
        runner = web.AppRunner(app)
        runners.append(runner)
        await runner.setup()
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        running = RunningHub(settings, app)
        await wait_ready(running.url)
        return running

    yield start
    for runner in reversed(runners):
        await runner.cleanup()


@pytest.fixture
async def hub(start_hub: Callable[..., Awaitable[RunningHub]]) -> RunningHub:
    """A ready hub in-process with the default test settings."""
    return await start_hub()


@dataclass
class HubProcess:
    """`telecare hub` as a separate process, to be killed and started again."""

    settings: HubSettings
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of its HTTP endpoints."""
        return f"http://127.0.0.1:{self.settings.http_port}"

    def environment(self) -> dict[str, str]:
        """The process environment carrying the settings as TELECARE_* variables."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")}
        for name, value in self.settings.model_dump(mode="json").items():
            if value is not None:
                env[f"TELECARE_{name.upper()}"] = str(value)
        env["TELECARE_LOG_FORMAT"] = "json"
        return env

    async def start(self) -> None:
        """Start the hub and wait until it is ready."""
        telecare = Path(sys.executable).with_name("telecare")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: ASYNC220 - a long-lived child
                [str(telecare), "hub"], env=self.environment(), stdout=out, stderr=out
            )
        await wait_ready(self.url)

    def kill(self) -> None:
        """SIGKILL: no flush, no acks, no goodbye."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(30)
            self.process = None

    def stop(self) -> None:
        """SIGTERM and wait for a clean stop."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(60)
            self.process = None


@pytest.fixture
def hub_process(mqtt_broker: Broker, database_url: str, tmp_path: Path) -> Iterator[HubProcess]:
    """A hub process (not started); killed after the test if still running."""
    hub = HubProcess(hub_settings_for(mqtt_broker, database_url), tmp_path / "hub.log")
    yield hub
    hub.kill()
