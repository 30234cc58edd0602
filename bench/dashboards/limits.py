"""The machine's own limit for the history's writes: plain COPY of the same rows, nothing else.

Rows of a few homes' history (made as the workers make them, each home's rows copied under
:data:`COPIES` other home ids) are copied into scratch tables shaped like the real ones (their
indexes included, dropped afterwards) on one connection, in one transaction per table: rows per
second, with no simulation, no other table and no other writer.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from bench.dashboards.history import home_rows
from bench.dashboards.loading import TABLES

if TYPE_CHECKING:
    from bench.dashboards.history import Plan

SAMPLE_HOMES = 4
COPIES = 10
MEASURED = {"daily_indicators": "days", "activity_hourly": "rollup"}
"""The tables measured (the two largest), and the rows of each."""


def copy_limits(database_url: str, plan: Plan) -> dict[str, int]:
    """Rows per second of plain COPY into each of :data:`MEASURED`'s tables."""
    made = [home_rows(index, plan) for index in range(1, SAMPLE_HOMES + 1)]
    limits = {}
    with psycopg.connect(database_url) as conn:
        for table, field in MEASURED.items():
            scratch = sql.Identifier(f"limit_{table}")
            conn.execute(
                sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                    scratch, sql.Identifier(table)
                )
            )
            rows = [
                (f"limit-{copy}-{row[0]}", *row[1:])
                for copy in range(COPIES)
                for home in made
                for row in getattr(home, field)
            ]
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(scratch, sql.SQL(TABLES[table]))
            started = time.perf_counter()
            with conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            limits[table] = round(len(rows) / (time.perf_counter() - started))
            conn.execute(sql.SQL("DROP TABLE {}").format(scratch))
            conn.commit()
    return limits
