"""The broker ACL in deploy/: a home unit speaks only for itself and hears only its own."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import aiomqtt
import pytest
from mqtt_messages import batch_for, drain, receive

from protocol import Ack, Channel, encode, examples, topic
from runtime.mqtt import MqttOptions, MqttProtocol, make_client
from telecare.services import Broker

if TYPE_CHECKING:
    from collections.abc import Iterator

ACL = Path(__file__).parents[2] / "deploy" / "mosquitto" / "telecare.acl"
USERS = {"telecare-hub": "hub-secret", "home-a": "secret-a", "home-b": "secret-b"}


@pytest.fixture
def guarded_broker(tmp_path: Path) -> Iterator[Broker]:
    """A Mosquitto with the deployed ACL and a password per user."""
    if not (shutil.which("mosquitto") and shutil.which("mosquitto_passwd")):
        missing = "needs the mosquitto and mosquitto_passwd binaries: the ACL is Mosquitto's"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {missing}")
        pytest.skip(missing)
    passwords = tmp_path / "passwd"
    passwords.touch()
    for user, password in USERS.items():
        subprocess.run(
            ["mosquitto_passwd", "-b", str(passwords), user, password], check=True, timeout=30
        )
    broker = Broker(
        kind="mosquitto", workdir=tmp_path / "broker", acl_file=ACL, password_file=passwords
    )
    broker.start()
    yield broker
    broker.stop()


def login(broker: Broker, user: str, password: str | None = None) -> aiomqtt.Client:
    """A client logged in as ``user``."""
    options = MqttOptions(
        url=f"mqtt://127.0.0.1:{broker.port}",
        protocol=MqttProtocol.V5,
        password=password or USERS[user],
        timeout_s=5,
    )
    # A fresh id per client: two sessions of one user must not take each other over.
    return make_client(options, identifier=f"{user}-{uuid.uuid4().hex[:12]}", username=user)


def ack_for(home_id: str) -> bytes:
    """The example ack addressed to ``home_id``."""
    return encode(Ack.model_validate({**examples.ACK.model_dump(), "home_id": home_id}))


async def test_a_home_unit_cannot_speak_for_another_home(guarded_broker: Broker) -> None:
    """home-a's events reach the hub; events it forges for home-b do not."""
    async with login(guarded_broker, "telecare-hub") as hub, login(guarded_broker, "home-a") as a:
        await hub.subscribe("telecare/v1/homes/+/up/#", qos=1)
        await a.publish(topic("home-b", Channel.EVENTS), batch_for("home-b"), qos=1)
        await a.publish(topic("home-a", Channel.EVENTS), batch_for("home-a"), qos=1)
        (only,) = await receive(hub, 1)
        assert only.topic.value == topic("home-a", Channel.EVENTS)
        assert await drain(hub) == []


async def test_a_home_unit_speaks_only_on_the_channels_of_the_contract(
    guarded_broker: Broker,
) -> None:
    """home-a's alarms reach the hub; a channel the contract lacks does not."""
    async with login(guarded_broker, "telecare-hub") as hub, login(guarded_broker, "home-a") as a:
        await hub.subscribe("telecare/v1/homes/+/up/#", qos=1)
        await a.publish("telecare/v1/homes/home-a/up/bogus", b"{}", qos=1)
        await a.publish(topic("home-a", Channel.ALARMS), batch_for("home-a"), qos=1)
        (only,) = await receive(hub, 1)
        assert only.topic.value == topic("home-a", Channel.ALARMS)
        assert await drain(hub) == []


async def test_a_home_unit_hears_only_its_own_down_channels(guarded_broker: Broker) -> None:
    """Subscribed to every home's down channels, home-a still gets only its own acks."""
    ack_b, ack_a = ack_for("home-b"), ack_for("home-a")
    async with login(guarded_broker, "telecare-hub") as hub, login(guarded_broker, "home-a") as a:
        await a.subscribe("telecare/v1/homes/+/down/#", qos=1)
        await hub.publish(topic("home-b", Channel.ACKS), ack_b, qos=1)
        await hub.publish(topic("home-a", Channel.ACKS), ack_a, qos=1)
        (only,) = await receive(a, 1)
        assert only.topic.value == topic("home-a", Channel.ACKS)
        assert await drain(a) == []


async def test_a_home_unit_cannot_forge_its_own_acks(guarded_broker: Broker) -> None:
    """Only the hub writes down channels: an ack published by a home unit goes nowhere."""
    async with login(guarded_broker, "home-a") as a, login(guarded_broker, "home-a") as a2:
        await a2.subscribe(topic("home-a", Channel.ACKS), qos=1)
        await a.publish(topic("home-a", Channel.ACKS), ack_for("home-a"), qos=1)
        assert await drain(a2) == []


async def test_a_wrong_password_is_refused(guarded_broker: Broker) -> None:
    """A home unit with the wrong password is not let in."""
    with pytest.raises(aiomqtt.MqttError):
        async with asyncio.timeout(10), login(guarded_broker, "home-a", password="wrong"):
            pass
