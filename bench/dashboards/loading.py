"""The older history into the database: homes made in worker processes, each writing with COPY.

Each worker process has its own connection and writes a chunk of homes (every table's rows of
those homes) in one transaction. Its session skips triggers and foreign-key checks when the
server lets it (``session_replication_role = replica``, a superuser's setting; the private
server's user is one): the rows are consistent by construction, and the triggers only tell
live consoles of changes, of which a past year has none to tell.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from bench.dashboards import say
from bench.dashboards.history import HomeRows, Plan, home_rows
from bench.dashboards.service import ALARM_COLUMNS, LOG_COLUMNS, SCHEDULE_COLUMNS, TASK_COLUMNS
from hub.storage.indicators import COLUMNS

if TYPE_CHECKING:
    from collections.abc import Sequence

TABLES: dict[str, str] = {
    "residents": "resident_id, home_id, full_name, address, joined_at",
    "daily_indicators": ", ".join(COLUMNS),
    "activity_hourly": "home_id, hour, kind, events",
    "alarms": ALARM_COLUMNS,
    "alarm_log": LOG_COLUMNS,
    "call_schedules": SCHEDULE_COLUMNS,
    "call_tasks": TASK_COLUMNS,
}
"""The tables the history fills, in the order written (a row's references come first), with
the columns written."""
_FIELDS = {
    "residents": "residents",
    "daily_indicators": "days",
    "activity_hourly": "rollup",
    "alarms": "alarms",
    "alarm_log": "alarm_log",
    "call_schedules": "schedules",
    "call_tasks": "tasks",
}
"""The :class:`~bench.dashboards.history.HomeRows` field of each table."""


@dataclass(slots=True)
class Written:
    """What a chunk (or the whole history) wrote, and what it cost."""

    homes: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    simulate_s: float = 0.0
    """CPU seconds in the simulator (the person's readings, the rollup, the service)."""
    compute_s: float = 0.0
    """CPU seconds in :func:`hub.indicators.daily.compute`."""
    copy_s: float = 0.0
    """Wall seconds writing (COPY and commit)."""
    cpu_s: float = 0.0
    """The worker's CPU seconds in all."""

    def add(self, other: Written) -> None:
        """Count ``other`` in."""
        self.homes += other.homes
        self.rows.update(other.rows)
        self.simulate_s += other.simulate_s
        self.compute_s += other.compute_s
        self.copy_s += other.copy_s
        self.cpu_s += other.cpu_s


_worker: dict[str, Any] = {}
"""The worker process's connection and plan (set once by :func:`_start_worker`)."""


def _start_worker(database_url: str, plan: Plan) -> None:
    conn = psycopg.connect(database_url)
    try:
        conn.execute("SET session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()
    conn.execute("SET synchronous_commit = off")
    conn.commit()
    _worker.update(conn=conn, plan=plan)


def _write_chunk(indices: Sequence[int]) -> Written:
    cpu = time.process_time()
    conn: psycopg.Connection[Any] = _worker["conn"]
    plan: Plan = _worker["plan"]
    made: list[HomeRows] = [home_rows(index, plan) for index in indices]
    written = Written(homes=len(made))
    written.simulate_s = sum(m.simulate_s for m in made)
    written.compute_s = sum(m.compute_s for m in made)
    started = time.perf_counter()
    with conn.transaction(), conn.cursor() as cursor:
        for table, columns in TABLES.items():
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table), sql.SQL(columns)
            )
            with cursor.copy(statement) as copy:
                for home in made:
                    rows = getattr(home, _FIELDS[table])
                    written.rows[table] += len(rows)
                    for row in rows:
                        copy.write_row(row)
    written.copy_s = time.perf_counter() - started
    written.cpu_s = time.process_time() - cpu
    return written


def session_replication(database_url: str) -> bool:
    """Whether a session may skip triggers and foreign keys (the workers then do)."""
    with psycopg.connect(database_url) as conn:
        try:
            conn.execute("SET session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            return False
    return True


def write_history(database_url: str, plan: Plan, homes: int, processes: int, chunk: int) -> Written:
    """Make and write the history of homes 1 to ``homes`` in ``processes`` workers."""
    chunks = [list(range(n, min(n + chunk, homes + 1))) for n in range(1, homes + 1, chunk)]
    total = Written()
    started = time.monotonic()
    reported = started
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, _start_worker, (database_url, plan)) as pool:
        for done in pool.imap_unordered(_write_chunk, chunks):
            total.add(done)
            if time.monotonic() - reported > 30 or total.homes == homes:
                reported = time.monotonic()
                rate = total.homes / (reported - started)
                left = (homes - total.homes) / rate if rate else 0
                say(f"history: {total.homes}/{homes} homes, {rate:.1f} homes/s, {left:.0f} s to go")
    return total
