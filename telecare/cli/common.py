"""What the command groups share: exit statuses, the parser type, the hub's database."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import psycopg

from hub.config import HubSettings
from hub.storage import migrate
from runtime.logs import configure_logging
from runtime.mqtt import MqttProtocol

if TYPE_CHECKING:
    import argparse
    from collections.abc import Awaitable, Callable

    # argparse names the type add_subparsers() returns only privately.
    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]  # noqa: SLF001
    """Where a command group adds its commands: ``telecare``'s subparsers."""

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_FAILED = 3

Connection: TypeAlias = "psycopg.AsyncConnection[Any]"
T = TypeVar("T")


def stop_on_signals() -> asyncio.Event:
    """An event SIGTERM and SIGINT set on the running loop, to stop a long-running command."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


def on_database(settings: HubSettings, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``work`` on one autocommit connection to ``settings.database_url``."""

    async def run() -> T:
        async with await psycopg.AsyncConnection.connect(
            settings.database_url, autocommit=True
        ) as conn:
            return await work(conn)

    return asyncio.run(run())


def migrated(work: Callable[[Connection], Awaitable[T]]) -> Callable[[Connection], Awaitable[T]]:
    """``work``, run once the schema is up to date."""

    async def run(conn: Connection) -> T:
        await migrate.migrate(conn)
        return await work(conn)

    return run


def on_hub_database(work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``work`` on the hub's database (TELECARE_DATABASE_URL), migrated first."""
    settings = HubSettings(mqtt_protocol=MqttProtocol.V5)
    configure_logging(settings.log_level, settings.log_format)
    return on_database(settings, migrated(work))
