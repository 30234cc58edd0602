"""``python -m bench.wellbeing_checks``: build the centre, time both moments, print the result."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import psutil
import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

import bench.wellbeing_checks
from bench.common.machine import loadavg
from bench.common.output import Report, run_and_print
from bench.common.services import OPERATOR, fresh_database, start_database
from bench.wellbeing_checks import say
from bench.wellbeing_checks.loading import Conn, load_state, prepare
from bench.wellbeing_checks.people import MOMENTS, make_homes, moment, state_at
from bench.wellbeing_checks.timing import CpuClock, Pool, explain, measure
from hub.alarms import supervision
from hub.alarms.lifecycle import AlarmState
from hub.storage import alarm_changes, wellbeing_checks

DEFAULT_DAY = date(2026, 11, 24)
"""A Tuesday after the clocks went back, so four weeks of history are all on one offset."""
CLOSED_AFTER = timedelta(minutes=15)
"""The night's alarms are resolved this long after 03:00."""
TABLES = (
    "homes",
    "home_activity",
    "sensor_state",
    "devices",
    "home_rules",
    "home_baselines",
    "activity_hourly",
    "events",
    "alarms",
)
SERVER_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "jit", "fsync")


async def close_alarms(conn: Conn, now: datetime) -> int:
    """Operators claim and resolve every open alarm the rules raised; how many."""
    cursor = await conn.execute(
        "SELECT alarm_id FROM alarms WHERE state = 'raised' AND kind <> %s",
        (supervision.UNIT_OFFLINE,),
    )
    closed = 0
    for (alarm_id,) in await cursor.fetchall():
        await alarm_changes.claim(conn, alarm_id, OPERATOR, now)
        await alarm_changes.transition(
            conn,
            alarm_id,
            AlarmState.RESOLVED,
            actor=OPERATOR,
            now=now,
            detail={"outcome": "bench"},
        )
        closed += 1
    return closed


async def renew_all(conn: Conn, now: datetime) -> int:
    """Renew every baseline still due, as the loop would have by ``now``; how many."""
    renewed = 0
    while done := await wellbeing_checks.refresh_baselines(conn, now):
        renewed += done
    return renewed


async def table_rows(conn: Conn) -> dict[str, int]:
    """Rows in each table the rules read (estimates would do; these are exact)."""
    sizes = {}
    for table in TABLES:
        cursor = await conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        )
        row = await cursor.fetchone()
        sizes[table] = int(row[0]) if row else 0
    return sizes


async def server_facts(conn: Conn) -> dict[str, str]:
    """The server's version and the settings that matter here."""
    cursor = await conn.execute(
        "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY(%s)",
        (list(SERVER_SETTINGS),),
    )
    facts = {str(name): str(value) for name, value in await cursor.fetchall()}
    cursor = await conn.execute("SHOW server_version")
    row = await cursor.fetchone()
    facts["version"] = str(row[0]) if row else "?"
    return facts


async def run_async(database_url: str, args: argparse.Namespace, cpu: CpuClock) -> Report:
    """Everything after the database exists."""
    people = make_homes(args.homes, args.seed, args.day)
    moments = {label: moment(args.day, label) for label in MOMENTS}
    report: Report = {}
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        started = time.monotonic()
        history = await prepare(database_url, conn, people, args)
        say(f"rollup of {args.history_homes} homes ({history} rows) and baselines stored")
        pool: Pool = AsyncConnectionPool(
            database_url, min_size=2, max_size=2, kwargs={"autocommit": True}, open=False
        )
        await pool.open(wait=True)
        try:
            for label, now in moments.items():
                if label == "morning":
                    closed = await close_alarms(conn, moments["night"] + CLOSED_AFTER)
                    say(f"operators closed the night's {closed} alarms")
                await load_state(conn, state_at(people, label, now, args.seed))
                if label == "morning":
                    say(f"{await renew_all(conn, now)} baselines renewed before the morning")
                say(f"{label} state stored ({time.monotonic() - started:.0f} s so far)")
                report[label] = await measure(conn, pool, now, args.rounds, cpu)
                if args.explain_ms is not None:
                    report.setdefault("explained", {})[label] = await explain(
                        database_url, now, args.explain_ms
                    )
        finally:
            await pool.close()
        report["rows"] = await table_rows(conn)
        report["database_facts"] = await server_facts(conn)
    return report


def run(args: argparse.Namespace) -> Report:
    """Start the database, build the centre, measure, stop everything."""
    began = time.monotonic()
    load_start = loadavg()
    cpu = CpuClock()
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-wb-")))
        admin_url, kind = start_database(stack, workdir, say)
        database_url = fresh_database(stack, admin_url)
        measured = asyncio.run(run_async(database_url, args, cpu))
    slower = max(("night", "morning"), key=lambda label: measured[label]["round"]["p50_ms"])
    worst = measured[slower]
    return {
        "benchmark": "wellbeing_checks",
        "homes": args.homes,
        "round_ms": worst["round"]["p50_ms"],
        "first_round_ms": worst["round"]["first_ms"],
        "scan_ms": worst["scan_ms"],
        "ratio": worst["ratio"],
        "loop_share": worst["loop_share"],
        "slower_moment": slower,
        "night": measured["night"],
        "morning": measured["morning"],
        "explained": measured.get("explained"),
        "rows": measured["rows"],
        "history_homes": args.history_homes,
        "rounds": args.rounds,
        "seed": args.seed,
        "day": args.day.isoformat(),
        "database": {"kind": kind, **measured["database_facts"]},
        "load": {
            "loadavg_start": load_start,
            "loadavg_end": loadavg(),
            "machine_cpu_percent": cpu.percent(),
            "machine_cores": psutil.cpu_count(),
        },
        "wall_s": round(time.monotonic() - began, 1),
    }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.wellbeing_checks",
        description=(bench.wellbeing_checks.__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--homes", type=int, default=100_000, help="homes in the centre")
    parser.add_argument("--rounds", type=int, default=5, help="timed calls of each kind")
    parser.add_argument("--seed", type=int, default=7, help="for every random choice")
    parser.add_argument(
        "--day", type=date.fromisoformat, default=DEFAULT_DAY, help="the local day (ISO)"
    )
    parser.add_argument(
        "--explain-ms", type=float, help="log plans of statements slower than this (ms)"
    )
    args = parser.parse_args()
    if args.homes < 1 or args.rounds < 2:
        parser.error("--homes must be positive and --rounds at least 2")
    per_call = wellbeing_checks.BASELINES_PER_CHECK
    args.history_homes = min(args.homes, per_call * (args.rounds + 1))
    run_and_print(say, lambda: run(args))


if __name__ == "__main__":
    main()
