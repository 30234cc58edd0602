"""One of the hub's MQTT connections: subscribe, read, reconnect, publish receipts.

The hub holds two (see ``hub/app.py``): telemetry (every home's up channels but alarms) and
alarms (``up/alarms``), each with its own client id, session and subscription, so a press
never waits behind heartbeats or an outbox being flushed, at the broker or in the hub.

Messages are acknowledged to the broker only after they are stored (manual PUBACK), and the
broker sends at most ``receive_maximum`` unacknowledged ones: a hub that stops mid-way gets
them again, and a slow database slows the broker rather than filling memory.

The connection is a :class:`~runtime.mqtt_link.MqttLink` (MQTT 5 only), not aiomqtt: at
tens of thousands of packets a second, paho's per-packet Python was most of the hub's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import structlog

from hub.errors import HubError
from protocol import MAX_PAYLOAD_BYTES
from runtime.mqtt import shared_subscription
from runtime.mqtt_link import LinkClosedError, LinkError, MqttLink

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from hub.config import HubSettings
    from hub.metrics import HubMetrics

log = structlog.get_logger(__name__)

BACKOFF_FIRST_S = 0.2
BACKOFF_MAX_S = 10.0
YIELD_EVERY = 64
"""Messages routed in a row before the consumer lets other tasks run."""
MAX_PACKET_BYTES = 2 * MAX_PAYLOAD_BYTES + 4096
"""Declared to the broker: above the shipped broker's own ``max_packet_size`` (128 KiB), so
whatever the broker takes from a unit reaches the hub and is dead-lettered as
``payload_too_large`` with the sender named; a broker configured looser still never sends
the hub a packet larger than this (a megabyte of garbage), which then costs it no memory."""
RECEIPTS_DRAIN_S = 2.0
"""At shutdown, how long receipts may take to reach the broker (one lost is asked again)."""


class NotConnectedError(HubError):
    """The hub has no broker connection right now."""


@dataclass(frozen=True, slots=True)
class Connection:
    """One of the hub's broker connections: what it reads and as whom."""

    name: str
    """Labels the connection's logs and metrics (``telemetry``, ``alarms``)."""
    filters: list[str]
    client_id: str


class Consumer:
    """Reads ``filters`` of every home and hands each message to ``route``."""

    def __init__(
        self,
        settings: HubSettings,
        route: Callable[[str, bytes, Callable[[], None]], Awaitable[None]],
        metrics: HubMetrics,
        connection: Connection,
    ) -> None:
        """Consume ``connection``'s filters with ``settings``' broker and share group."""
        self._settings = settings
        self._route = route
        self._metrics = metrics
        self._name = connection.name
        self._filters = connection.filters
        self._client_id = connection.client_id
        self._log = log.bind(connection=connection.name)
        self._link: MqttLink | None = None
        self._stop_reading = asyncio.Event()
        self._reading_stopped = asyncio.Event()
        self._release = asyncio.Event()

    @property
    def connected(self) -> bool:
        """Whether the hub holds a broker connection."""
        return self._link is not None and self._link.is_open

    async def run(self) -> None:
        """Connect, subscribe and read until :meth:`stop_reading` and :meth:`release`."""
        options = self._settings.mqtt_options()
        subscriptions = [
            shared_subscription(f, self._settings.mqtt_share_group, options.protocol)
            if self._settings.mqtt_shared_subscription
            else f
            for f in self._filters
        ]
        connected = self._metrics.mqtt_connected.labels(self._name)
        reconnects = self._metrics.mqtt_reconnects.labels(self._name)
        delay = BACKOFF_FIRST_S
        while not self._stop_reading.is_set():
            link: MqttLink | None = None
            try:
                link = await MqttLink.open(
                    options,
                    client_id=self._client_id,
                    session_expiry_s=self._settings.mqtt_session_expiry_s,
                    receive_maximum=self._settings.mqtt_receive_maximum,
                    max_packet_bytes=MAX_PACKET_BYTES,
                )
                self._link = link
                connected.set(1)
                self._log.info("mqtt_connected", session_present=link.session_present)
                await link.subscribe(subscriptions, qos=1)
                self._log.info("mqtt_subscribed", subscriptions=subscriptions)
                delay = BACKOFF_FIRST_S
                await self._read_until_stopped(link)
            except LinkError as err:
                reconnects.inc()
                self._log.warning(
                    "mqtt_connection_lost", error=str(err), retry_in_s=round(delay, 2)
                )
            except Exception:
                # Messages not yet acknowledged come back on the next connection.
                reconnects.inc()
                log.exception("consumer_failed", connection=self._name, retry_in_s=round(delay, 2))
            else:
                await self._release.wait()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(RECEIPTS_DRAIN_S):
                        await link.drained()
                await link.close()
                return
            finally:
                if link is not None and link.is_open and not self._release.is_set():
                    link.abort()
                self._link = None
                connected.set(0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay * (0.5 + random.random())):  # noqa: S311 - jitter
                    await self._stop_reading.wait()
            delay = min(delay * 2, BACKOFF_MAX_S)
        self._reading_stopped.set()

    async def _read_until_stopped(self, link: MqttLink) -> None:
        reader = asyncio.create_task(self._read(link))
        stopper = asyncio.create_task(self._stop_reading.wait())
        done, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done:
            stopper.cancel()
            reader.result()  # the broker went away: raises LinkClosedError
            return
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        self._reading_stopped.set()

    async def _read(self, link: MqttLink) -> None:
        route = self._route
        while True:
            for n, packet in enumerate(await link.received(), start=1):
                # Only this link may acknowledge what it received: a packet id means
                # something only on the connection it came on, and after a reconnect the
                # broker sends whatever is unacknowledged again on the new one.
                await route(packet.topic, packet.payload, partial(link.ack, packet.packet_id))
                if n % YIELD_EVERY == 0:
                    # Routing rarely waits, so a burst of heartbeats would hold the event
                    # loop for as long as it takes; the alarm connection needs turns.
                    await asyncio.sleep(0)

    def publish(self, topic: str, payload: bytes) -> None:
        """Send a QoS 1 message on the current connection, without waiting for its PUBACK.

        Used for receipts: a receipt lost on the way is asked for again by the home unit,
        which resends the event.

        Raises:
            NotConnectedError: no connection now.
        """
        link = self._link
        if link is None:
            raise NotConnectedError("no broker connection")
        try:
            link.publish(topic, payload, qos=1)
        except LinkClosedError as err:
            raise NotConnectedError(str(err)) from err

    async def stop_reading(self) -> None:
        """Stop taking messages in, keeping the connection for receipts still to be sent."""
        self._stop_reading.set()
        await self._reading_stopped.wait()

    def release(self) -> None:
        """Let :meth:`run` disconnect and return."""
        self._release.set()


def publish_on_first(*consumers: Consumer) -> Callable[[str, bytes], None]:
    """A publish that uses the first of ``consumers`` connected now.

    Receipts of alarms go on the alarm connection, where no queue of telemetry receipts is
    ahead of them, and on the telemetry one while the alarm connection is down.
    """

    def publish(topic: str, payload: bytes) -> None:
        for consumer in consumers[:-1]:
            with contextlib.suppress(NotConnectedError):
                consumer.publish(topic, payload)
                return
        consumers[-1].publish(topic, payload)

    return publish
