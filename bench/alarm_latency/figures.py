"""What a phase found: latencies and their stages from the hub's own times, the traffic."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import psycopg

from bench.common.output import percentile_cuts

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from bench.alarm_latency.console import Press
    from bench.common.hubs import Hub
    from bench.common.output import Report

HALF_HOUR_S = 1800
MESSAGES_RECEIVED = "telecare_messages_received_total{"
STAGES = ("to_hub", "in_hub", "to_console")
SLOWEST = 10
TARGET_MS = 100.0
"""The issue's target for the p99, under 100,000 homes' traffic."""


def percentiles(values_ms: Sequence[float]) -> tuple[float | None, float | None]:
    """p50 and p99, rounded; None when there are too few values."""
    cuts = percentile_cuts(values_ms)
    if not cuts:
        return None, None
    return round(cuts[49], 2), round(cuts[98], 2)


async def hub_times(
    database_url: str, presses: Sequence[Press]
) -> tuple[dict[uuid.UUID, float], dict[uuid.UUID, float]]:
    """The hub's own times, as epoch seconds.

    When it took each press off MQTT (the event's ``received_at``, by event id) and when the
    writer began the transaction raising each alarm (its ``raised`` entry, by alarm id).
    """
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT event_id, received_at FROM events WHERE event_id = ANY(%s)",
            ([p.event_id for p in presses],),
        )
        received = {row[0]: row[1].timestamp() for row in await cursor.fetchall()}
        cursor = await conn.execute(
            "SELECT alarm_id, at FROM alarm_log WHERE action = 'raised' AND alarm_id = ANY(%s)",
            ([p.alarm_id for p in presses if p.alarm_id is not None],),
        )
        raised = {row[0]: row[1].timestamp() for row in await cursor.fetchall()}
    return received, raised


def figures(
    presses: Sequence[Press],
    timeout_s: float,
    received: dict[uuid.UUID, float],
    raised: dict[uuid.UUID, float],
    began_wall: float,
) -> Report:
    """Latency percentiles, missing presses, the stages and the slowest presses of a phase."""
    on_time = [p for p in presses if p.latency_s is not None and p.latency_s <= timeout_s]
    latencies = sorted(1000 * (p.announced - p.sent) for p in on_time if p.announced is not None)
    p50, p99 = percentiles(latencies)
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    timed = []
    for p in on_time:
        got = received.get(p.event_id)
        began = raised.get(p.alarm_id) if p.alarm_id is not None else None
        if got is None or began is None or p.announced is None:
            continue
        announced_wall = p.sent_wall + (p.announced - p.sent)
        parts = (got - p.sent_wall, began - got, announced_wall - began)
        for name, part in zip(STAGES, parts, strict=True):
            stages[name].append(1000 * part)
        timed.append((p.announced - p.sent, p.sent_wall - began_wall, parts))
    stage_cuts = {}
    for name, values in stages.items():
        s50, s99 = percentiles(values)
        stage_cuts[name] = {"p50": s50, "p99": s99}
    slowest = [
        {
            "at_s": round(at, 2),
            "ms": round(1000 * total, 2),
            **{name: round(1000 * part, 2) for name, part in zip(STAGES, parts, strict=True)},
        }
        for total, at, parts in sorted(timed, reverse=True)[:SLOWEST]
    ]
    return {
        "p50_ms": p50,
        "p99_ms": p99,
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "missing": len(presses) - len(on_time),
        "over_target": sum(ms > TARGET_MS for ms in latencies),
        "stages_ms": stage_cuts,
        "slowest": slowest,
    }


async def last_heartbeat_round(database_url: str, began_wall: float) -> dict[str, Any]:
    """When the latest heartbeat round was sent and taken in, in seconds from ``began_wall``.

    From ``presence``: each home's last heartbeat time (the simulator's clock, when it built
    the heartbeat) and when the hub took it off MQTT (``last_seen``).
    """
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT min(heartbeat_ts), max(heartbeat_ts), min(last_seen), max(last_seen)"
            " FROM presence"
        )
        row = await cursor.fetchone()
    if row is None or row[0] is None:
        return {}
    first_sent, last_sent, first_in, last_in = (round(t.timestamp() - began_wall, 2) for t in row)
    return {"sent_s": [first_sent, last_sent], "taken_in_s": [first_in, last_in]}


def hub_received(hub: Hub) -> dict[str, float]:
    """Messages the hub has received so far, by channel."""
    by_channel = {}
    for name, value in hub.metrics().items():
        if name.startswith(MESSAGES_RECEIVED):
            channel = name[len(MESSAGES_RECEIVED) :].split('"')[1]
            by_channel[channel] = value
    return by_channel


def half_hours_between(start: float, end: float) -> int:
    """How many half hours (:00 and :30) begin in the epoch seconds [start, end)."""
    return math.ceil(end / HALF_HOUR_S) - math.ceil(start / HALF_HOUR_S)
