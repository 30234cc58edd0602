"""The publishers' side of MQTT: QoS 1 with a window of unacknowledged messages, receipts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING

from bench.common.output import BenchError
from bench.common.services import CONNECT_TIMEOUT_S

if TYPE_CHECKING:
    from collections.abc import Sequence
    from multiprocessing.synchronize import Event as ProcessEvent

    from runtime.mqtt_link import MqttLink

PUBACK_TIMEOUT_S = 60.0
WINDOW_POLL_S = 0.001
SUBSCRIBE_CHUNK = 100


async def subscribe(link: MqttLink, topic_filters: Sequence[str]) -> None:
    """Subscribe (QoS 1) to ``topic_filters``, at most SUBSCRIBE_CHUNK per SUBSCRIBE."""
    chunks = [
        topic_filters[i : i + SUBSCRIBE_CHUNK]
        for i in range(0, len(topic_filters), SUBSCRIBE_CHUNK)
    ]
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await asyncio.gather(*(link.subscribe(chunk, qos=1) for chunk in chunks))
    except TimeoutError:
        raise BenchError(f"no SUBACK in {CONNECT_TIMEOUT_S} s") from None


async def wait_event(event: ProcessEvent, timeout_s: float, poll_s: float) -> bool:
    """Whether ``event`` is set within ``timeout_s``.

    Polled rather than waited for in a thread: the loop keeps serving the link meanwhile
    (keepalive, receipts), and a thread blocked in ``wait`` would hold up the loop's shutdown
    after an error, and with it the error's report.
    """
    deadline = time.monotonic() + timeout_s
    while not event.is_set():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(poll_s)
    return True


class Window:
    """Publishes QoS 1 on a link with at most ``size`` messages waiting for their PUBACK."""

    def __init__(self, link: MqttLink, size: int) -> None:
        """Publish on ``link``."""
        self._link = link
        self._size = size
        self.sent = 0

    async def publish(self, where: str, payload: bytes) -> None:
        """Publish once fewer than ``size`` messages are unacknowledged."""
        if self._link.inflight >= self._size:
            await self._room()
        self._link.publish(where, payload, qos=1)
        self.sent += 1

    async def _room(self) -> None:
        # The link wakes nobody per PUBACK, so poll. A window's worth of PUBACKs takes tens of
        # milliseconds to come back at these rates, so the window never runs dry meanwhile.
        deadline = time.monotonic() + PUBACK_TIMEOUT_S
        while self._link.inflight >= self._size:
            if not self._link.is_open:
                await self._link.closed()  # raises, saying why
            if time.monotonic() > deadline:
                raise BenchError(f"no PUBACK for {PUBACK_TIMEOUT_S} s")
            await asyncio.sleep(WINDOW_POLL_S)

    async def drain(self) -> None:
        """Wait until every message sent has its PUBACK.

        Raises:
            BenchError: PUBACKs are missing after PUBACK_TIMEOUT_S, or the broker refused
                messages (they would never reach the hub, and the phase would stall).
            LinkClosedError: the connection closed first.
        """
        try:
            async with asyncio.timeout(PUBACK_TIMEOUT_S):
                await self._link.drained()
        except TimeoutError:
            raise BenchError(f"{self._link.inflight} PUBACKs missing") from None
        if not self._link.is_open:
            await self._link.closed()
        if self._link.refused_publishes:
            raise BenchError(f"the broker refused {self._link.refused_publishes} messages")


class AckTracker:
    """Publish times of events, and when the receipt naming each one arrived."""

    def __init__(self, expected: int) -> None:
        """Nothing sent yet; ``expected`` events will be."""
        self.sent: dict[str, float] = {}
        self.latency_s: dict[str, float] = {}
        self.duplicates = 0
        self.unknown = 0
        self._expected = expected
        self._all_acked = asyncio.Event()

    async def follow(self, link: MqttLink) -> None:
        """Note and acknowledge every receipt ``link`` receives, until cancelled."""
        while True:
            packets = await link.received()
            now = time.perf_counter()
            for packet in packets:
                self.note(packet.payload, now)
                link.ack(packet.packet_id)

    def note(self, payload: bytes, now: float) -> None:
        """Note the first receipt of every event id the ack names."""
        try:
            committed = json.loads(payload)["committed"]
        except (ValueError, KeyError, TypeError):
            self.unknown += 1
            return
        for event_id in committed:
            sent_at = self.sent.get(event_id)
            if sent_at is None:
                self.unknown += 1
            elif event_id in self.latency_s:
                self.duplicates += 1
            else:
                self.latency_s[event_id] = now - sent_at
        if len(self.latency_s) >= self._expected:
            self._all_acked.set()

    async def wait(self, timeout_s: float) -> None:
        """Wait until every expected event is acked, for at most ``timeout_s``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._all_acked.wait()
