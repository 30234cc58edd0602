"""The real services every test stands on: one broker and one PostgreSQL server per session.

Each test gets a fresh database and home ids of its own.

The servers themselves are started by ``telecare.services`` (also used by the demo and the
benchmarks); this plugin only hands them to the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from protocol import ROOT
from runtime.mqtt import MqttOptions, MqttProtocol, make_client
from telecare.services import Broker, Postgres, broker_kind, postgres_kind, start_postgres

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator
    from pathlib import Path

AMQTT_SKIP = "needs MQTT 5, and the test broker is amqtt (MQTT 3.1.1 only): {why}"


@pytest.fixture(scope="session")
def mqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One broker for the whole session (Mosquitto 2, or amqtt where Mosquitto is missing)."""
    broker = Broker(kind=broker_kind(), workdir=tmp_path_factory.mktemp("broker"))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def start_broker(tmp_path: Path) -> Iterator[Callable[[], Broker]]:
    """Start a broker of the test's own, for tests that stop, kill or restart it."""
    started: list[Broker] = []

    def start() -> Broker:
        broker = Broker(kind=broker_kind(), workdir=tmp_path / f"broker-{len(started)}")
        started.append(broker)
        broker.start()
        return broker

    yield start
    for broker in started:
        broker.stop()


def options_for(broker: Broker) -> MqttOptions:
    """Client options for ``broker``: MQTT 5 where it speaks it, 3.1.1 otherwise."""
    protocol = MqttProtocol.V5 if broker.supports_mqtt5 else MqttProtocol.V311
    return MqttOptions(url=broker.url, protocol=protocol, keepalive_s=10)


@pytest.fixture
def mqtt_options(mqtt_broker: Broker) -> MqttOptions:
    """Client options for the session broker."""
    return options_for(mqtt_broker)


@pytest.fixture
async def home_id(mqtt_broker: Broker) -> AsyncIterator[str]:
    """A home id no other test uses, so each test has its own topics.

    Afterwards the retained messages (statuses) of every home whose id starts with it are
    cleared on the session broker, or later tests' hubs would receive them.
    """
    value = f"t-{uuid.uuid4().hex[:12]}"
    yield value
    await clear_retained(options_for(mqtt_broker), value)


async def clear_retained(options: MqttOptions, prefix: str, quiet_s: float = 0.3) -> None:
    """Delete the retained messages under the homes whose ids start with ``prefix``."""
    async with make_client(options, identifier=f"{prefix}-cleanup") as client:
        await client.subscribe(f"{ROOT}/+/#", qos=0)
        found: set[str] = set()
        with contextlib.suppress(TimeoutError):
            while True:
                async with asyncio.timeout(quiet_s):
                    message = await anext(aiter(client.messages))
                if message.retain and message.topic.value.startswith(f"{ROOT}/{prefix}"):
                    found.add(message.topic.value)
        for where in found:
            await client.publish(where, b"", qos=1, retain=True)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip ``mqtt5`` tests where the test broker is amqtt, and only there."""
    if item.get_closest_marker("mqtt5") and broker_kind() == "amqtt":
        forced = os.environ.get("TELECARE_TEST_BROKER") == "amqtt"
        why = "TELECARE_TEST_BROKER=amqtt" if forced else "no mosquitto binary is on PATH"
        pytest.skip(AMQTT_SKIP.format(why=why))


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """The server: ``TELECARE_TEST_DATABASE_URL``, else a private cluster, else pgserver."""
    server = start_postgres(postgres_kind(), tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres: Postgres) -> Iterator[str]:
    """A new, empty database for this test, dropped (with its connections) afterwards."""
    name = f"telecare_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_conninfo(postgres.admin_url, dbname=name)
    with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
