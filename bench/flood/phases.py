"""The run's phases: the quiet homes' presses alone, then beside each kind of flood."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg

from bench.common.crew import crew
from bench.common.machine import cpu_percent, cpu_sample
from bench.common.output import BenchError
from bench.flood import say
from bench.flood.flooder import READY_TIMEOUT_S, FloodJob, flooder
from bench.flood.hub_side import (
    RATE_LIMITED,
    Counters,
    Letters,
    PeakRss,
    grown,
    letters,
    log_lines_since,
    log_size,
)
from bench.flood.presses import Presser, figures

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from multiprocessing.context import SpawnContext

    from bench.common.crew import Crew
    from bench.common.hubs import Hub
    from bench.common.machine import CpuSample, ServicePids
    from bench.common.output import Report
    from bench.common.services import MqttTarget
    from bench.flood.presses import Press

PRESS_SPACING_S = 0.02
"""Between two presses' publishes."""
DRAIN_POLL_S = 0.02
STALL_S = 30.0
"""A flood's drain fails when the hub's counters do not move for this long."""
DONE_TIMEOUT_S = 120.0
SETTLE_TIMEOUT_S = 15.0
"""The hub stores the counts of unkept refusals every 5 s; this leaves room for one more."""
SETTLE_POLL_S = 0.1


@dataclass
class Run:
    """One run's fixed parts, and the flood's CPU time kept for the run's figures."""

    args: argparse.Namespace
    context: SpawnContext
    target: MqttTarget
    hub: Hub
    services: ServicePids
    database_url: str
    quiet: Sequence[str]
    flooders_s: dict[int, float] = field(default_factory=dict)
    """CPU seconds each flood process used in its phase, by pid."""

    async def measure(self, flood_homes: dict[str, str]) -> tuple[dict[str, Report], Report]:
        """The idle phase, then a flood phase per (name, flooding home); CPU over them all."""
        rng = random.Random(self.args.seed)  # noqa: S311 - choosing homes, not secrets
        presser = await Presser.open(self.target, self.quiet, rng)
        try:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                before = self.cpu_used(conn, [])
                phases = {"idle": await self.phase("idle", presser, conn, None)}
                for name, home in flood_homes.items():
                    with crew(self.context) as team:
                        job = FloodJob(self.target, home, self.args.flood)
                        team.add(flooder, job, team.results, team.start, team.release)
                        say(f"{name}: building {self.args.flood} messages from {home!r}")
                        await asyncio.to_thread(team.wait_for, "ready", 1, READY_TIMEOUT_S)
                        phases[name] = await self.phase(name, presser, conn, team)
                after = self.cpu_used(conn, [])
        finally:
            await presser.close()
        # Each flood process counts with what it used in its phase (it has ended since).
        after.used_s.update({("flooder", pid): s for pid, s in self.flooders_s.items()})
        return phases, cpu_percent(before, after)

    def cpu_used(self, conn: psycopg.Connection[Any], flooders: list[int]) -> CpuSample:
        """CPU times now, by role: the services, the flood process and this process."""
        roles = self.services.roles(conn)
        return cpu_sample({**roles, "flooder": flooders, "bench": [os.getpid()]})

    async def phase(
        self, name: str, presser: Presser, conn: psycopg.Connection[Any], team: Crew | None
    ) -> Report:
        """Presses, beside the flood ``team`` makes (none: idle); what the hub went through."""
        hub, flooders = self.hub, team.pids() if team else []
        counters, held = Counters.of(hub), letters(conn)
        log_from, cpu_before = log_size(hub.log), self.cpu_used(conn, flooders)
        rss = PeakRss(hub.process.pid).start()
        say(f"{name}: {self.args.presses} presses" + (f", {self.args.flood} flood" if team else ""))
        began = team.go() if team else time.monotonic()
        drained_at = None
        pressing = asyncio.create_task(
            presser.presses(self.args.presses, PRESS_SPACING_S, self.args.timeout)
        )
        try:
            if team:
                drained_at = await self.drain(counters)
                done = await asyncio.to_thread(team.wait_for, "done", 1, DONE_TIMEOUT_S)
            presses = await pressing
            settle_s = await self.settle(counters, conn)
        finally:
            if not pressing.done():
                pressing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pressing
            peak_mb = rss.stop()
        ended = time.monotonic()
        cpu_after = self.cpu_used(conn, flooders)
        self.flooders_s.update(
            {
                pid: used - cpu_before.used_s.get((role, pid), 0.0)
                for (role, pid), used in cpu_after.used_s.items()
                if role == "flooder"
            }
        )
        result = figures(presses, self.args.timeout)
        if team:
            result |= flood_figures(done[0], drained_at, presses, self.args.flood)
        result |= hub_figures(Counters.of(hub), counters, letters(conn), held)
        result |= {
            "hub_peak_rss_mb": peak_mb,
            "hub_log_lines": log_lines_since(hub.log, log_from),
            "settle_s": None if settle_s is None else round(settle_s, 2),
            "seconds": round(ended - began, 2),
            "cpu_percent": cpu_percent(cpu_before, cpu_after),
        }
        say(
            f"{name}: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms,"
            f" max {result['max_ms']} ms, missing {result['missing']}"
            + (f", drained in {result['drain_s']} s" if team else "")
        )
        return result

    async def drain(self, before: Counters) -> float:
        """Wait until the hub has taken the whole flood off MQTT; the time it had.

        That is, until the messages it received on other channels than ``up/alarms`` (the
        presses') have grown by the flood's size, or the messages it refused have.
        """
        target, seen, moved = self.args.flood, (-1.0, -1.0), time.monotonic()
        while True:
            now = await asyncio.to_thread(Counters.of, self.hub)
            at = time.monotonic()
            got = now.received_besides_alarms - before.received_besides_alarms
            refused = sum(now.rejected.values()) - sum(before.rejected.values())
            if got >= target or refused >= target:
                return at
            if (got, refused) != seen:
                seen, moved = (got, refused), at
            elif at - moved > STALL_S:
                raise BenchError(f"the hub took {got:.0f} of {target} messages, then stopped")
            await asyncio.sleep(DRAIN_POLL_S)

    async def settle(self, before: Counters, conn: psycopg.Connection[Any]) -> float | None:
        """Wait until what the hub took in is written; how long that took (None: not in time).

        The refusals it kept are rows in ``dead_letters``, those it only counted are summed
        in ``dead_letter_counts`` (stored every few seconds), and every event it accepted
        (received, not rate-limited) is stored. The hub started on an empty database, so its
        counters since it started are the tables' contents.
        """
        start = time.monotonic()
        while True:
            now = await asyncio.to_thread(Counters.of, self.hub)
            table = await asyncio.to_thread(letters, conn)
            if settled(now, before, table):
                return time.monotonic() - start
            if time.monotonic() - start > SETTLE_TIMEOUT_S:
                return None
            await asyncio.sleep(SETTLE_POLL_S)


def settled(now: Counters, before: Counters, table: Letters) -> bool:
    """Whether the tables and the stored events have caught up with the hub's counters."""
    rejected, unkept = sum(now.rejected.values()), sum(now.unkept.values())
    kept = table.rows == rejected - unkept
    counted = table.counted is None or table.counted == unkept
    limited = now.rejected.get(RATE_LIMITED, 0.0) - before.rejected.get(RATE_LIMITED, 0.0)
    accepted = now.events_received - before.events_received - limited
    stored = (
        now.events_stored + now.events_duplicate - before.events_stored - before.events_duplicate
    )
    return kept and counted and stored >= accepted


def flood_figures(
    done: Report, drained_at: float | None, presses: Sequence[Press], size: int
) -> Report:
    """The flood's own figures: its publishing, the hub's drain, the presses made meanwhile."""
    first = done["first"]
    return {
        "flood_messages": size,
        "flood_publish_s": round(done["done"] - first, 2),
        "drain_s": None if drained_at is None else round(drained_at - first, 2),
        "presses_in_flood": sum(
            1 for p in presses if drained_at is not None and p.sent_at < drained_at
        ),
    }


def hub_figures(after: Counters, before: Counters, table: Letters, held: Letters) -> Report:
    """What the phase cost the hub: its refusals by reason, the dead-letter tables' growth."""
    return {
        "events_stored": round(after.events_stored - before.events_stored),
        "messages_rejected": grown(after.rejected, before.rejected),
        "messages_rejected_unkept": grown(after.unkept, before.unkept),
        "dead_letters_rows": table.rows - held.rows,
        "dead_letters_bytes": table.bytes - held.bytes,
        "dead_letter_counts": (
            None if table.counted is None or held.counted is None else table.counted - held.counted
        ),
    }
