"""Fixtures: a private MQTT broker for the test session, and unique names per test."""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import pytest

from telecare.mqtt import MqttOptions, MqttProtocol
from telecare.services import Broker, broker_kind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
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
def home_id() -> str:
    """A home id no other test uses, so each test has its own topics."""
    return f"t-{uuid.uuid4().hex[:12]}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip ``mqtt5`` tests where the test broker is amqtt, and only there."""
    if item.get_closest_marker("mqtt5") and broker_kind() == "amqtt":
        forced = os.environ.get("TELECARE_TEST_BROKER") == "amqtt"
        why = "TELECARE_TEST_BROKER=amqtt" if forced else "no mosquitto binary is on PATH"
        pytest.skip(AMQTT_SKIP.format(why=why))
