"""The high-rate MQTT 5 connection against a real broker."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import mqtt5
import pytest
from mqtt_messages import RECEIVE_TIMEOUT_S
from services import options_for

from runtime.mqtt import MqttOptions, MqttProtocol
from runtime.mqtt_link import LinkClosedError, LinkError, MqttLink

if TYPE_CHECKING:
    from collections.abc import Callable

    from telecare.services import Broker

pytestmark = pytest.mark.mqtt5

WAIT_S = 20


def unique(prefix: str) -> str:
    """A client id or topic no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def take(link: MqttLink, count: int, *, ack: bool = True) -> list[mqtt5.PublishPacket]:
    """Receive ``count`` messages, acknowledging each unless told not to."""
    got: list[mqtt5.PublishPacket] = []
    async with asyncio.timeout(WAIT_S):
        while len(got) < count:
            for packet in await link.received():
                got.append(packet)
                if ack:
                    link.ack(packet.packet_id)
    return got


async def nothing_more(link: MqttLink, quiet_s: float = 0.5) -> list[mqtt5.PublishPacket]:
    """Messages that arrive within ``quiet_s`` seconds (expected: none)."""
    try:
        async with asyncio.timeout(quiet_s):
            return await link.received()
    except TimeoutError:
        return []


async def test_messages_flow_both_ways_in_order(mqtt_options: MqttOptions) -> None:
    """More messages than the broker lets in flight at once all arrive, in order, once."""
    where = unique("t/link")
    subscriber = await MqttLink.open(mqtt_options, client_id=unique("sub"))
    publisher = await MqttLink.open(mqtt_options, client_id=unique("pub"))
    try:
        await subscriber.subscribe([f"{where}/#"])
        count = 5000  # above the test broker's 4,000 in flight
        for n in range(count):
            publisher.publish(f"{where}/{n % 7}", str(n).encode())
        got = await take(subscriber, count)
        await asyncio.wait_for(publisher.drained(), WAIT_S)
        assert [int(p.payload) for p in got] == list(range(count))
        assert all(p.qos == mqtt5.QoS.AT_LEAST_ONCE for p in got)
        assert publisher.inflight == 0
        assert publisher.refused_publishes == 0
        assert await nothing_more(subscriber) == []
    finally:
        await publisher.close()
        await subscriber.close()


async def test_unacknowledged_messages_come_back_to_the_session(
    mqtt_options: MqttOptions,
) -> None:
    """A message received but not acknowledged is sent again when the session reconnects."""
    where, client_id = unique("t/link"), unique("hub")
    first = await MqttLink.open(mqtt_options, client_id=client_id, session_expiry_s=60)
    publisher = await MqttLink.open(mqtt_options, client_id=unique("pub"))
    try:
        await first.subscribe([where])
        for n in range(10):
            publisher.publish(where, str(n).encode())
        got = await take(first, 10, ack=False)
        for packet in got[:4]:
            first.ack(packet.packet_id)
        await asyncio.sleep(0.2)  # let the four PUBACKs reach the broker
        first.abort()
        again = await MqttLink.open(mqtt_options, client_id=client_id, session_expiry_s=60)
        try:
            assert again.session_present
            redelivered = await take(again, 6)
            assert [int(p.payload) for p in redelivered] == list(range(4, 10))
            assert await nothing_more(again) == []
        finally:
            await again.close()
        first.ack(got[5].packet_id)  # on a closed link: ignored, not an error
    finally:
        await publisher.close()


async def test_the_broker_sends_no_more_than_the_receive_maximum(
    mqtt_options: MqttOptions,
) -> None:
    """Unacknowledged messages stop at the receive maximum; acknowledging lets more in."""
    where = unique("t/link")
    subscriber = await MqttLink.open(mqtt_options, client_id=unique("sub"), receive_maximum=5)
    publisher = await MqttLink.open(mqtt_options, client_id=unique("pub"))
    try:
        await subscriber.subscribe([where])
        for n in range(12):
            publisher.publish(where, str(n).encode())
        held = await take(subscriber, 5, ack=False)
        assert await nothing_more(subscriber) == []
        for packet in held:
            subscriber.ack(packet.packet_id)
        rest = await take(subscriber, 7)
        assert [int(p.payload) for p in held + rest] == list(range(12))
    finally:
        await publisher.close()
        await subscriber.close()


async def test_a_burst_of_qos0_waits_in_tcp_instead_of_memory(
    mqtt_options: MqttOptions,
) -> None:
    """QoS 0 is not held back by the receive maximum: the link stops reading instead.

    While nobody takes messages the link holds about ``buffered_max`` of them, not the whole
    burst; once they are taken, the rest arrive, every one, in order.
    """
    where = unique("t/link")
    subscriber = await MqttLink.open(
        mqtt_options, client_id=unique("sub"), receive_maximum=5, buffered_max=50
    )
    publisher = await MqttLink.open(mqtt_options, client_id=unique("pub"))
    burst = 20_000
    try:
        await subscriber.subscribe([where], qos=0)
        for n in range(burst):
            publisher.publish(where, str(n).encode(), qos=0)
        await publisher.drained()
        await asyncio.sleep(1.0)  # time for the whole burst to arrive if nothing held it
        held = await subscriber.received()
        assert len(held) < burst // 4
        got = [int(p.payload) for p in held]
        while len(got) < burst:
            async with asyncio.timeout(RECEIVE_TIMEOUT_S):
                got += [int(p.payload) for p in await subscriber.received()]
        assert got == list(range(burst))
    finally:
        await publisher.close()
        await subscriber.close()


async def test_the_broker_is_told_the_largest_packet_the_client_takes(
    mqtt_options: MqttOptions,
) -> None:
    """A message over the declared size never reaches the client; the next one does."""
    where = unique("t/link")
    subscriber = await MqttLink.open(mqtt_options, client_id=unique("sub"), max_packet_bytes=1024)
    publisher = await MqttLink.open(mqtt_options, client_id=unique("pub"))
    try:
        await subscriber.subscribe([where])
        publisher.publish(where, b"x" * 4096)
        publisher.publish(where, b"small")
        (only,) = await take(subscriber, 1)
        assert only.payload == b"small"
        assert await nothing_more(subscriber) == []
    finally:
        await publisher.close()
        await subscriber.close()


async def test_a_crash_publishes_the_will_and_a_close_does_not(mqtt_options: MqttOptions) -> None:
    """The will goes out when the connection is dropped, not after a clean DISCONNECT."""
    where = unique("t/will")
    watcher = await MqttLink.open(mqtt_options, client_id=unique("watch"))
    try:
        await watcher.subscribe([where])
        will = mqtt5.Will(where, payload=b"gone", qos=mqtt5.QoS.AT_LEAST_ONCE)
        polite = await MqttLink.open(mqtt_options, client_id=unique("polite"), will=will)
        await polite.close()
        assert await nothing_more(watcher) == []
        crashing = await MqttLink.open(mqtt_options, client_id=unique("crash"), will=will)
        crashing.abort()
        assert [p.payload for p in await take(watcher, 1)] == [b"gone"]
    finally:
        await watcher.close()


async def test_losing_the_broker_fails_whoever_waits(
    start_broker: Callable[[], Broker],
) -> None:
    """When the broker goes away, waiting and publishing raise LinkClosedError."""
    broker = start_broker()
    link = await MqttLink.open(options_for(broker), client_id=unique("c"))
    await link.subscribe(["t/#"])
    waiting = asyncio.create_task(link.received())
    broker.kill()
    with pytest.raises(LinkClosedError):
        await asyncio.wait_for(waiting, WAIT_S)
    assert not link.is_open
    with pytest.raises(LinkClosedError):
        link.publish("t/x", b"late")
    with pytest.raises(LinkClosedError):
        await link.closed()


async def test_refusals_are_errors_that_say_why(mqtt_broker: Broker) -> None:
    """MQTT 3.1.1, no broker and a filter the broker will not take each raise a clear error."""
    options = options_for(mqtt_broker)
    with pytest.raises(LinkError, match="MQTT 5 only"):
        await MqttLink.open(
            MqttOptions(url=options.url, protocol=MqttProtocol.V311), client_id=unique("c")
        )
    nowhere = MqttOptions(url="mqtt://127.0.0.1:9", timeout_s=2)
    with pytest.raises(LinkError, match="cannot connect"):
        await MqttLink.open(nowhere, client_id=unique("c"))
    link = await MqttLink.open(options, client_id=unique("c"))
    try:
        with pytest.raises(ValueError, match="Invalid topic filter"):
            await link.subscribe(["t/#/not-last"])
        assert link.is_open
    finally:
        await link.close()


async def test_a_broker_that_stops_answering_is_noticed_by_the_keepalive(
    start_broker: Callable[[], Broker],
) -> None:
    """A frozen broker (connection open, no answers) closes the link after 1.5 keepalives."""
    broker = start_broker()
    quick = MqttOptions(url=broker.url, keepalive_s=2, timeout_s=5)
    link = await MqttLink.open(quick, client_id=unique("c"))
    broker.freeze()
    try:
        with pytest.raises(LinkClosedError, match="stopped answering"):
            await asyncio.wait_for(link.closed(), WAIT_S)
    finally:
        broker.thaw()
    assert not link.is_open


async def test_a_session_taken_over_closes_the_old_link(mqtt_options: MqttOptions) -> None:
    """Another connection with the same client id: the broker drops the first, which closes."""
    client_id = unique("twin")
    first = await MqttLink.open(mqtt_options, client_id=client_id)
    second = await MqttLink.open(mqtt_options, client_id=client_id)
    try:
        # Mosquitto 2.0 closes the socket without a DISCONNECT packet saying why.
        with pytest.raises(LinkClosedError):
            await asyncio.wait_for(first.closed(), WAIT_S)
        assert second.is_open
    finally:
        await second.close()
