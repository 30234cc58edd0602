"""``python -m bench.flood``: start the services and the hub, measure each phase, print."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from typing import TYPE_CHECKING

import bench.flood
from bench.common.hubs import hub_environment, hub_settings, start_hubs
from bench.common.machine import ServicePids
from bench.common.output import run_and_print
from bench.common.services import prepare_schema, stage
from bench.flood import say
from bench.flood.phases import PRESS_SPACING_S, Run
from bench.flood.presses import TARGET_MS
from hub.config import HubSettings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bench.common.output import Report

QUIET_PREFIX = "quiet"
FLOOD_UNREGISTERED = "flood-home"
"""The noisy home of the first flood: not registered, as a unit set up with a wrong id."""
FLOOD_REGISTERED = "flood-registered"
"""The noisy home of the second flood: registered, sending far over its rate."""
FLOOD_SETTINGS = ("home_rate_per_s", "home_burst", "dead_letters_per_minute")
"""The hub settings that decide what a flood costs, reported beside bench.common's."""


def flood_settings(env: Mapping[str, str]) -> dict[str, object]:
    """The settings of :data:`FLOOD_SETTINGS` the hub runs with (None: it has no such one)."""
    prefix = "TELECARE_"
    values = {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}
    settings = HubSettings.model_validate(values)
    return {name: getattr(settings, name, None) for name in FLOOD_SETTINGS}


def run(args: argparse.Namespace) -> Report:
    """Start the services and the hub, measure the phases, stop everything."""
    began = time.monotonic()
    quiet = [f"{QUIET_PREFIX}-{n:03d}" for n in range(args.quiet_homes)]
    with stage("bench-flood-", say) as on:
        services, database_url = on.services, on.database_url
        asyncio.run(prepare_schema(database_url, [*quiet, FLOOD_REGISTERED]))
        say(f"{len(quiet)} quiet homes and {FLOOD_REGISTERED!r} registered")
        # No hub flags here: TELECARE_* variables pass through to the hub.
        env = hub_environment(services, database_url)
        (hub,) = start_hubs(on.stack, 1, env, on.workdir)
        say("hub ready")
        bench_run = Run(
            args,
            multiprocessing.get_context("spawn"),
            services.target,
            hub,
            ServicePids([hub.process.pid], services.broker_pid),
            database_url,
            quiet,
        )
        floods = {"flood_unregistered": FLOOD_UNREGISTERED, "flood_registered": FLOOD_REGISTERED}
        phases, cpu = asyncio.run(bench_run.measure(floods))
        return {
            "benchmark": "flood",
            "flood": args.flood,
            "presses": args.presses,
            "quiet_homes": args.quiet_homes,
            "press_spacing_ms": round(1000 * PRESS_SPACING_S),
            "timeout_s": args.timeout,
            "target_p99_ms": TARGET_MS,
            "flood_homes": floods,
            "phases": phases,
            "hub": {**hub_settings(env), **flood_settings(env)},
            "broker": services.broker,
            "database": services.database_kind,
            "cpu_percent": cpu,
            "seed": args.seed,
            "wall_s": round(time.monotonic() - began, 1),
        }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.flood", description=(bench.flood.__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--flood", type=int, default=50_000, help="messages in each flood, from one home"
    )
    parser.add_argument("--presses", type=int, default=100, help="panic presses per phase")
    parser.add_argument("--quiet-homes", type=int, default=10, help="homes the presses come from")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds a press may take to be acked"
    )
    parser.add_argument("--seed", type=int, default=1, help="which quiet home makes each press")
    args = parser.parse_args()
    if min(args.flood, args.presses, args.quiet_homes, args.timeout) <= 0:
        parser.error("every count and --timeout must be positive")
    run_and_print(say, lambda: run(args))


if __name__ == "__main__":
    main()
