"""The phases of the run: the broker's limit, the hubs' ingest, the receipts' latency."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg

from bench.common.crew import Crew, crew
from bench.common.machine import cpu_percent, cpu_sample
from bench.common.output import BenchError, percentile_cuts
from bench.ingest import say
from bench.ingest.database import count_events
from bench.ingest.publishers import (
    ACK_GRACE_S,
    PHASE_TIMEOUT_S,
    READY_TIMEOUT_S,
    PublisherJob,
    plain_subscriber,
    publisher,
)
from protocol import Channel

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from multiprocessing.context import SpawnContext

    from bench.common.hubs import Hub
    from bench.common.machine import CpuSample, ServicePids
    from bench.common.output import Report
    from bench.common.services import MqttTarget
    from bench.ingest.publishers import Mode

STALL_S = 30.0
"""A phase fails when nothing moves for this long."""
TIMED_DISTINCT_PAYLOADS = 5000
"""Payloads each publisher cycles through in the broker-limit phase (ids need not be new)."""
COUNTERS = {
    f'telecare_messages_received_total{{channel="{Channel.EVENTS.value}"}}': "messages",
    "telecare_acks_sent_total": "acks",
    "telecare_batch_events_sum": "batched_events",
    "telecare_batch_events_count": "batches",
    "telecare_flush_seconds_sum": "flush_s",
}
"""Hub metrics read before and after a phase (by prefix: flush time is summed over lanes)."""


@dataclass
class Bench:
    """One run's fixed parts: where things are, who publishes what."""

    args: argparse.Namespace
    context: SpawnContext
    target: MqttTarget
    homes: list[str]
    database_url: str
    phases: int = 0

    def jobs(
        self, mode: Mode, events: int, *, seconds: float = 0.0, rate: float = 0.0
    ) -> list[PublisherJob]:
        """One job per publisher for a new phase, ``events`` split evenly between them."""
        self.phases += 1
        count = self.args.publishers
        return [
            PublisherJob(
                index=i,
                phase=f"{self.phases}{mode}",
                target=self.target,
                homes=tuple(self.homes[i::count]),
                mode=mode,
                events=events // count + (1 if i < events % count else 0),
                window=self.args.window,
                seconds=seconds,
                rate=rate,
                seq_base=self.phases * 10_000_000,
            )
            for i in range(count)
        ]

    def launch(self, team: Crew, jobs: Sequence[PublisherJob]) -> None:
        """Start the publishers of ``jobs`` and wait until they are ready."""
        for job in jobs:
            team.add(publisher, job, team.results, team.start, team.release)
        team.wait_for("ready", len(jobs), READY_TIMEOUT_S)

    def broker_limit(self) -> float:
        """Messages per second delivered to one plain subscriber while publishers blast."""
        with crew(self.context) as team:
            received = self.context.Value("q", 0)
            last_at = self.context.Value("d", 0.0)
            team.add(plain_subscriber, self.target, team.results, received, last_at, team.release)
            team.wait_for("ready", 1, READY_TIMEOUT_S)
            seconds = self.args.seconds
            jobs = self.jobs(
                "timed", TIMED_DISTINCT_PAYLOADS * self.args.publishers, seconds=seconds
            )
            self.launch(team, jobs)
            team.go()
            reports = team.wait_for("done", len(jobs), seconds + PHASE_TIMEOUT_S)
            published = sum(r["published"] for r in reports.values())
            first = min(r["first"] for r in reports.values())
            seen, moved = received.value, time.monotonic()
            while received.value < published and time.monotonic() - moved < 5:
                time.sleep(0.05)
                if received.value != seen:
                    seen, moved = received.value, time.monotonic()
            got = received.value
            say(f"broker: {published} published, {got} delivered to the plain subscriber")
            if not got:
                raise BenchError("the plain subscriber received nothing")
            return float(got / (last_at.value - first))

    def hub_blast(self, events: int, hubs: Sequence[Hub], *, cpu_of: ServicePids | None) -> Report:
        """Publish ``events`` as fast as allowed; time until all are rows in ``events``."""
        with (
            psycopg.connect(self.database_url, autocommit=True) as conn,
            crew(self.context) as team,
        ):
            base = count_events(conn)
            jobs = self.jobs("blast", events)
            self.launch(team, jobs)
            before = hub_counters(hubs)
            cpu_before = self._cpu(cpu_of, conn, team) if cpu_of else None
            released = team.go()
            done_at = wait_for_rows(conn, base + events, released)
            cpu = (
                cpu_percent(cpu_before, self._cpu(cpu_of, conn, team))
                if cpu_of and cpu_before
                else {}
            )
            reports = team.wait_for("done", len(jobs), PHASE_TIMEOUT_S)
            first = min(r["first"] for r in reports.values())
            elapsed = done_at - first
            after = hub_counters(hubs)
            moved = {key: after[key] - before[key] for key in after}
            return {
                "events_per_s": events / elapsed,
                "messages_per_s": moved["messages"] / elapsed,
                "acks_per_event": moved["acks"] / events,
                "mean_batch_events": moved["batched_events"] / max(1.0, moved["batches"]),
                "flush_share": moved["flush_s"] / elapsed,
                "ingest_s": elapsed,
                "publish_s": max(r["done"] for r in reports.values()) - first,
                "cpu_percent": cpu,
            }

    def latency(self, rate: float) -> Report:
        """Ack latency with the publishers paced together at ``rate`` events per second."""
        seconds = self.args.seconds
        per_publisher = rate / self.args.publishers
        events = math.ceil(per_publisher * seconds) * self.args.publishers
        with crew(self.context) as team:
            jobs = self.jobs("paced", events, rate=per_publisher)
            self.launch(team, jobs)
            team.go()
            reports = team.wait_for("done", len(jobs), seconds + ACK_GRACE_S + PHASE_TIMEOUT_S)
        latencies = sorted(ms for r in reports.values() for ms in r["latency_ms"])
        cuts = percentile_cuts(latencies)
        return {
            "ack_p50_ms": round(cuts[49], 2) if cuts else None,
            "ack_p99_ms": round(cuts[98], 2) if cuts else None,
            "paced_per_s": round(sum(r["rate"] for r in reports.values())),
            "acks_received": len(latencies),
            "acks_missing": sum(r["missing"] for r in reports.values()),
            "acks_duplicate": sum(r["duplicates"] for r in reports.values()),
        }

    @staticmethod
    def _cpu(services: ServicePids, conn: psycopg.Connection[Any], team: Crew) -> CpuSample:
        """CPU used so far by the services and the phase's publishers."""
        return cpu_sample({**services.roles(conn), "publishers": team.pids()})


def wait_for_rows(conn: psycopg.Connection[Any], target: int, since: float) -> float:
    """Poll ``count(*)`` until it reaches ``target``; the time it did."""
    seen, moved = count_events(conn), time.monotonic()
    first = seen
    while True:
        now = time.monotonic()
        rows = count_events(conn)
        if rows >= target:
            return time.monotonic()
        if rows != seen:
            seen, moved = rows, now
        if now - moved > STALL_S or now - since > PHASE_TIMEOUT_S:
            raise BenchError(f"stuck at {rows} of {target} rows in events")
        # Poll often near the end, rarely before: count(*) is work for the database too.
        rate = (rows - first) / (now - since) if rows > first else 0.0
        left = (target - rows) / rate if rate else 0.25
        time.sleep(min(0.25, max(0.005, left / 4)))


def hub_counters(hubs: Sequence[Hub]) -> dict[str, float]:
    """The counters this benchmark reads, summed over the hubs."""
    totals = dict.fromkeys(COUNTERS.values(), 0.0)
    for hub in hubs:
        for name, value in hub.metrics().items():
            for prefix, key in COUNTERS.items():
                if name.startswith(prefix):
                    totals[key] += value
    return totals
