"""An MQTT 5 connection for thousands of messages a second: the hub's ingest and the benchmarks.

aiomqtt over paho costs tens of microseconds of Python per packet (paho reads a packet a few
bytes per system call and rebuilds a property table each time), which at 20,000 events a
second, four packets each, is more than a core. Here the packets are encoded and decoded by
``mqtt5`` (compiled, from aiomqtt's maintainer), every packet in a received chunk is decoded in
one pass, and everything written in one turn of the event loop goes out in one system call.

It does only what high-rate clients need: connect (with session expiry, receive maximum and
a will), subscribe, publish QoS 0/1 without waiting, acknowledge received QoS 1 messages
when the caller says so, keepalive, and close. Received messages queue on the link until
:meth:`MqttLink.received` takes them, all at once. Reconnecting is the caller's loop: a link
is one connection, and a closed link stays closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections import deque
from typing import TYPE_CHECKING, Any, TypeVar

import mqtt5
import structlog

from runtime.errors import SharedRuntimeError
from runtime.mqtt import MqttOptions, MqttProtocol, parse_mqtt_url

if TYPE_CHECKING:
    from collections.abc import Sequence

log = structlog.get_logger(__name__)

MAX_PACKET_ID = 65535
DEFAULT_BUFFERED_MAX = 20_000
"""Received messages a link holds before it stops reading from its socket."""
QOS_BY_LEVEL = {0: mqtt5.QoS.AT_MOST_ONCE, 1: mqtt5.QoS.AT_LEAST_ONCE}
# Tuples, not sets: mqtt5's reason codes compare equal but are not hashable.
PUBACK_FINE = (mqtt5.PubAckReasonCode.SUCCESS, mqtt5.PubAckReasonCode.NO_MATCHING_SUBSCRIBERS)
SUBACK_GRANTED = (
    mqtt5.SubAckReasonCode.GRANTED_QOS_AT_MOST_ONCE,
    mqtt5.SubAckReasonCode.GRANTED_QOS_AT_LEAST_ONCE,
    mqtt5.SubAckReasonCode.GRANTED_QOS_EXACTLY_ONCE,
)


T = TypeVar("T")
_Waiting = tuple[str, bytes, bool, int | None]
"""A QoS 1 message waiting for a free slot: topic, payload, retain, expiry."""


class LinkError(SharedRuntimeError):
    """The MQTT connection failed or was refused."""


class LinkRefusedError(LinkError):
    """The broker refused the connection or a subscription (with its reason code)."""


class LinkClosedError(LinkError):
    """The connection is closed; its reason says why."""


class MqttLink(asyncio.Protocol):
    """One MQTT 5 connection. Open it with :meth:`open`."""

    def __init__(
        self,
        client_id: str,
        keepalive_s: int,
        timeout_s: float = 10.0,
        buffered_max: int = DEFAULT_BUFFERED_MAX,
    ) -> None:
        """Use :meth:`open`; this only sets up the state."""
        self.client_id = client_id
        self._buffered_max = buffered_max
        self._paused = False
        self._keepalive_s = keepalive_s
        self._timeout_s = timeout_s
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._outgoing: list[bytes] = []
        self._flush_scheduled = False
        self._received: list[mqtt5.PublishPacket] = []
        self._arrived = asyncio.Event()
        self._all_acked = asyncio.Event()
        self._connack: asyncio.Future[mqtt5.ConnAckPacket] = asyncio.Future()
        self._subacks: dict[int, asyncio.Future[mqtt5.SubAckPacket]] = {}
        self._inflight: set[int] = set()
        self._waiting: deque[_Waiting] = deque()
        self._send_maximum = MAX_PACKET_ID
        self._next_id = 0
        self._last_heard = time.monotonic()
        self._closed: asyncio.Future[None] = asyncio.Future()
        self._keepalive: asyncio.Task[None] | None = None
        self.session_present = False
        self.refused_publishes = 0
        """PUBACKs with a failure reason code (the broker refused one of our messages)."""

    @classmethod
    async def open(  # noqa: PLR0913 - each is a distinct MQTT connect setting
        cls,
        options: MqttOptions,
        *,
        client_id: str,
        session_expiry_s: int = 0,
        receive_maximum: int = MAX_PACKET_ID,
        username: str | None = None,
        will: mqtt5.Will | None = None,
        max_packet_bytes: int | None = None,
        buffered_max: int = DEFAULT_BUFFERED_MAX,
    ) -> MqttLink:
        """Connect to ``options``' broker and wait for its CONNACK.

        Args:
            options: broker URL, credentials, keepalive and timeout; the protocol must be 5.
            client_id: the session's id; with ``session_expiry_s`` above 0 the session (its
                subscriptions and unacknowledged messages) is resumed, not started afresh.
            session_expiry_s: how long the broker keeps the session after a disconnect.
            receive_maximum: most unacknowledged QoS 1 messages the broker may send us.
            username: overrides the URL's user.
            will: published by the broker if the connection dies.
            max_packet_bytes: declared to the broker (MQTT 5 Maximum Packet Size), which
                then never sends a larger packet to this client (it drops it instead).
            buffered_max: received messages held before the link stops reading from its
                socket until :meth:`received` takes them. QoS 0 messages are not bounded by
                ``receive_maximum``, so without this a burst of them grows memory without
                limit; stopped, the burst waits in TCP and at the broker.

        Raises:
            LinkError: MQTT 3.1.1 was asked for, the broker cannot be reached, or it did not
                answer in time.
            LinkRefusedError: the broker refused the connection.
        """
        if options.protocol is not MqttProtocol.V5:
            raise LinkError("this connection speaks MQTT 5 only")
        endpoint = parse_mqtt_url(options.url)
        loop = asyncio.get_running_loop()
        link = cls(client_id, options.keepalive_s, options.timeout_s, buffered_max)
        user = username or endpoint.username
        password = options.password.encode() if options.password else None
        try:
            async with asyncio.timeout(options.timeout_s):
                await loop.create_connection(
                    lambda: link,
                    endpoint.host,
                    endpoint.port,
                    ssl=ssl.create_default_context() if endpoint.tls else None,
                )
                link._send(
                    mqtt5.ConnectPacket(
                        client_id,
                        username=user,
                        password=password,
                        clean_start=session_expiry_s == 0,
                        will=will,
                        keep_alive=options.keepalive_s,
                        session_expiry_interval=session_expiry_s,
                        receive_max=receive_maximum,
                        max_packet_size=max_packet_bytes,
                    ).write()
                )
                connack = await link._connack
        except (OSError, TimeoutError) as err:
            link.abort()
            raise LinkError(f"cannot connect to {endpoint.host}:{endpoint.port}: {err!r}") from err
        except LinkError:
            link.abort()
            raise
        if connack.reason_code != mqtt5.ConnAckReasonCode.SUCCESS:
            link.abort()
            raise LinkRefusedError(f"connection refused: {connack.reason_code.name}")
        link.session_present = connack.session_present
        link._send_maximum = connack.receive_max
        if connack.server_keep_alive is not None:  # the broker's word overrides ours
            link._keepalive_s = connack.server_keep_alive
        if link._keepalive_s > 0:
            link._keepalive = asyncio.create_task(link._keep_alive())
        return link

    # --- what callers use ---------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the connection is up."""
        return not self._closed.done()

    @property
    def inflight(self) -> int:
        """Our QoS 1 messages sent or waiting to be sent, not yet acknowledged by the broker."""
        return len(self._inflight) + len(self._waiting)

    async def subscribe(self, topic_filters: Sequence[str], qos: int = 1) -> None:
        """Subscribe to ``topic_filters`` and wait for the broker to grant them.

        Raises:
            ValueError: a filter that is not valid MQTT (nothing is sent).
            LinkRefusedError: the broker refused one of them.
            LinkError: no answer within the options' timeout.
            LinkClosedError: the connection closed meanwhile.
        """
        packet_id = self._new_packet_id()
        filters = [mqtt5.TopicFilter(f, max_qos=QOS_BY_LEVEL[qos]) for f in topic_filters]
        suback: asyncio.Future[mqtt5.SubAckPacket] = asyncio.Future()
        self._subacks[packet_id] = suback
        self._send(mqtt5.SubscribePacket(packet_id, filters).write())
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._closed_or(suback)
        except TimeoutError as err:
            raise LinkError(f"no SUBACK within {self._timeout_s} s") from err
        finally:
            del self._subacks[packet_id]
        refused = [
            f"{f}: {code.name}"
            for f, code in zip(topic_filters, suback.result().reason_codes, strict=False)
            if code not in SUBACK_GRANTED
        ]
        if refused:
            raise LinkRefusedError(f"subscription refused: {', '.join(refused)}")

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        expiry_s: int | None = None,
    ) -> None:
        """Send a message without waiting for the broker's PUBACK.

        QoS 1 messages beyond the broker's receive maximum wait on the link and go as
        PUBACKs come back. A message still unacknowledged when the connection closes is
        lost: use this where loss is covered end to end (a receipt the home unit asks for
        again by resending), or count PUBACKs with :attr:`inflight`.

        Raises:
            LinkClosedError: the connection is closed.
        """
        self._raise_if_closed()
        if qos == 0:
            packet = mqtt5.PublishPacket(
                topic, payload, retain=retain, message_expiry_interval=expiry_s
            )
            self._send(packet.write())
            return
        message = (topic, payload, retain, expiry_s)
        if len(self._inflight) >= self._send_maximum:
            self._waiting.append(message)
        else:
            self._send_qos1(message)

    def ack(self, packet_id: int | None) -> None:
        """Acknowledge a received QoS 1 message (no-op for QoS 0 or on a closed link).

        Only the link that received a message may acknowledge it: after a reconnect the
        broker sends unacknowledged messages again, and those are acknowledged then.
        """
        if packet_id is not None and self.is_open:
            self._send(mqtt5.PubAckPacket(packet_id).write())

    async def received(self) -> list[mqtt5.PublishPacket]:
        """Every message received since the last call, waiting for at least one.

        Raises:
            LinkClosedError: the connection closed and no message is left.
        """
        while not self._received:
            self._raise_if_closed()
            self._arrived.clear()
            await self._closed_or(asyncio.ensure_future(self._arrived.wait()))
        taken, self._received = self._received, []
        if self._paused and self._transport is not None and self.is_open:
            self._paused = False
            self._transport.resume_reading()
        return taken

    async def drained(self) -> None:
        """Wait until every QoS 1 message we sent is acknowledged (or the link closes)."""
        if self.inflight:
            self._all_acked.clear()
            with contextlib.suppress(LinkClosedError):
                await self._closed_or(asyncio.ensure_future(self._all_acked.wait()))

    async def closed(self) -> None:
        """Wait until the connection closes; raises :class:`LinkClosedError` with why."""
        await asyncio.shield(self._closed)

    async def close(self) -> None:
        """Say DISCONNECT (the broker keeps the session, drops the will) and close."""
        if self.is_open and self._transport is not None:
            self._send(mqtt5.DisconnectPacket().write())
            self._flush()
            self._transport.close()
            self._finish(LinkClosedError("closed by us"))
        if self._keepalive is not None:
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive

    def abort(self) -> None:
        """Drop the connection at once, as a crash would (the broker then sends the will)."""
        if self._transport is not None:
            self._transport.abort()
        self._finish(LinkClosedError("aborted by us"))
        if self._keepalive is not None:
            self._keepalive.cancel()

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport (called by asyncio)."""
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - a stream connection
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        """Decode every whole packet received so far (called by asyncio)."""
        self._last_heard = time.monotonic()
        self._buffer += data
        used = 0
        try:
            with memoryview(self._buffer) as view:
                while used < len(view):
                    try:
                        packet, size = mqtt5.read(view[used:])
                    except IndexError:  # the rest of the packet is still on its way
                        break
                    used += size
                    self._handle(packet)
        except ValueError as err:
            log.warning("mqtt_malformed_packet", client_id=self.client_id, error=str(err))
            self._protocol_error(mqtt5.DisconnectReasonCode.MALFORMED_PACKET, str(err))
            return
        del self._buffer[:used]

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail whoever waits on this connection (called by asyncio)."""
        self._finish(LinkClosedError(f"connection lost: {exc!r}" if exc else "connection lost"))
        if self._keepalive is not None:
            self._keepalive.cancel()

    # --- inside -----------------------------------------------------------------------------

    def _handle(self, packet: mqtt5.Packet) -> None:
        if isinstance(packet, mqtt5.PublishPacket):
            self._handle_publish(packet)
        elif isinstance(packet, mqtt5.PubAckPacket):
            self._handle_puback(packet)
        elif isinstance(packet, mqtt5.SubAckPacket):
            waiter = self._subacks.get(packet.packet_id)
            if waiter is not None and not waiter.done():
                waiter.set_result(packet)
        elif isinstance(packet, mqtt5.ConnAckPacket):
            if not self._connack.done():
                self._connack.set_result(packet)
        elif isinstance(packet, mqtt5.DisconnectPacket):
            self._handle_disconnect(packet)
        elif not isinstance(packet, mqtt5.PingRespPacket):
            self._protocol_error(mqtt5.DisconnectReasonCode.PROTOCOL_ERROR, type(packet).__name__)

    def _handle_publish(self, packet: mqtt5.PublishPacket) -> None:
        if packet.qos == mqtt5.QoS.EXACTLY_ONCE:
            self._protocol_error(mqtt5.DisconnectReasonCode.QOS_NOT_SUPPORTED, "QoS 2")
            return
        self._received.append(packet)
        self._arrived.set()
        full = len(self._received) >= self._buffered_max
        if full and not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()

    def _handle_puback(self, packet: mqtt5.PubAckPacket) -> None:
        self._inflight.discard(packet.packet_id)
        if packet.reason_code not in PUBACK_FINE:
            self.refused_publishes += 1
        while self._waiting and len(self._inflight) < self._send_maximum:
            self._send_qos1(self._waiting.popleft())
        if not self._inflight:
            self._all_acked.set()

    def _handle_disconnect(self, packet: mqtt5.DisconnectPacket) -> None:
        log.warning(
            "mqtt_disconnected_by_broker",
            client_id=self.client_id,
            reason=packet.reason_code.name,
            detail=packet.reason_str,
        )
        self._finish(LinkClosedError(f"broker disconnected: {packet.reason_code.name}"))
        if self._transport is not None:
            self._transport.close()

    def _send_qos1(self, message: _Waiting) -> None:
        topic, payload, retain, expiry_s = message
        packet_id = self._new_packet_id()
        self._inflight.add(packet_id)
        packet = mqtt5.PublishPacket(
            topic,
            payload,
            qos=mqtt5.QoS.AT_LEAST_ONCE,
            retain=retain,
            packet_id=packet_id,
            message_expiry_interval=expiry_s,
        )
        self._send(packet.write())

    def _new_packet_id(self) -> int:
        # Ids in use are at most the broker's receive maximum (<= 65535), so one is free.
        while True:
            self._next_id = self._next_id % MAX_PACKET_ID + 1
            if self._next_id not in self._inflight and self._next_id not in self._subacks:
                return self._next_id

    def _send(self, data: bytes) -> None:
        # Everything written in one turn of the loop goes out in one system call.
        self._outgoing.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._outgoing and self._transport is not None and not self._transport.is_closing():
            self._transport.write(b"".join(self._outgoing))
        self._outgoing.clear()

    def _protocol_error(self, reason: mqtt5.DisconnectReasonCode, detail: str) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(mqtt5.DisconnectPacket(reason_code=reason).write())
            self._transport.close()
        self._finish(LinkClosedError(f"protocol error: {reason.name} ({detail})"))

    def _finish(self, error: LinkClosedError) -> None:
        if not self._closed.done():
            self._closed.set_exception(error)
            self._closed.exception()  # read here, so asyncio never reports it as unread
        if not self._connack.done():
            self._connack.set_exception(error)
            self._connack.exception()
        self._arrived.set()
        self._all_acked.set()

    def _raise_if_closed(self) -> None:
        if self._closed.done():
            raise self._closed.exception() or LinkClosedError("closed")

    async def _closed_or(self, waiter: asyncio.Future[T]) -> T:
        either: set[asyncio.Future[Any]] = {waiter, self._closed}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Also when our caller is cancelled: no waiter task is left behind.
            if not waiter.done():
                waiter.cancel()
        if not waiter.cancelled():
            return waiter.result()
        raise self._closed.exception() or LinkClosedError("closed")

    async def _keep_alive(self) -> None:
        # PINGREQ at half the keepalive; a broker silent for 1.5 keepalives is gone.
        interval = self._keepalive_s / 2
        while self.is_open:
            await asyncio.sleep(interval)
            if self._paused:
                # We stopped reading, not the broker talking: its answers wait in TCP.
                self._last_heard = time.monotonic()
            if time.monotonic() - self._last_heard > self._keepalive_s * 1.5:
                log.warning("mqtt_broker_silent", client_id=self.client_id)
                if self._transport is not None:
                    self._transport.abort()
                self._finish(LinkClosedError("the broker stopped answering"))
                return
            self._send(mqtt5.PingReqPacket().write())
