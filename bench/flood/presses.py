"""The quiet homes' panic presses, each timed from its publish to the hub's ack naming it."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bench.common.output import BenchError, percentile_cuts
from bench.common.services import CONNECT_TIMEOUT_S, connect
from protocol import (
    ROOT,
    Ack,
    Channel,
    EventBatch,
    EventKind,
    ProtocolError,
    Trigger,
    TriggerEvent,
    channel_for,
    decode,
    encode,
    topic,
)

if TYPE_CHECKING:
    import random
    from collections.abc import Sequence

    from bench.common.output import Report
    from bench.common.services import MqttTarget
    from runtime.mqtt_link import MqttLink

PENDANT = "pendant"
SEQ_BASE = 1_000_000_000
"""Presses' sequence numbers start here."""
ACKS_FILTER = f"{ROOT}/+/{Channel.ACKS.value}"
POLL_S = 0.02
TARGET_MS = 100.0
"""The issue's target for the p99 of a press, whatever another home does."""


@dataclass(slots=True)
class Press:
    """One panic press, and when the ack naming it arrived."""

    home_id: str
    event_id: uuid.UUID
    sent: float
    """``time.perf_counter()`` just before the publish."""
    sent_at: float
    """``time.monotonic()`` at the same moment (the clock the other processes share)."""
    acked: float | None = None
    """``time.perf_counter()`` when the ack arrived."""

    @property
    def latency_s(self) -> float | None:
        """Publish to ack, if acked."""
        return None if self.acked is None else self.acked - self.sent


def home_of(where: str) -> str:
    """The home id of a topic of the v1 tree ("" when it is not one)."""
    prefix = ROOT + "/"
    return where[len(prefix) :].split("/", 1)[0] if where.startswith(prefix) else ""


def press_payload(home_id: str, seq: int) -> tuple[str, bytes, uuid.UUID]:
    """(topic, payload, event id) of one panic press from ``home_id``, as its unit sends it."""
    event_id = uuid.uuid4()
    batch = EventBatch(
        home_id=home_id,
        events=[
            TriggerEvent(
                event_id=event_id,
                home_id=home_id,
                device_id=PENDANT,
                ts=datetime.now(UTC),
                seq=seq,
                kind=EventKind.PANIC_BUTTON,
                value=Trigger(active=True),
            )
        ],
    )
    return topic(home_id, channel_for(batch)), encode(batch), event_id


@dataclass
class Presser:
    """Publishes presses from the quiet homes and follows their acks on one link."""

    link: MqttLink
    homes: Sequence[str]
    rng: random.Random
    seq: int = SEQ_BASE
    waiting: dict[uuid.UUID, Press] = field(default_factory=dict)
    """Presses not acked yet, by event id."""
    undecodable: int = 0
    _quiet: frozenset[str] = frozenset()
    _reading: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, target: MqttTarget, homes: Sequence[str], rng: random.Random) -> Presser:
        """Connect, subscribe to every home's acks and start reading them."""
        link = await connect(target, f"bench-flood-presser-{uuid.uuid4().hex[:8]}")
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                await link.subscribe([ACKS_FILTER], qos=1)
        except TimeoutError:
            await link.close()
            raise BenchError(f"no SUBACK in {CONNECT_TIMEOUT_S} s") from None
        presser = cls(link, homes, rng, _quiet=frozenset(homes))
        presser._reading = asyncio.create_task(presser.follow())
        return presser

    async def close(self) -> None:
        """Stop reading acks and disconnect."""
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
        await self.link.close()

    async def follow(self) -> None:
        """Note every ack naming a press, acknowledging each message, until cancelled.

        Acks of other homes (the registered flood's stored events) are acknowledged unread.
        """
        while True:
            packets = await self.link.received()
            now = time.perf_counter()
            for packet in packets:
                if home_of(packet.topic) in self._quiet:
                    self.note(packet.payload, now)
                self.link.ack(packet.packet_id)

    def note(self, payload: bytes, now: float) -> None:
        """Mark the presses the ack names as committed, at ``now``."""
        try:
            ack = decode(Channel.ACKS, payload)
        except ProtocolError:
            self.undecodable += 1
            return
        if not isinstance(ack, Ack):
            self.undecodable += 1
            return
        for event_id in ack.committed:
            press = self.waiting.pop(event_id, None)
            if press is not None:
                press.acked = now

    def press(self, home_id: str) -> Press:
        """Publish one panic press from ``home_id``, QoS 1."""
        self.seq += 1
        where, payload, event_id = press_payload(home_id, self.seq)
        press = Press(home_id, event_id, time.perf_counter(), time.monotonic())
        self.waiting[event_id] = press
        self.link.publish(where, payload, qos=1)
        return press

    async def presses(self, count: int, spacing_s: float, timeout_s: float) -> list[Press]:
        """``count`` presses ``spacing_s`` apart from random quiet homes; wait for their acks.

        Each press gets ``timeout_s`` from its publish; the wait ends when every press is
        acked or the last one's time is up.
        """
        start = time.perf_counter()
        made = []
        for k in range(count):
            await asyncio.sleep(max(0.0, start + k * spacing_s - time.perf_counter()))
            made.append(self.press(self.rng.choice(self.homes)))
        deadline = time.perf_counter() + timeout_s
        while self.waiting and time.perf_counter() < deadline:  # noqa: ASYNC110 - acks are counted, not signalled
            await asyncio.sleep(POLL_S)
        if not self.link.is_open:
            await self.link.closed()  # raises, saying why
        if self.link.refused_publishes:
            raise BenchError(f"the broker refused {self.link.refused_publishes} presses")
        self.waiting.clear()  # the missing ones are not waited for again
        return made


def figures(presses: Sequence[Press], timeout_s: float) -> Report:
    """Latency percentiles of the presses acked within ``timeout_s``, and how many were not."""
    latencies = sorted(
        1000 * s for p in presses if (s := p.latency_s) is not None and s <= timeout_s
    )
    cuts = percentile_cuts(latencies)
    return {
        "p50_ms": round(cuts[49], 2) if cuts else None,
        "p99_ms": round(cuts[98], 2) if cuts else None,
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "presses": len(presses),
        "missing": len(presses) - len(latencies),
        "over_target": sum(ms > TARGET_MS for ms in latencies),
    }
