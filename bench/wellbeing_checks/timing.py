"""The timings at a moment: each check alone, the loop's round, the plain scan; their plans."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import psycopg
from psycopg_pool import AsyncConnectionPool

from bench.common.machine import machine_busy_s
from bench.common.output import limit_ratio
from bench.wellbeing_checks import say
from bench.wellbeing_checks.people import ZONE
from hub.loops.alarm_timers import WELLBEING_CHECKS, WELLBEING_EVERY_S
from hub.storage import wellbeing_checks

if TYPE_CHECKING:
    import uuid
    from collections.abc import Awaitable, Callable
    from datetime import datetime

    from bench.common.output import Report
    from bench.wellbeing_checks.loading import Conn

Pool: TypeAlias = AsyncConnectionPool[psycopg.AsyncConnection[Any]]
SCANS = {
    "home_activity": (
        "SELECT count(*), count(r.time_zone), count(b.local_day) FROM home_activity a"
        " LEFT JOIN home_rules r USING (home_id) LEFT JOIN home_baselines b USING (home_id)"
    ),
    "sensor_state": (
        "SELECT count(*), count(r.time_zone) FROM sensor_state s"
        " LEFT JOIN home_rules r USING (home_id)"
    ),
    "devices": (
        "SELECT count(*), count(r.time_zone) FROM devices d LEFT JOIN home_rules r USING (home_id)"
    ),
}
"""The reference: one pass over what the round reads. Columns of the joined tables are
counted so that PostgreSQL cannot drop the left joins (it does for a bare count(*))."""
EXPLAIN_SETTINGS = {
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "on",
    "auto_explain.log_nested_statements": "on",
    "client_min_messages": "log",
}


def all_checks() -> dict[str, Callable[[Conn, datetime], Awaitable[int | list[uuid.UUID]]]]:
    """Renewing baselines, then every rule, in the order of the hub's loop."""
    return {"baselines": wellbeing_checks.refresh_baselines, **WELLBEING_CHECKS}


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for the report."""
    return round(seconds * 1000, 1)


def count(outcome: int | list[uuid.UUID]) -> int:
    """Baselines renewed, or alarms raised."""
    return outcome if isinstance(outcome, int) else len(outcome)


@dataclass(slots=True)
class CpuClock:
    """The machine's busy CPU time over the timed parts."""

    busy_s: float = 0.0
    wall_s: float = 0.0
    _started: tuple[float, float] | None = None

    def start(self) -> None:
        """Begin a timed part."""
        self._started = (machine_busy_s(), time.monotonic())

    def stop(self) -> None:
        """End it."""
        if self._started is not None:
            busy, wall = self._started
            self.busy_s += machine_busy_s() - busy
            self.wall_s += time.monotonic() - wall
            self._started = None

    def percent(self) -> float | None:
        """Busy CPU per wall second over the timed parts (100 = one core)."""
        return round(100 * self.busy_s / self.wall_s, 1) if self.wall_s else None


async def time_checks(conn: Conn, now: datetime, rounds: int) -> Report:
    """Each check ``rounds`` times, each call rolled back."""
    report: Report = {}
    for name, check in all_checks().items():
        walls, cpus, counts = [], [], []
        for _ in range(rounds):
            async with conn.transaction(force_rollback=True):
                cpu, started = time.process_time(), time.perf_counter()
                outcome = await check(conn, now)
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
            counts.append(count(outcome))
        what = "renewed" if name == "baselines" else "raised"
        report[name] = {
            "p50_ms": ms(statistics.median(walls)),
            "max_ms": ms(max(walls)),
            "python_ms": ms(statistics.median(cpus)),
            what: counts[0] if len(set(counts)) == 1 else counts,
        }
        say(f"  {name}: p50 {report[name]['p50_ms']} ms, {what} {report[name][what]}")
    return report


async def time_rounds(pool: Pool, now: datetime, rounds: int) -> Report:
    """The loop's round ``rounds`` times, committed (a connection from the pool per check)."""
    walls, raised = [], Counter[str]()
    for number in range(rounds):
        started = time.perf_counter()
        for name, check in all_checks().items():
            async with pool.connection() as conn:
                outcome = await check(conn, now)
            if number == 0 and name != "baselines":
                raised[name] += count(outcome)
        walls.append(time.perf_counter() - started)
        say(f"  round {number + 1}: {ms(walls[-1])} ms")
    steady = walls[1:] or walls
    return {
        "first_ms": ms(walls[0]),
        "p50_ms": ms(statistics.median(steady)),
        "max_ms": ms(max(steady)),
        "raised": dict(raised),
    }


async def time_scans(conn: Conn, rounds: int) -> Report:
    """One plain pass over the round's tables, ``rounds`` times: p50 of the sum and of each."""
    parts: dict[str, list[float]] = {name: [] for name in SCANS}
    totals = []
    for _ in range(rounds):
        total = 0.0
        for name, statement in SCANS.items():
            started = time.perf_counter()
            await conn.execute(statement)
            spent = time.perf_counter() - started
            parts[name].append(spent)
            total += spent
        totals.append(total)
    return {
        "scan_ms": ms(statistics.median(totals)),
        "scan_parts_ms": {name: ms(statistics.median(s)) for name, s in parts.items()},
    }


async def explain(database_url: str, now: datetime, threshold_ms: float) -> Report:
    """Each check once more, rolled back, with ``auto_explain``; durations of slow statements."""
    found: Report = {}
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        try:
            await conn.execute("LOAD 'auto_explain'")
        except psycopg.Error as err:
            say(f"no auto_explain ({err}); no plans")
            return found
        settings = {**EXPLAIN_SETTINGS, "auto_explain.log_min_duration": f"{threshold_ms}ms"}
        for name, value in settings.items():
            await conn.execute("SELECT set_config(%s, %s, false)", (name, value))
        notes: list[str] = []
        conn.add_notice_handler(lambda diag: notes.append(diag.message_primary or ""))
        for name, check in all_checks().items():
            notes.clear()
            async with conn.transaction(force_rollback=True):
                await check(conn, now)
            durations = []
            for note in notes:
                if note.startswith("duration:"):
                    durations.append(float(note.split()[1]))
                    say(f"plan of {name} at {now.astimezone(ZONE):%H:%M}:\n{note}")
            found[name] = durations
    return found


async def measure(conn: Conn, pool: Pool, now: datetime, rounds: int, cpu: CpuClock) -> Report:
    """One moment's figures."""
    label = f"{now.astimezone(ZONE):%Y-%m-%d %H:%M %Z}"
    say(f"{label}: each check, {rounds} rounds")
    cpu.start()
    checks = await time_checks(conn, now, rounds)
    say(f"{label}: the loop's round, {rounds} times")
    round_ = await time_rounds(pool, now, rounds)
    scans = await time_scans(conn, rounds)
    cpu.stop()
    say(
        f"{label}: round p50 {round_['p50_ms']} ms, first {round_['first_ms']} ms,"
        f" scan {scans['scan_ms']} ms"
    )
    rules_ms = sum(figures["p50_ms"] for name, figures in checks.items() if name != "baselines")
    return {
        "now": now.astimezone(ZONE).isoformat(),
        "checks": checks,
        "round": round_,
        **scans,
        "ratio": limit_ratio(round_["p50_ms"], scans["scan_ms"], 1),
        "rules_ms": round(rules_ms, 1),
        "rules_ratio": limit_ratio(rules_ms, scans["scan_ms"], 1),
        "loop_share": round(round_["p50_ms"] / 1000 / WELLBEING_EVERY_S, 4),
        "loop_share_first": round(round_["first_ms"] / 1000 / WELLBEING_EVERY_S, 4),
    }
