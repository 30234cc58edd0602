"""The hub's MQTT connection: subscribe to every home, read, reconnect, publish receipts.

Messages are acknowledged to the broker only after they are stored (manual PUBACK), and the
broker sends at most ``receive_maximum`` unacknowledged ones: a hub that stops mid-way gets
them again, and a slow database slows the broker rather than filling memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import TYPE_CHECKING

import aiomqtt
import structlog

from hub.errors import HubError
from protocol import hub_filter
from telecare.mqtt import make_client, publish_nowait, settle, shared_subscription

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from hub.config import HubSettings
    from hub.metrics import HubMetrics

log = structlog.get_logger(__name__)

BACKOFF_FIRST_S = 0.2
BACKOFF_MAX_S = 10.0


class NotConnectedError(HubError):
    """The hub has no broker connection right now."""


class Consumer:
    """Reads every home's ``up`` channels and hands each message to ``route``."""

    def __init__(
        self,
        settings: HubSettings,
        route: Callable[[str, bytes, Callable[[], None]], Awaitable[None]],
        metrics: HubMetrics,
    ) -> None:
        """Consume with ``settings``' broker, client id and share group."""
        self._settings = settings
        self._route = route
        self._metrics = metrics
        self._client: aiomqtt.Client | None = None
        self._generation = 0
        self._stop_reading = asyncio.Event()
        self._reading_stopped = asyncio.Event()
        self._release = asyncio.Event()

    @property
    def connected(self) -> bool:
        """Whether the hub holds a broker connection."""
        return self._client is not None

    async def run(self) -> None:
        """Connect, subscribe and read until :meth:`stop_reading` and :meth:`release`."""
        options = self._settings.mqtt_options()
        subscription = (
            shared_subscription(hub_filter(), self._settings.mqtt_share_group, options.protocol)
            if self._settings.mqtt_shared_subscription
            else hub_filter()
        )
        delay = BACKOFF_FIRST_S
        while not self._stop_reading.is_set():
            client = make_client(
                options,
                identifier=self._settings.mqtt_client_id,
                session_expiry_s=self._settings.mqtt_session_expiry_s,
                receive_maximum=self._settings.mqtt_receive_maximum,
                max_inflight=self._settings.mqtt_receive_maximum,
            )
            try:
                async with client:
                    self._connected(client)
                    await client.subscribe(subscription, qos=1)
                    log.info("mqtt_subscribed", subscription=subscription)
                    delay = BACKOFF_FIRST_S
                    await self._read_until_stopped(client)
                    await self._release.wait()
                    return
            except aiomqtt.MqttError as err:
                self._metrics.mqtt_reconnects.inc()
                log.warning("mqtt_connection_lost", error=str(err), retry_in_s=round(delay, 2))
            except Exception:
                # Messages not yet acknowledged come back on the next connection.
                self._metrics.mqtt_reconnects.inc()
                log.exception("consumer_failed", retry_in_s=round(delay, 2))
            finally:
                self._client = None
                self._metrics.mqtt_connected.set(0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay * (0.5 + random.random())):  # noqa: S311 - jitter
                    await self._stop_reading.wait()
            delay = min(delay * 2, BACKOFF_MAX_S)
        self._reading_stopped.set()

    def _connected(self, client: aiomqtt.Client) -> None:
        self._client = client
        self._generation += 1
        self._metrics.mqtt_connected.set(1)
        log.info("mqtt_connected", generation=self._generation)

    async def _read_until_stopped(self, client: aiomqtt.Client) -> None:
        reader = asyncio.create_task(self._read(client, self._generation))
        stopper = asyncio.create_task(self._stop_reading.wait())
        done, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done:
            stopper.cancel()
            reader.result()  # the broker went away: raises MqttError
            return
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        self._reading_stopped.set()

    async def _read(self, client: aiomqtt.Client, generation: int) -> None:
        async for message in client.messages:
            payload = message.payload
            raw = payload if isinstance(payload, bytes) else str(payload).encode()
            await self._route(message.topic.value, raw, self._settler(client, generation, message))

    def _settler(
        self, client: aiomqtt.Client, generation: int, message: aiomqtt.Message
    ) -> Callable[[], None]:
        def settle_once_stored() -> None:
            # After a reconnect the broker resends unacknowledged messages with new packet
            # ids; acknowledging an old id on the new connection would ack the wrong one.
            if generation == self._generation and self._client is client:
                settle(client, message)

        return settle_once_stored

    async def publish(self, topic: str, payload: bytes) -> None:
        """Queue a QoS 1 message on the current connection, without waiting for its PUBACK.

        Used for receipts: a receipt lost on the way is asked for again by the home unit,
        which resends the event.

        Raises:
            NotConnectedError: no connection now.
            aiomqtt.MqttError: the client could not queue it.
        """
        client = self._client
        if client is None:
            raise NotConnectedError("no broker connection")
        publish_nowait(client, topic, payload, qos=1)

    async def stop_reading(self) -> None:
        """Stop taking messages in, keeping the connection for receipts still to be sent."""
        self._stop_reading.set()
        await self._reading_stopped.wait()

    def release(self) -> None:
        """Let :meth:`run` disconnect and return."""
        self._release.set()
