"""``python -m bench.dashboards``: build the centre's history, time the social workers' reads."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import psutil
import psycopg

import bench.dashboards
from bench.common.hubs import hub_environment, start_hubs
from bench.common.machine import ServicePids, cpu_percent, cpu_sample, loadavg
from bench.common.output import Report, run_and_print
from bench.common.services import stage
from bench.dashboards import say
from bench.dashboards.history import Plan, district_of, home_id
from bench.dashboards.limits import copy_limits
from bench.dashboards.loading import TABLES, session_replication, write_history
from bench.dashboards.nightly import time_nightly
from bench.dashboards.pages import read_all
from bench.dashboards.quality import measure_quality
from bench.dashboards.raw import work_out_raw_days, write_raw_events
from bench.dashboards.reviews import review_nights
from hub.auth import users
from hub.storage import homes as home_register
from hub.storage import migrate
from hub.zones import DEFAULT_TIME_ZONE, zone_of

if TYPE_CHECKING:
    from bench.common.services import Stage

SOCIAL_WORKER = "bench-social"
JOINED_BEFORE = timedelta(days=30)
"""The homes joined the service this long before their history begins."""
RAW_MARGIN_DAYS = 2
"""Raw events begin this many days before the first raw day, so its night is in them."""
SERVER_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "jit", "fsync")
SIZED_TABLES = (*TABLES, "events", "homes", "devices")
ESTIMATE_SCALE = (10_000, 365, 30)
"""The issue's scale (homes, days, raw days), estimated from this run's rates."""
ESTIMATE_NIGHTS = 31
"""Nights of the review list in the estimate: a month's."""


def the_plan(args: argparse.Namespace, end: datetime) -> tuple[Plan, date]:
    """The history's span and the last day (the one the nightly run works out)."""
    zone = zone_of(DEFAULT_TIME_ZONE)
    last = end.astimezone(zone).date() - timedelta(days=1)
    first = last - timedelta(days=args.days - 1)
    start = datetime.combine(first, datetime.min.time(), zone)
    plan = Plan(
        seed=args.seed,
        zone_name=DEFAULT_TIME_ZONE,
        first_day=first,
        last_day=last - timedelta(days=args.raw_days),
        raw_from=end - timedelta(days=args.raw_days + RAW_MARGIN_DAYS),
        end=end,
        district_homes=args.district_homes,
        created_at=start - JOINED_BEFORE,
    )
    return plan, last


def report_month(first: date, last: date) -> date | None:
    """The last whole calendar month from ``first`` to ``last`` (its first day), if any."""
    month = last.replace(day=1)
    if (last + timedelta(days=1)).day != 1:
        month = (month - timedelta(days=1)).replace(day=1)
    return month if month >= first else None


async def register(database_url: str, args: argparse.Namespace, plan: Plan) -> str:
    """Migrate, register the homes by district as joined before the history, add the reader."""
    password = secrets.token_urlsafe(16)
    districts: dict[str, list[str]] = {}
    for index in range(1, args.homes + 1):
        districts.setdefault(district_of(index, args.district_homes), []).append(home_id(index))
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        for district, ids in districts.items():
            await home_register.register(conn, ids, district)
        await conn.execute("UPDATE homes SET created_at = %s", (plan.created_at,))
        await users.add_user(
            conn, SOCIAL_WORKER, password, users.Role.SOCIAL_WORKER, sorted(districts)
        )
    return password


async def finish(database_url: str) -> Report:
    """Analyse the tables for the planner; their rows and sizes, and the server's facts.

    The rows are ANALYZE's estimates (counting a year's rollup would take a minute); the sizes
    are exact, indexes included.
    """
    report: Report = {"tables": {}}
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("ANALYZE")
        for table in SIZED_TABLES:
            # A partitioned table's own figures are nothing: its partitions' are added up.
            cursor = await conn.execute(
                "WITH parts AS (SELECT %(t)s::regclass AS r UNION ALL"
                " SELECT inhrelid FROM pg_inherits WHERE inhparent = %(t)s::regclass)"
                " SELECT sum(greatest(c.reltuples, 0)), sum(pg_total_relation_size(c.oid))"
                " FROM parts JOIN pg_class c ON c.oid = parts.r WHERE c.relkind <> 'p'",
                {"t": table},
            )
            row = await cursor.fetchone()
            rows, size = row or (0, 0)
            report["tables"][table] = {"rows": int(rows), "mb": round(int(size) / 1e6, 1)}
        cursor = await conn.execute(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY(%s)",
            (list(SERVER_SETTINGS),),
        )
        report["database"] = {str(name): str(value) for name, value in await cursor.fetchall()}
        cursor = await conn.execute("SHOW server_version")
        row = await cursor.fetchone()
        report["database"]["version"] = str(row[0]) if row else "?"
        cursor = await conn.execute("SELECT pg_database_size(current_database())")
        row = await cursor.fetchone()
        report["database"]["size_mb"] = round(int(row[0]) / 1e6, 1) if row else None
    return report


def per_home_day(seconds: float, homes: int, days: int) -> float | None:
    """``seconds`` per home and day, in ms."""
    return round(1000 * seconds / (homes * days), 4) if homes and days else None


def build(
    on: Stage, args: argparse.Namespace, plan: Plan, last: date, month: date | None
) -> Report:
    """Make the whole history; what each stage did and took."""
    url = on.database_url
    stages: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        stages[name] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    password = asyncio.run(register(url, args, plan))
    lap("register_s")
    limits = copy_limits(url, plan)
    say(f"COPY limits: {limits}")
    lap("copy_limits_s")
    written = write_history(url, plan, args.homes, args.processes, args.chunk)
    lap("history_s")
    raw_span = args.raw_days + RAW_MARGIN_DAYS
    events, raw_cpu = write_raw_events(
        url, plan, homes=args.homes, start=plan.raw_from, end=plan.end, processes=args.processes
    )
    lap("raw_events_s")
    first_raw = plan.last_day + timedelta(days=1)
    worked = work_out_raw_days(url, args.homes, first_raw, last - timedelta(days=1), args.processes)
    say(f"raw days worked out: {worked} home-days")
    lap("raw_indicators_s")
    nights = (month or last, last - timedelta(days=1))
    ids = [home_id(index) for index in range(1, args.homes + 1)]
    opened = review_nights(
        url, plan.zone_name, ids, first=nights[0], last=nights[1], processes=args.processes
    )
    say(f"review list: {opened} entries opened over the nights {nights[0]} to {nights[1]}")
    lap("review_nights_s")
    facts = asyncio.run(finish(url))
    lap("analyse_s")
    build_s = sum(stages.values()) - stages["copy_limits_s"]
    copy_rows = sum(written.rows.values())
    raw_days_worked = max(0, args.raw_days - 1)
    return {
        "password": password,
        "build_s": round(build_s, 1),
        "stages_s": stages,
        "history": {
            "days": plan.days,
            "first_day": plan.first_day.isoformat(),
            "last_day": plan.last_day.isoformat(),
            "rows": dict(written.rows),
            "simulate_cpu_ms_per_home_day": per_home_day(written.simulate_s, args.homes, plan.days),
            "compute_cpu_ms_per_home_day": per_home_day(written.compute_s, args.homes, plan.days),
            "worker_cpu_ms_per_home_day": per_home_day(written.cpu_s, args.homes, plan.days),
            "wall_ms_per_home_day": per_home_day(stages["history_s"], args.homes, plan.days),
            "copy_rows_per_s": round(copy_rows / written.copy_s) if written.copy_s else None,
            "copy_wall_s": round(written.copy_s, 1),
            "skips_triggers": session_replication(url),
        },
        "copy_limit_rows_per_s": limits,
        "raw": {
            "days": args.raw_days,
            "events_from": plan.raw_from.isoformat(),
            "events_until": plan.end.isoformat(),
            "events": events,
            "events_per_s": round(events / stages["raw_events_s"])
            if stages["raw_events_s"]
            else None,
            "writer_cpu_s": round(raw_cpu, 1),
            "wall_ms_per_home_day": per_home_day(stages["raw_events_s"], args.homes, raw_span),
            "indicator_home_days": worked,
            "indicators_wall_ms_per_home_day": per_home_day(
                stages["raw_indicators_s"], args.homes, raw_days_worked
            ),
        },
        "review_nights": {
            "first": nights[0].isoformat(),
            "last": nights[1].isoformat(),
            "entries_opened": opened,
            "wall_ms_per_home_night": per_home_day(
                stages["review_nights_s"], args.homes, (nights[1] - nights[0]).days + 1
            ),
        },
        **facts,
    }


def estimate(built: Report) -> Report:
    """The build at the issue's scale, from this run's rates per home-day (linear)."""
    homes, days, raw_days = ESTIMATE_SCALE
    history = built["history"]["wall_ms_per_home_day"] or 0.0
    raw = built["raw"]["wall_ms_per_home_day"] or 0.0
    worked = built["raw"]["indicators_wall_ms_per_home_day"] or 0.0
    reviewed = built["review_nights"]["wall_ms_per_home_night"] or 0.0
    seconds = homes * (
        (days - raw_days) * history
        + (raw_days + RAW_MARGIN_DAYS) * raw
        + (raw_days - 1) * worked
        + ESTIMATE_NIGHTS * reviewed
    )
    return {
        "homes": homes,
        "days": days,
        "raw_days": raw_days,
        "review_nights": ESTIMATE_NIGHTS,
        "build_s": round(seconds / 1000),
        "note": "this run's wall time per home-day of each stage, times the issue's home-days",
    }


def catch_up(database_url: str, plan: Plan, args: argparse.Namespace) -> Report:
    """The homes' raw events from the history's end to now, so the hub finds them all living.

    The build takes a while: without these, the hub's wellbeing rules would find every home
    still since the history ended, and raise their alarms while the pages are timed.
    """
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.monotonic()
    events, _ = write_raw_events(
        database_url, plan, homes=args.homes, start=plan.end, end=now, processes=args.processes
    )
    return {
        "from": plan.end.isoformat(),
        "until": now.isoformat(),
        "events": events,
        "s": round(time.monotonic() - started, 1),
    }


def samples(args: argparse.Namespace) -> dict[str, list[str]]:
    """The homes and districts read, drawn from the seed."""
    rng = random.Random(f"{args.seed}:pages")  # noqa: S311 - a sample, not a secret
    ids = [home_id(index) for index in range(1, args.homes + 1)]
    return {
        "warm_up": rng.sample(ids, min(10, len(ids))),
        "twelve_weeks": rng.sample(ids, min(args.page_homes, len(ids))),
        "year": rng.sample(ids, min(args.year_pages, len(ids))),
        "districts": sorted(
            {district_of(i, args.district_homes) for i in range(1, args.homes + 1)}
        ),
    }


def run(args: argparse.Namespace) -> Report:
    """Start the services, build, measure, stop everything."""
    began = time.monotonic()
    load_start = loadavg()
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    plan, last = the_plan(args, end)
    month = report_month(plan.first_day, last)
    with stage("bench-dashboards-", say) as on:
        built = build(on, args, plan, last, month)
        say(f"history built in {built['build_s']} s: {built['tables']}")
        nightly = time_nightly(on.database_url, last, plan.zone_name)
        say(f"nightly run: {nightly}")
        top_up = catch_up(on.database_url, plan, args)
        env = hub_environment(on.services, on.database_url)
        hubs = start_hubs(on.stack, 1, env, on.workdir)
        pids = ServicePids([hub.process.pid for hub in hubs], on.services.broker_pid)
        with psycopg.connect(on.database_url, autocommit=True) as conn:
            before = cpu_sample(pids.roles(conn))
            reads = asyncio.run(
                read_all(
                    f"http://127.0.0.1:{hubs[0].port}",
                    (SOCIAL_WORKER, built.pop("password")),
                    on.database_url,
                    samples=samples(args),
                    until=last,
                    month=month,
                    zone_name=plan.zone_name,
                )
            )
            reads["cpu_percent"] = cpu_percent(before, cpu_sample(pids.roles(conn)))
            reads["hub_alarms_raised"] = dict(
                conn.execute(
                    "SELECT kind, count(*) FROM alarms WHERE raised_at >= %s GROUP BY kind",
                    (plan.end,),
                ).fetchall()
            )
    quality = None
    if args.quality_homes:
        say(f"the review's quality on {args.quality_homes} simulated homes over a year")
        quality = measure_quality(args.quality_homes, args.seed, args.processes, say)
    twelve, year = reads["twelve_weeks"], reads["year"]
    drawn = samples(args)
    return {
        "benchmark": "dashboards",
        "person_page_p95_ms": twelve["p95_ms"],
        "person_page_year_ms": year["p95_ms"],
        "district_month_ms": reads.get("month", {}).get("max_ms"),
        "report_pdf_ms": reads.get("pdf", {}).get("max_ms"),
        "nightly_s": nightly["nightly_s"],
        "nightly_ms_per_home": nightly["ms_per_home"],
        "recall": quality["recall"] if quality else None,
        "false_positives_per_1000_person_weeks": (
            quality["false_positives_per_1000_person_weeks"] if quality else None
        ),
        "quality_seed": quality["seed"] if quality else None,
        "scale": {
            "homes": args.homes,
            "days": args.days,
            "raw_days": args.raw_days,
            "district_homes": args.district_homes,
            "districts": len(drawn["districts"]),
            "page_homes": len(drawn["twelve_weeks"]),
            "year_pages": len(drawn["year"]),
            "processes": args.processes,
            "seed": args.seed,
            "quality_homes": args.quality_homes,
        },
        "build_s": built["build_s"],
        "build": built,
        "estimate": estimate(built),
        "nightly": nightly,
        "top_up": top_up,
        "reads": reads,
        "quality": quality,
        "last_day": last.isoformat(),
        "load": {
            "loadavg_start": load_start,
            "loadavg_end": loadavg(),
            "machine_cores": psutil.cpu_count(),
        },
        "wall_s": round(time.monotonic() - began, 1),
    }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboards",
        description=(bench.dashboards.__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--homes", type=int, default=10_000, help="homes in the centre")
    parser.add_argument("--days", type=int, default=365, help="local days of history")
    parser.add_argument("--raw-days", type=int, default=30, help="last days kept as raw events")
    parser.add_argument("--district-homes", type=int, default=1000, help="homes per district")
    parser.add_argument("--page-homes", type=int, default=200, help="12-week pages read")
    parser.add_argument("--year-pages", type=int, default=50, help="year pages read")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="workers")
    parser.add_argument("--chunk", type=int, default=20, help="homes per worker transaction")
    parser.add_argument("--seed", type=int, default=1, help="for every random choice")
    parser.add_argument(
        "--quality-homes",
        type=int,
        default=2000,
        help="homes of the review's quality run (0: none)",
    )
    args = parser.parse_args()
    if min(args.homes, args.raw_days, args.district_homes, args.processes, args.chunk) < 1:
        parser.error("--homes, --raw-days, --district-homes, --processes, --chunk must be >= 1")
    if args.days < args.raw_days + 84:
        parser.error("--days must hold the raw days and a 12-week page (84 days) before them")
    if args.quality_homes < 0:
        parser.error("--quality-homes must be 0 (no quality run) or more")
    if min(args.page_homes, args.year_pages) < 2:
        parser.error("--page-homes and --year-pages must be at least 2 (for a p95)")
    run_and_print(say, lambda: run(args))


if __name__ == "__main__":
    main()
