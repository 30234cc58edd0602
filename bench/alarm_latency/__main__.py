"""``python -m bench.alarm_latency``: start the services and the hub, measure, print."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import secrets
import time
from typing import TYPE_CHECKING

import aiohttp
import psycopg

import bench.alarm_latency
from bench.alarm_latency import say
from bench.alarm_latency.background import HOME_PREFIX
from bench.alarm_latency.phases import Run
from bench.common.crew import crew
from bench.common.hubs import hub_environment, hub_settings, start_hubs
from bench.common.machine import ServicePids
from bench.common.output import run_and_print
from bench.common.services import DISTRICT, OPERATOR, prepare_schema, stage
from device_sim.simulation import make_homes
from hub.auth import users

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bench.common.output import Report


async def prepare(database_url: str, homes: Sequence[str], password: str) -> None:
    """Schema, partitions and homes (as every benchmark does), and the operator."""
    await prepare_schema(database_url, homes)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await users.add_user(conn, OPERATOR, password, users.Role.OPERATOR, [DISTRICT])


def run(args: argparse.Namespace) -> Report:
    """Start the services and the hub, measure both phases, stop everything."""
    began = time.monotonic()
    homes = [home.home_id for home in make_homes(args.homes, args.seed, HOME_PREFIX)]
    with stage("bench-alarm-", say) as on:
        services, database_url = on.services, on.database_url
        password = secrets.token_urlsafe(16)
        asyncio.run(prepare(database_url, homes, password))
        say(f"{len(homes)} homes registered in district {DISTRICT!r}")
        # No hub flags here: TELECARE_* variables pass through to the hub.
        env = hub_environment(services, database_url)
        (hub,) = start_hubs(on.stack, 1, env, on.workdir)
        say("hub ready")
        team = on.stack.enter_context(crew(multiprocessing.get_context("spawn")))
        bench = Run(
            args,
            homes,
            database_url,
            services.target,
            hub,
            ServicePids([hub.process.pid], services.broker_pid),
            team,
            password,
        )
        measured = asyncio.run(bench.measure())
        return {
            "benchmark": "alarm_latency",
            "homes": args.homes,
            "seconds": args.seconds,
            "presses": args.presses,
            "burst": args.burst,
            **measured,
            "timeout_s": args.timeout,
            "settle_s": args.settle,
            "background_nice": args.nice,
            "seed": args.seed,
            "hub": hub_settings(env),
            "broker": services.broker,
            "database": services.database_kind,
            "wall_s": round(time.monotonic() - began, 1),
        }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.alarm_latency",
        description=(bench.alarm_latency.__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--homes", type=int, default=10_000, help="homes registered and running")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--presses", type=int, default=200, help="panic presses per phase")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds a press may take to be announced"
    )
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds of background before the presses"
    )
    parser.add_argument("--seed", type=int, default=1, help="the simulated people and the presses")
    parser.add_argument(
        "--nice", type=int, default=10, help="the background's CPU priority (0: as the services)"
    )
    parser.add_argument(
        "--burst",
        action="store_true",
        help="every home in step: all heartbeats at once each minute, thermometers at :00 and :30",
    )
    args = parser.parse_args()
    if min(args.homes, args.seconds, args.presses, args.timeout) <= 0 or args.settle < 0:
        parser.error("every count and time must be positive")
    if not 0 <= args.nice <= 19:
        parser.error("--nice is from 0 to 19")
    run_and_print(say, lambda: run(args), (aiohttp.ClientError,))


if __name__ == "__main__":
    main()
