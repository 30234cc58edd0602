"""The child processes of a phase: publishers of one-event batches, and a plain subscriber.

Each builds its payloads first, says it is ready, and starts on the crew's signal, so that the
phase measures publishing alone; it reports back on the crew's queue and waits to be released.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, TypeAlias

from bench.common.crew import reporting_failure
from bench.common.output import BenchError
from bench.common.services import connect
from bench.ingest.database import DEVICE, LOCATION
from bench.ingest.links import AckTracker, Window, subscribe, wait_event
from protocol import ROOT, Channel, EventBatch, EventKind, Motion, MotionEvent, encode, topic

if TYPE_CHECKING:
    from collections.abc import Sequence
    from multiprocessing.queues import Queue
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Event as ProcessEvent

    from bench.common.crew import Message
    from bench.common.output import Report
    from bench.common.services import MqttTarget
    from runtime.mqtt_link import MqttLink

EVENTS_FILTER = f"{ROOT}/+/{Channel.EVENTS.value}"
SUBSCRIBER_RECEIVE_MAXIMUM = 4000
"""The plain subscriber asks for as many unacknowledged messages as the hub does by default."""
READY_TIMEOUT_S = 180.0
"""Publishers build their payloads before they say ready; a big phase takes a while."""
START_POLL_S = 0.002
"""How late a publisher may start after the others (the blast phase counts from the first)."""
RELEASE_POLL_S = 0.05
PHASE_TIMEOUT_S = 600.0
ACK_GRACE_S = 10.0

Mode: TypeAlias = Literal["blast", "timed", "paced"]


@dataclass(frozen=True, slots=True)
class PublisherJob:
    """What one publisher process does in one phase."""

    index: int
    phase: str
    target: MqttTarget
    homes: tuple[str, ...]
    mode: Mode
    """blast: ``events`` new events as fast as allowed; timed: cycle through ``events``
    payloads for ``seconds``; paced: ``events`` new events at ``rate`` per second."""
    events: int
    seconds: float = 0.0
    rate: float = 0.0
    window: int = 1000
    seq_base: int = 0


def build_payloads(job: PublisherJob) -> list[tuple[str, bytes, str]]:
    """(topic, encoded one-event batch, event id) for every event of ``job``, homes in turn."""
    items = []
    count = len(job.homes)
    for k in range(job.events):
        home = job.homes[k % count]
        event_id = uuid.uuid4()
        batch = EventBatch(
            home_id=home,
            events=[
                MotionEvent(
                    event_id=event_id,
                    home_id=home,
                    device_id=DEVICE,
                    ts=datetime.now(UTC),
                    seq=job.seq_base + k // count,
                    location=LOCATION,
                    kind=EventKind.MOTION,
                    value=Motion(detected=True),
                )
            ],
        )
        items.append((topic(home, Channel.EVENTS), encode(batch), str(event_id)))
    return items


def publisher(
    job: PublisherJob, results: Queue[Message], start: ProcessEvent, release: ProcessEvent
) -> None:
    """Child process: build, connect, say ready, publish on ``start``, report, wait ``release``."""
    with reporting_failure(results, job.index):
        items = build_payloads(job)
        asyncio.run(publish_job(job, items, results, start, release))


async def publish_job(
    job: PublisherJob,
    items: Sequence[tuple[str, bytes, str]],
    results: Queue[Message],
    start: ProcessEvent,
    release: ProcessEvent,
) -> None:
    """What :func:`publisher` does once the payloads are built, on one link."""
    link = await connect(job.target, f"bench-{job.phase}-{job.index}-{os.getpid()}")
    try:
        # In a task group, so that a reader that fails fails the phase.
        async with asyncio.TaskGroup() as tasks:
            tracker = AckTracker(len(items))
            reading = None
            if job.mode == "paced":
                await subscribe(link, [topic(home, Channel.ACKS) for home in job.homes])
                reading = tasks.create_task(tracker.follow(link))
            window = Window(link, job.window)
            results.put(("ready", job.index, None))
            if not await wait_event(start, READY_TIMEOUT_S, START_POLL_S):
                raise BenchError("no start signal")
            if job.mode == "blast":
                report = await blast(window, items)
            elif job.mode == "timed":
                report = await timed(window, items, job.seconds)
            else:
                report = await paced(window, items, job.rate, tracker)
            results.put(("done", job.index, report))
            await wait_event(release, PHASE_TIMEOUT_S, RELEASE_POLL_S)
            if reading is not None:
                reading.cancel()
    finally:
        await link.close()


async def blast(window: Window, items: Sequence[tuple[str, bytes, str]]) -> Report:
    """Publish every item as fast as the window allows; wait for the PUBACKs."""
    first = time.monotonic()
    for where, payload, _ in items:
        await window.publish(where, payload)
    await window.drain()
    return {"published": window.sent, "first": first, "done": time.monotonic()}


async def timed(window: Window, items: Sequence[tuple[str, bytes, str]], seconds: float) -> Report:
    """Publish the items over and over, as fast as the window allows, for ``seconds``."""
    first = time.monotonic()
    deadline, n = first + seconds, 0
    while time.monotonic() < deadline:
        for _ in range(256):
            where, payload, _event_id = items[n % len(items)]
            await window.publish(where, payload)
            n += 1
    await window.drain()
    return {"published": window.sent, "first": first, "done": time.monotonic()}


async def paced(
    window: Window, items: Sequence[tuple[str, bytes, str]], rate: float, tracker: AckTracker
) -> Report:
    """Publish at ``rate`` per second, noting each publish time; wait for the acks."""
    first = time.perf_counter()
    for n, (where, payload, event_id) in enumerate(items):
        # Yield even when behind schedule: the link writes and reads only while we wait.
        await asyncio.sleep(max(0.0, first + n / rate - time.perf_counter()))
        tracker.sent[event_id] = time.perf_counter()
        await window.publish(where, payload)
    last = time.perf_counter()
    await window.drain()
    await tracker.wait(last + ACK_GRACE_S - time.perf_counter())
    return {
        "published": window.sent,
        "rate": len(items) / (last - first) if last > first else 0.0,
        "latency_ms": [s * 1000 for s in tracker.latency_s.values()],
        "missing": len(items) - len(tracker.latency_s),
        "duplicates": tracker.duplicates,
        "unknown": tracker.unknown,
    }


def plain_subscriber(
    target: MqttTarget,
    results: Queue[Message],
    received: Synchronized[int],
    last_at: Synchronized[float],
    release: ProcessEvent,
) -> None:
    """Child process: count messages on every home's events topic, acknowledging each."""
    with reporting_failure(results, -1):
        asyncio.run(count_deliveries(target, results, received, last_at, release))


async def count_deliveries(
    target: MqttTarget,
    results: Queue[Message],
    received: Synchronized[int],
    last_at: Synchronized[float],
    release: ProcessEvent,
) -> None:
    """What :func:`plain_subscriber` does, on one link."""
    link = await connect(
        target, f"bench-plain-{os.getpid()}", receive_maximum=SUBSCRIBER_RECEIVE_MAXIMUM
    )
    try:
        await subscribe(link, [EVENTS_FILTER])
        async with asyncio.TaskGroup() as tasks:
            counting = tasks.create_task(count_into(link, received, last_at))
            results.put(("ready", -1, None))
            await wait_event(release, PHASE_TIMEOUT_S, RELEASE_POLL_S)
            counting.cancel()
    finally:
        await link.close()


async def count_into(
    link: MqttLink, received: Synchronized[int], last_at: Synchronized[float]
) -> None:
    """Acknowledge every message ``link`` receives and count it, until cancelled."""
    count = 0
    while True:
        packets = await link.received()
        for packet in packets:
            link.ack(packet.packet_id)
        count += len(packets)
        # Once per batch: each shared value takes a lock between processes.
        received.value = count
        last_at.value = time.monotonic()
