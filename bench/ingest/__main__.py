"""``python -m bench.ingest``: start the services, measure every figure, print the result."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time

import psycopg

import bench.ingest
from bench.common.hubs import HUB_FLAGS, hub_environment, hub_settings, start_hubs
from bench.common.machine import ServicePids
from bench.common.output import Report, limit_ratio, run_and_print
from bench.common.services import prepare_schema, stage
from bench.ingest import say
from bench.ingest.database import COPY_CHUNK_ROWS, copy_limit, naive_rate
from bench.ingest.phases import Bench
from bench.ingest.publishers import ACK_GRACE_S

NAIVE_MAX_S = 5.0
MIN_EVENTS, MAX_EVENTS = 1000, 5_000_000


def run(args: argparse.Namespace) -> Report:
    """Start the services, measure every figure, stop everything."""
    began = time.monotonic()
    homes = [f"bench-{n:05d}" for n in range(args.homes)]
    with stage("bench-ingest-", say) as on:
        services, database_url = on.services, on.database_url
        asyncio.run(prepare_schema(database_url, homes))
        bench = Bench(
            args, multiprocessing.get_context("spawn"), services.target, homes, database_url
        )

        copy_per_s = copy_limit(database_url, homes, args.seconds)
        say(f"COPY: {copy_per_s:.0f} rows/s")
        naive_per_s = naive_rate(database_url, homes, min(args.seconds, NAIVE_MAX_S))
        say(f"one INSERT per row: {naive_per_s:.0f} rows/s")
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("TRUNCATE events")

        broker_per_s = bench.broker_limit()
        say(f"broker to one subscriber: {broker_per_s:.0f} messages/s")

        flags = {name: getattr(args, name) for name in HUB_FLAGS}
        env = hub_environment(services, database_url, flags)
        hubs = start_hubs(on.stack, args.replicas, env, on.workdir)
        say(f"{len(hubs)} hub(s) ready")
        warm = bench.hub_blast(args.warmup_events, hubs, cpu_of=None)
        say(f"warm-up: {warm['events_per_s']:.0f} events/s")
        worth = round(warm["events_per_s"] * args.seconds)
        total = args.events or min(MAX_EVENTS, max(MIN_EVENTS, worth))
        pids = ServicePids([hub.process.pid for hub in hubs], services.broker_pid)
        main = bench.hub_blast(total, hubs, cpu_of=pids)
        say(f"hub: {total} events at {main['events_per_s']:.0f} events/s")
        acks = bench.latency(main["events_per_s"] / 2)
        say(f"acks: p50 {acks['ack_p50_ms']} ms, p99 {acks['ack_p99_ms']} ms")
        with psycopg.connect(database_url, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM dead_letters").fetchone()
        dead = int(row[0]) if row else 0

        return {
            "benchmark": "ingest",
            "seconds": args.seconds,
            "homes": args.homes,
            "publishers": args.publishers,
            "replicas": args.replicas,
            "window": args.window,
            "events_total": total,
            "events_per_s": round(main["events_per_s"]),
            "messages_per_s": round(main["messages_per_s"]),
            "ingest_s": round(main["ingest_s"], 2),
            "publish_s": round(main["publish_s"], 2),
            "mean_batch_events": round(main["mean_batch_events"], 1),
            "acks_per_event": round(main["acks_per_event"], 3),
            "flush_share": round(main["flush_share"], 3),
            "warmup_events": args.warmup_events,
            "warmup_events_per_s": round(warm["events_per_s"]),
            **acks,
            "ack_grace_s": ACK_GRACE_S,
            "broker_limit_per_s": round(broker_per_s),
            "copy_limit_per_s": round(copy_per_s),
            "copy_chunk_rows": COPY_CHUNK_ROWS,
            "ratio": limit_ratio(main["events_per_s"], min(broker_per_s, copy_per_s), 3),
            "naive_events_per_s": round(naive_per_s),
            "hub": hub_settings(env),
            "broker": services.broker,
            "database": services.database_kind,
            "cpu_percent": main["cpu_percent"],
            "dead_letters": dead,
            "wall_s": round(time.monotonic() - began, 1),
        }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description=(bench.ingest.__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--homes", type=int, default=2000, help="home topics published to")
    parser.add_argument("--publishers", type=int, default=3, help="publisher processes")
    parser.add_argument("--replicas", type=int, default=1, help="hub processes (one share group)")
    parser.add_argument(
        "--window", type=int, default=1000, help="unacknowledged publishes per publisher"
    )
    parser.add_argument(
        "--events", type=int, help="events in the measured phase (default: seconds' worth)"
    )
    parser.add_argument("--warmup-events", type=int, default=6000, help="events to warm up on")
    parser.add_argument("--batch-max-events", type=int, help="hub setting (else TELECARE_*)")
    parser.add_argument("--batch-max-wait-ms", type=float, help="hub setting (else TELECARE_*)")
    parser.add_argument("--event-writers", type=int, help="hub setting (else TELECARE_*)")
    args = parser.parse_args()
    sizes = (args.seconds, args.homes, args.publishers, args.replicas, args.window)
    if min(*sizes, args.events or 1, args.warmup_events) <= 0:
        parser.error("every count and --seconds must be positive")
    if args.homes < args.publishers:
        parser.error("each publisher needs at least one home")
    run_and_print(say, lambda: run(args))


if __name__ == "__main__":
    main()
