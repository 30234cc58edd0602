"""The noisy home: a child process publishing one home's flood as fast as the broker takes it.

It builds every payload first, says it is ready, and publishes on the crew's signal, so that
the phase measures publishing alone and the presses, timed in the parent, share no event loop
with it. It reports back on the crew's queue and waits to be released.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bench.common.crew import reporting_failure
from bench.common.output import BenchError
from bench.common.services import connect
from protocol import EventBatch, EventKind, Motion, MotionEvent, channel_for, encode, topic

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event as ProcessEvent

    from bench.common.crew import Message
    from bench.common.output import Report
    from bench.common.services import MqttTarget
    from runtime.mqtt_link import MqttLink

DEVICE, LOCATION = "pir-hall", "hall"
WINDOW = 1000
"""Messages the flood keeps unacknowledged by the broker at most (as bench.ingest's publishers)."""
WINDOW_POLL_S = 0.001
PUBACK_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 180.0
START_POLL_S = 0.002
RELEASE_POLL_S = 0.05
RELEASE_TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True)
class FloodJob:
    """Who floods, how much, and where to."""

    target: MqttTarget
    home_id: str
    messages: int
    seq_base: int = 0


def flood_payloads(home_id: str, count: int, seq_base: int = 0) -> list[tuple[str, bytes]]:
    """(topic, payload) of ``count`` one-event motion batches from ``home_id``, new event ids.

    Each is valid, as the home's unit would send it: on ``up/events``.
    """
    items = []
    for k in range(count):
        batch = EventBatch(
            home_id=home_id,
            events=[
                MotionEvent(
                    event_id=uuid.uuid4(),
                    home_id=home_id,
                    device_id=DEVICE,
                    ts=datetime.now(UTC),
                    seq=seq_base + k,
                    location=LOCATION,
                    kind=EventKind.MOTION,
                    value=Motion(detected=True),
                )
            ],
        )
        items.append((topic(home_id, channel_for(batch)), encode(batch)))
    return items


def flooder(
    job: FloodJob, results: Queue[Message], start: ProcessEvent, release: ProcessEvent
) -> None:
    """Child process: build, connect, say ready, flood on ``start``, report, wait ``release``."""
    with reporting_failure(results, 0):
        items = flood_payloads(job.home_id, job.messages, job.seq_base)
        asyncio.run(flood(job, items, results, start, release))


async def flood(
    job: FloodJob,
    items: list[tuple[str, bytes]],
    results: Queue[Message],
    start: ProcessEvent,
    release: ProcessEvent,
) -> None:
    """What :func:`flooder` does once the payloads are built, on one link."""
    link = await connect(job.target, f"bench-flood-{job.home_id}-{os.getpid()}")
    try:
        results.put(("ready", 0, None))
        if not await wait_event(start, READY_TIMEOUT_S, START_POLL_S):
            raise BenchError("no start signal")
        report = await publish_all(link, items)
        results.put(("done", 0, report))
        await wait_event(release, RELEASE_TIMEOUT_S, RELEASE_POLL_S)
    finally:
        await link.close()


async def publish_all(link: MqttLink, items: list[tuple[str, bytes]]) -> Report:
    """Publish every item QoS 1, ``WINDOW`` unacknowledged at most; wait for the PUBACKs."""
    first = time.monotonic()
    deadline = first + PUBACK_TIMEOUT_S
    for where, payload in items:
        while link.inflight >= WINDOW:
            # The link wakes nobody per PUBACK, so poll; a window's worth of PUBACKs takes
            # longer to come back than the poll, so the window never runs dry meanwhile.
            if not link.is_open:
                await link.closed()  # raises, saying why
            if time.monotonic() > deadline:
                raise BenchError(f"no PUBACK for {PUBACK_TIMEOUT_S} s")
            await asyncio.sleep(WINDOW_POLL_S)
        deadline = time.monotonic() + PUBACK_TIMEOUT_S
        link.publish(where, payload, qos=1)
    try:
        async with asyncio.timeout(PUBACK_TIMEOUT_S):
            await link.drained()
    except TimeoutError:
        raise BenchError(f"{link.inflight} PUBACKs missing") from None
    if not link.is_open:
        await link.closed()
    if link.refused_publishes:
        raise BenchError(f"the broker refused {link.refused_publishes} flood messages")
    return {"published": len(items), "first": first, "done": time.monotonic()}


async def wait_event(event: ProcessEvent, timeout_s: float, poll_s: float) -> bool:
    """Whether ``event`` is set within ``timeout_s``, polled so the link keeps being served."""
    deadline = time.monotonic() + timeout_s
    while not event.is_set():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(poll_s)
    return True
