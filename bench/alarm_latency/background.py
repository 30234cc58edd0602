"""The background: every home's normal running at speed 1, in a child process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bench.alarm_latency import say
from bench.common.crew import reporting_failure
from bench.common.output import BenchError
from bench.common.services import mqtt_options
from device_sim.simulation import EventLog, LoadEmitter, SimClock, Simulation, make_homes
from runtime.logs import configure_logging

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event as ProcessEvent

    from bench.common.crew import Message
    from bench.common.services import MqttTarget

HOME_PREFIX = "sim"
PROGRESS_EVERY_S = 10.0
RELEASE_POLL_S = 0.2


@dataclass(frozen=True, slots=True)
class BackgroundJob:
    """Which homes the background runs, and where it sends."""

    target: MqttTarget
    homes: int
    seed: int
    nice: int
    burst: bool
    """Every home in step (heartbeats at once, thermometers at :00 and :30)."""


def background(job: BackgroundJob, results: Queue[Message], release: ProcessEvent) -> None:
    """Child process: run the homes live until ``release``; report ("ready", "done")."""
    with reporting_failure(results, 0):
        configure_logging("warning")
        if job.nice:
            os.nice(job.nice)
        asyncio.run(run_background(job, results, release))


async def run_background(
    job: BackgroundJob, results: Queue[Message], release: ProcessEvent
) -> None:
    """What :func:`background` does: days worked out, connected, then live at speed 1."""
    started = time.monotonic()
    homes = make_homes(job.homes, job.seed, HOME_PREFIX, synchronized=job.burst)
    # The first tick would work out every home's days at once, stalling the run for minutes
    # at 100,000 homes: do it before connecting, with progress.
    now = datetime.now(UTC)
    next_note = time.monotonic() + PROGRESS_EVERY_S
    for done, home in enumerate(homes, 1):
        home.readings(now, now)
        if time.monotonic() >= next_note:
            next_note += PROGRESS_EVERY_S
            say(f"background: days worked out for {done} of {len(homes)} homes")
    prepared_s = time.monotonic() - started
    emitter = LoadEmitter(
        mqtt_options(job.target), EventLog(None), client_prefix=f"bench-bg-{os.getpid()}"
    )
    await emitter.start(homes)
    simulation = Simulation(homes, emitter, SimClock(datetime.now(UTC), 1.0), seed=job.seed)
    running = asyncio.create_task(simulation.run(progress_every_s=3600.0))
    try:
        results.put(("ready", 0, {"prepared_s": prepared_s}))
        while not release.is_set():
            if running.done():
                running.result()  # raises what ended it
                raise BenchError("the simulation ended early")
            await asyncio.sleep(RELEASE_POLL_S)
        report = {
            "readings": simulation.sent_readings,
            "acked": emitter.acked,
            "unacked": emitter.pending(),
        }
        results.put(("done", 0, report))
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await emitter.stop()
