"""The run's phases: presses with the console listening, idle and under the homes' traffic."""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import psycopg

from bench.alarm_latency import say
from bench.alarm_latency.background import BackgroundJob, background
from bench.alarm_latency.console import Console, Presser
from bench.alarm_latency.figures import (
    figures,
    half_hours_between,
    hub_received,
    hub_times,
    last_heartbeat_round,
)
from bench.common.machine import cpu_percent, cpu_sample
from bench.common.output import BenchError
from bench.common.services import OPERATOR, connect
from protocol import Channel

if TYPE_CHECKING:
    import argparse

    from bench.common.crew import Crew
    from bench.common.hubs import Hub
    from bench.common.machine import CpuSample, ServicePids
    from bench.common.output import Report
    from bench.common.services import MqttTarget

READY_TIMEOUT_S = 1800.0
"""Working out 100,000 homes' days takes minutes on this machine."""
ONLINE_TIMEOUT_S = 300.0
DONE_TIMEOUT_S = 60.0


@dataclass
class Run:
    """One run's fixed parts and what the phases found."""

    args: argparse.Namespace
    homes: list[str]
    database_url: str
    target: MqttTarget
    hub: Hub
    cpu: ServicePids
    team: Crew
    console_password: str

    def cpu_used(self) -> CpuSample:
        """CPU times now, by role: the services, the background (the crew's) and this process."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            services = self.cpu.roles(conn)
        return cpu_sample({**services, "background": self.team.pids(), "bench": [os.getpid()]})

    async def phase(self, name: str, presser: Presser) -> tuple[Report, dict[str, Any]]:
        """Measure one phase: figures, and what the hub received meanwhile."""
        await presser.console.listen()
        say(f"{name}: {self.args.presses} presses over {self.args.seconds} s")
        before_msgs, before_cpu = hub_received(self.hub), self.cpu_used()
        began, began_wall = time.monotonic(), time.time()
        presses = await presser.phase(self.args.seconds, self.args.presses, self.args.timeout)
        ended, ended_wall = time.monotonic(), time.time()
        after_msgs, cpu = hub_received(self.hub), cpu_percent(before_cpu, self.cpu_used())
        received, raised = await hub_times(self.database_url, presses)
        result = figures(presses, self.args.timeout, received, raised, began_wall)
        result["cpu_percent"] = cpu
        say(
            f"{name}: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms,"
            f" max {result['max_ms']} ms, missing {result['missing']}"
        )
        moved = {ch: after_msgs.get(ch, 0.0) - before_msgs.get(ch, 0.0) for ch in after_msgs}
        moved[Channel.ALARMS.value] = moved.get(Channel.ALARMS.value, 0.0) - len(presses)
        traffic = {
            "heartbeat_round": await last_heartbeat_round(self.database_url, began_wall),
            "moved": moved,
            "seconds": ended - began,
            "temperature_rounds": (
                half_hours_between(began_wall, ended_wall) if self.args.burst else None
            ),
        }
        return result, traffic

    async def start_background(self, console: Console) -> float:
        """Start the homes' normal running; wait until the hub has every home's status."""
        began = time.monotonic()
        job = BackgroundJob(
            self.target, len(self.homes), self.args.seed, self.args.nice, self.args.burst
        )
        self.team.add(background, job, self.team.results, self.team.release)
        say(f"background: starting {len(self.homes)} homes")
        ready = await asyncio.to_thread(self.team.wait_for, "ready", 1, READY_TIMEOUT_S)
        say(f"background: days worked out in {ready[0]['prepared_s']:.1f} s; connected")
        async with await psycopg.AsyncConnection.connect(
            self.database_url, autocommit=True
        ) as conn:
            deadline = time.monotonic() + ONLINE_TIMEOUT_S
            while True:
                cursor = await conn.execute("SELECT count(*) FROM presence WHERE online")
                row = await cursor.fetchone()
                online = int(row[0]) if row else 0
                if online >= len(self.homes):
                    break
                if time.monotonic() > deadline:
                    raise BenchError(f"only {online} homes online after {ONLINE_TIMEOUT_S} s")
                await asyncio.sleep(0.5)
        start_s = time.monotonic() - began
        say(f"background: every home online at the hub after {start_s:.1f} s")
        await asyncio.sleep(self.args.settle)
        if not console.listening:
            say("console: opening the stream again")
        return start_s

    async def stop_background(self) -> dict[str, Any]:
        """Release the background; what it says it sent."""
        self.team.release.set()
        done = await asyncio.to_thread(self.team.wait_for, "done", 1, DONE_TIMEOUT_S)
        report: dict[str, Any] = done[0]
        return report

    async def measure(self) -> Report:
        """Both phases, with one console and one presser link."""
        base = f"http://127.0.0.1:{self.hub.port}"
        link = await connect(self.target, f"bench-presser-{os.getpid()}")
        cookies = aiohttp.CookieJar(unsafe=True)  # the hub is on an IP address
        async with aiohttp.ClientSession(cookie_jar=cookies) as http:
            console = Console(base, http)
            try:
                await console.login(OPERATOR, self.console_password)
                rng = random.Random(self.args.seed)  # noqa: S311 - choosing homes, not secrets
                presser = Presser(link, console, self.homes, rng)
                idle, _ = await self.phase("idle", presser)
                start_s = await self.start_background(console)
                loaded, traffic = await self.phase("under background", presser)
                await console.stop_listening()
                sent = await self.stop_background()
            finally:
                await console.stop_listening()
                await link.close()
        seconds = traffic["seconds"]
        moved: dict[str, float] = traffic["moved"]
        return {
            **{f"idle_{k}": v for k, v in idle.items()},
            **loaded,
            "background_msgs_per_s": round(sum(moved.values()) / seconds, 1),
            "background_per_s_by_channel": {k: round(v / seconds, 1) for k, v in moved.items()},
            "heartbeat_rounds": round(moved.get(Channel.HEARTBEAT.value, 0.0) / len(self.homes), 2),
            "last_heartbeat_round": traffic["heartbeat_round"],
            "temperature_rounds": traffic["temperature_rounds"],
            "background_unacked": sent["unacked"],
            "background_start_s": round(start_s, 1),
            "console_dropped": console.dropped,
            "console_heard": dict(console.heard),
            "cancel_failed": console.cancel_failed,
        }
