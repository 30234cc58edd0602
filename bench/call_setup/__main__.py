"""``python -m bench.call_setup``: the services, hub, unit and browser up; the calls; the result."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
import time
from typing import TYPE_CHECKING

import aiohttp
import psutil
import psycopg
from playwright.async_api import async_playwright

import bench.call_setup
from bench.call_setup import say
from bench.call_setup.console import (
    CHROMIUM_ARGS,
    ConsoleCaller,
    SocketSteps,
    chromium_path,
    open_console,
    write_tone,
)
from bench.call_setup.reference import Reference
from bench.call_setup.system import HOME, Setup, prepare, running_hub, running_unit
from bench.call_setup.timing import (
    LIMIT_STAGES,
    OPERATOR_AMPLITUDE,
    OPERATOR_HZ,
    POLL_S,
    STAGES,
    figures,
)
from bench.common.machine import cpu_percent, cpu_sample, database_backends, loadavg
from bench.common.output import limit_ratio, run_and_print
from bench.common.services import DISTRICT, stage

if TYPE_CHECKING:
    from bench.call_setup.timing import Timing
    from bench.common.machine import CpuSample
    from bench.common.output import Report

TARGET_P50_MS = 1000.0
"""The issue's figure to reach on loopback."""


def cpu_used(database_url: str, broker_pid: int | None) -> CpuSample:
    """CPU used so far by this process, the browser, Playwright's driver, broker, database."""
    me = psutil.Process()
    roles: dict[str, list[int]] = {
        "bench": [me.pid],
        "browser": [],
        "playwright_driver": [],
        "broker": [],
        "db_backends": [],
    }
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            name = child.name()
            if child.pid == broker_pid:
                roles["broker"].append(child.pid)
            elif name.startswith("node"):  # Playwright's Node.js driver ("node-MainThread")
                roles["playwright_driver"].append(child.pid)
            elif not name.startswith(("postgres", "pg_ctl")):
                roles["browser"].append(child.pid)  # Chromium's processes, the driver's children
    with psycopg.connect(database_url, autocommit=True) as conn:
        roles["db_backends"] = database_backends(conn)
    return cpu_sample(roles)


async def measure(setup: Setup) -> Report:
    """The hub, the unit and the browser up; warm-up; the calls, interleaved with the reference."""
    args = setup.args
    tone = setup.workdir / "operator-440hz.wav"
    write_tone(tone, OPERATOR_HZ, OPERATOR_AMPLITUDE)
    reference = Reference()
    async with (
        running_hub(setup) as base,
        running_unit(setup) as unit,
        async_playwright() as playwright,
    ):
        say(f"hub at {base}; home unit {HOME} connected")
        browser = await playwright.chromium.launch(
            executable_path=setup.chromium,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={tone}"],
        )
        try:
            say(f"chromium {browser.version}")
            steps = SocketSteps()
            page = await open_console(browser, base, setup.password, steps)
            caller = ConsoleCaller(page, unit, steps, args.timeout, args.pause)
            await caller.claim_alarm()
            say("signed in, alarm claimed; warm-up calls")
            warmup = await caller.call()
            limit_warmup = await reference.call(args.timeout)
            console_calls: list[Timing] = []
            reference_calls: list[Timing] = []
            load_before = loadavg()
            cpu_before = cpu_used(setup.database_url, setup.services.broker_pid)
            for number in range(1, args.calls + 1):
                console_calls.append(await caller.call())
                reference_calls.append(await reference.call(args.timeout))
                say(
                    f"call {number}/{args.calls}: console {console_calls[-1].total_ms} ms,"
                    f" reference {reference_calls[-1].total_ms} ms"
                )
            cpu = cpu_percent(cpu_before, cpu_used(setup.database_url, setup.services.broker_pid))
            load_after = loadavg()
            version = browser.version
        finally:
            await browser.close()
            await reference.close()
    console = figures(console_calls, STAGES)
    limit = figures(reference_calls, LIMIT_STAGES)
    return {
        "calls": args.calls,
        "failed": console["failed"],
        "p50_ms": console["p50_ms"],
        "p95_ms": console["p95_ms"],
        "max_ms": console["max_ms"],
        "min_ms": console["min_ms"],
        "target_p50_ms": TARGET_P50_MS,
        "meets_target": console["p50_ms"] is not None and console["p50_ms"] <= TARGET_P50_MS,
        "stages_ms": console["stages_ms"],
        "calls_ms": console["calls_ms"],
        "limit_p50_ms": limit["p50_ms"],
        "limit_p95_ms": limit["p95_ms"],
        "limit_max_ms": limit["max_ms"],
        "limit_failed": limit["failed"],
        "limit_stages_ms": limit["stages_ms"],
        "ratio_p50": limit_ratio(console["p50_ms"], limit["p50_ms"], 2),
        "warmup_ms": warmup.total_ms,
        "limit_warmup_ms": limit_warmup.total_ms,
        "cpu_percent": cpu,
        "loadavg": {"before": load_before, "after": load_after},
        "browser": version,
    }


def run(args: argparse.Namespace, chromium: str) -> Report:
    """Start the services, measure, stop everything."""
    began = time.monotonic()
    with stage("bench-call-", say) as on:
        services, database_url = on.services, on.database_url
        password = secrets.token_urlsafe(16)
        asyncio.run(prepare(database_url, password))
        say(f"home {HOME} registered in district {DISTRICT!r} with a resident")
        setup = Setup(args, services, database_url, on.workdir, password, chromium)
        measured = asyncio.run(measure(setup))
        return {
            "benchmark": "call_setup",
            **measured,
            "timeout_s": args.timeout,
            "pause_s": args.pause,
            "poll_ms": round(1000 * POLL_S),
            "broker": services.broker,
            "database": services.database_kind,
            "wall_s": round(time.monotonic() - began, 1),
        }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.call_setup",
        description=(bench.call_setup.__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--calls", type=int, default=20, help="console calls measured")
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds a call may take to carry audio"
    )
    parser.add_argument(
        "--pause", type=float, default=1.0, help="seconds between a call's end and the next"
    )
    args = parser.parse_args()
    if args.calls <= 0 or args.timeout <= 0 or args.pause < 0:
        parser.error("--calls and --timeout must be positive, --pause not negative")
    chromium = chromium_path()
    if chromium is None:
        print(
            "bench.call_setup needs Debian's Chromium on PATH (chromium or chromium-browser);"
            " install it with: apt-get install -y chromium",
            file=sys.stderr,
        )
        sys.exit(2)
    run_and_print(say, lambda: run(args, chromium), (aiohttp.ClientError, TimeoutError))


if __name__ == "__main__":
    main()
