"""Our MQTT clients against a real broker, on MQTT 5 and degraded to 3.1.1."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import textwrap
from typing import TYPE_CHECKING

import aiomqtt
import pytest
from mqtt_messages import RECEIVE_TIMEOUT_S, batch_for, drain, receive
from services import options_for

from protocol import (
    Channel,
    Presence,
    Status,
    StatusReason,
    decode_topic,
    encode,
    examples,
    topic,
)
from runtime.mqtt import (
    MqttOptions,
    MqttProtocol,
    MqttUrlError,
    make_client,
    publish_properties,
    send_without_delay,
    shared_subscription,
)
from telecare.services import Broker

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


async def test_an_event_batch_crosses_the_broker(mqtt_options: MqttOptions, home_id: str) -> None:
    """What a home unit publishes on up/events reaches a subscriber and decodes unchanged."""
    where = topic(home_id, Channel.EVENTS)
    async with (
        make_client(mqtt_options, identifier=f"{home_id}-hub") as hub,
        make_client(mqtt_options, identifier=f"{home_id}-gw", username=home_id) as gateway,
    ):
        await hub.subscribe(f"telecare/v1/homes/{home_id}/up/#", qos=1)
        await gateway.publish(where, batch_for(home_id), qos=1)
        (message,) = await receive(hub, 1)
    received = decode_topic(message.topic.value, bytes(message.payload))
    assert received.topic.home_id == home_id
    assert received.message == decode_topic(where, batch_for(home_id)).message


async def test_a_home_unit_connection_sends_small_packets_at_once(
    mqtt_options: MqttOptions, home_id: str
) -> None:
    """TCP_NODELAY is set on the unit's socket, so a press does not wait behind a packet."""
    async with make_client(mqtt_options, identifier=f"{home_id}-gw", username=home_id) as unit:
        assert send_without_delay(unit)
        sock = unit._client.socket()  # noqa: SLF001 - the option is only visible on the socket
        assert isinstance(sock, socket.socket)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.parametrize(
    "protocol",
    [pytest.param(MqttProtocol.V5, marks=pytest.mark.mqtt5), MqttProtocol.V311],
)
async def test_a_persistent_session_keeps_messages_while_the_client_is_away(
    mqtt_broker: Broker, home_id: str, protocol: MqttProtocol
) -> None:
    """QoS 1 messages sent while a persistent subscriber is offline arrive when it returns."""
    options = MqttOptions(url=mqtt_broker.url, protocol=protocol)
    where = topic(home_id, Channel.EVENTS)
    subscriber = f"{home_id}-hub"
    async with make_client(options, identifier=subscriber, session_expiry_s=300) as hub:
        await hub.subscribe(where, qos=1)
    async with make_client(options, identifier=f"{home_id}-gw") as gateway:
        for seq in range(3):
            await gateway.publish(where, batch_for(home_id, seq * 10), qos=1)
    async with make_client(options, identifier=subscriber, session_expiry_s=300) as hub:
        messages = await receive(hub, 3)
    assert [bytes(m.payload) for m in messages] == [
        batch_for(home_id, seq * 10) for seq in range(3)
    ]


async def test_a_clean_session_forgets_the_client(mqtt_options: MqttOptions, home_id: str) -> None:
    """Without session expiry nothing is queued for a client that has gone."""
    where = topic(home_id, Channel.EVENTS)
    async with make_client(mqtt_options, identifier=f"{home_id}-hub") as hub:
        await hub.subscribe(where, qos=1)
    async with make_client(mqtt_options, identifier=f"{home_id}-gw") as gateway:
        await gateway.publish(where, batch_for(home_id), qos=1)
    async with make_client(mqtt_options, identifier=f"{home_id}-hub") as hub:
        assert await drain(hub) == []


async def two_subscribers(
    options: MqttOptions, home_id: str, filter_: str, count: int
) -> tuple[list[aiomqtt.Message], list[aiomqtt.Message]]:
    """Subscribe two clients to ``filter_``, publish ``count`` batches, return what each got."""
    async with (
        make_client(options, identifier=f"{home_id}-a") as first,
        make_client(options, identifier=f"{home_id}-b") as second,
        make_client(options, identifier=f"{home_id}-gw") as gateway,
    ):
        await first.subscribe(filter_, qos=1)
        await second.subscribe(filter_, qos=1)
        for seq in range(count):
            await gateway.publish(topic(home_id, Channel.EVENTS), batch_for(home_id, seq), qos=1)
        return await asyncio.gather(drain(first, 1.0), drain(second, 1.0))


@pytest.mark.mqtt5
async def test_shared_subscription_splits_the_load(mqtt_broker: Broker, home_id: str) -> None:
    """Two hub replicas in one share group each get part of the traffic, together all of it."""
    options = options_for(mqtt_broker)
    group = f"hub-{home_id}"
    filter_ = shared_subscription(f"telecare/v1/homes/{home_id}/up/#", group, options.protocol)
    assert filter_.startswith(f"$share/{group}/")
    got_first, got_second = await two_subscribers(options, home_id, filter_, 20)
    assert len(got_first) + len(got_second) == 20
    assert got_first
    assert got_second


async def test_without_mqtt5_every_subscriber_gets_everything(
    mqtt_broker: Broker, home_id: str
) -> None:
    """On 3.1.1 the share group degrades to plain subscriptions: each replica sees all."""
    options = MqttOptions(url=mqtt_broker.url, protocol=MqttProtocol.V311)
    filter_ = shared_subscription(f"telecare/v1/homes/{home_id}/up/#", "hub", options.protocol)
    assert filter_ == f"telecare/v1/homes/{home_id}/up/#"
    got_first, got_second = await two_subscribers(options, home_id, filter_, 5)
    assert len(got_first) == len(got_second) == 5


def test_a_password_without_a_user_is_an_error() -> None:
    """The broker would never see a password sent without a user name: say so at once."""
    with pytest.raises(MqttUrlError, match="user name"):
        make_client(MqttOptions(url="mqtt://127.0.0.1", password="pw"), identifier="x")


def test_message_expiry_is_only_sent_on_mqtt5() -> None:
    """Message expiry is an MQTT 5 property; on 3.1.1 it is left out, not an error."""
    properties = publish_properties(MqttProtocol.V5, expiry_s=30)
    assert properties is not None
    assert properties.json() == {"MessageExpiryInterval": 30}
    assert publish_properties(MqttProtocol.V311, expiry_s=30) is None
    assert publish_properties(MqttProtocol.V5, expiry_s=None) is None


async def test_the_will_marks_a_dead_home_unit_offline(
    mqtt_options: MqttOptions, home_id: str
) -> None:
    """When a home unit's process dies, the broker publishes its offline status."""
    where = topic(home_id, Channel.STATUS)
    online = Status(
        home_id=home_id, state=Presence.ONLINE, reason=StatusReason.CONNECTED, ts=examples.TS
    )
    offline = Status(
        home_id=home_id, state=Presence.OFFLINE, reason=StatusReason.CONNECTION_LOST, ts=examples.TS
    )
    script = textwrap.dedent(
        f"""
        import asyncio, aiomqtt
        from runtime.mqtt import MqttOptions, MqttProtocol, make_client
        async def main():
            options = MqttOptions(url={mqtt_options.url!r},
                                  protocol=MqttProtocol({mqtt_options.protocol.value!r}))
            will = aiomqtt.Will({where!r}, {encode(offline)!r}, qos=1, retain=True)
            async with make_client(options, identifier={home_id!r}, will=will) as client:
                await client.publish({where!r}, {encode(online)!r}, qos=1, retain=True)
                print("ready", flush=True)
                await asyncio.sleep(600)
        asyncio.run(main())
        """
    )
    async with make_client(mqtt_options, identifier=f"{home_id}-hub") as hub:
        await hub.subscribe(where, qos=1)
        unit = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE
        )
        try:
            async with asyncio.timeout(RECEIVE_TIMEOUT_S):
                assert unit.stdout is not None
                assert await unit.stdout.readline() == b"ready\n"
            (first,) = await receive(hub, 1)
            unit.send_signal(signal.SIGKILL)
            (second,) = await receive(hub, 1)
        finally:
            if unit.returncode is None:
                unit.kill()
            await unit.wait()
    statuses = [decode_topic(m.topic.value, bytes(m.payload)).message for m in (first, second)]
    assert statuses == [online, offline]


async def test_a_restarted_broker_serves_the_same_address(
    start_broker: Callable[[], Broker], home_id: str
) -> None:
    """The restartable broker of fault tests comes back on its port and carries traffic."""
    broker = start_broker()
    options = options_for(broker)
    broker.restart()
    assert broker.running
    async with (
        make_client(options, identifier=f"{home_id}-hub") as hub,
        make_client(options, identifier=f"{home_id}-gw") as gateway,
    ):
        await hub.subscribe(topic(home_id, Channel.EVENTS), qos=1)
        await gateway.publish(topic(home_id, Channel.EVENTS), batch_for(home_id), qos=1)
        assert len(await receive(hub, 1)) == 1


async def test_a_client_sees_the_broker_go_away(
    start_broker: Callable[[], Broker], home_id: str
) -> None:
    """Killing the broker breaks a connected client's message stream with an MqttError."""
    broker = start_broker()
    async with make_client(options_for(broker), identifier=home_id) as client:
        await client.subscribe(topic(home_id, Channel.ACKS), qos=1)
        broker.kill()
        with pytest.raises(aiomqtt.MqttError):
            async with asyncio.timeout(RECEIVE_TIMEOUT_S):
                await anext(aiter(client.messages))


async def test_our_clients_work_on_a_311_only_broker(tmp_path: Path, home_id: str) -> None:
    """On amqtt (3.1.1 only) a 3.1.1 client exchanges messages; an MQTT 5 CONNECT fails."""
    broker = Broker(kind="amqtt", workdir=tmp_path / "amqtt")
    broker.start()
    try:
        v311 = MqttOptions(url=broker.url, protocol=MqttProtocol.V311)
        async with (
            make_client(v311, identifier=f"{home_id}-hub", session_expiry_s=60) as hub,
            make_client(v311, identifier=f"{home_id}-gw") as gateway,
        ):
            await hub.subscribe(topic(home_id, Channel.EVENTS), qos=1)
            await gateway.publish(topic(home_id, Channel.EVENTS), batch_for(home_id), qos=1)
            assert len(await receive(hub, 1)) == 1
        v5 = MqttOptions(url=broker.url, protocol=MqttProtocol.V5, timeout_s=2)
        with pytest.raises(aiomqtt.MqttError):
            async with asyncio.timeout(RECEIVE_TIMEOUT_S), make_client(v5, identifier=home_id):
                pass
    finally:
        broker.stop()


async def test_queued_messages_survive_a_broker_restart(
    start_broker: Callable[[], Broker], home_id: str
) -> None:
    """Mosquitto persists a stopped client's session and queue across its own restart."""
    broker = start_broker()
    if broker.kind != "mosquitto":
        pytest.skip("amqtt keeps sessions in memory only; production brokers persist them")
    options = options_for(broker)
    where = topic(home_id, Channel.ACKS)
    async with make_client(options, identifier=home_id, session_expiry_s=3600) as unit:
        await unit.subscribe(where, qos=1)
    async with make_client(options, identifier=f"{home_id}-hub") as hub:
        for seq in range(3):
            await hub.publish(where, batch_for(home_id, seq), qos=1)
    broker.restart()
    async with make_client(options, identifier=home_id, session_expiry_s=3600) as unit:
        messages = await receive(unit, 3)
    assert [bytes(m.payload) for m in messages] == [batch_for(home_id, s) for s in range(3)]
