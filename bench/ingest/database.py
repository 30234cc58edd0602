"""The database side: rows for ``events`` as the hub writes them, COPY's and INSERT's rates."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg

from protocol import EventKind

if TYPE_CHECKING:
    from collections.abc import Sequence

DEVICE, LOCATION, MOTION_JSON = "pir-hall", "hall", '{"detected": true}'
COPY_CHUNK_ROWS = 10_000
NAIVE_CHUNK_ROWS = 1000
COPY_EVENTS = (
    "COPY events (event_id, ts, received_at, home_id, device_id, kind, seq, location, value)"
    " FROM STDIN"
)
INSERT_EVENT = (
    "INSERT INTO events (event_id, ts, received_at, home_id, device_id, kind, seq, location,"
    " value) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def event_rows(homes: Sequence[str], count: int, seq_base: int) -> list[tuple[object, ...]]:
    """``count`` rows for ``events``, with new ids, homes in turn."""
    now = datetime.now(UTC)
    home_count = len(homes)
    return [
        (
            uuid.uuid4(),
            now,
            now,
            homes[k % home_count],
            DEVICE,
            EventKind.MOTION.value,
            seq_base + k,
            LOCATION,
            MOTION_JSON,
        )
        for k in range(count)
    ]


def copy_limit(database_url: str, homes: Sequence[str], seconds: float) -> float:
    """Rows per second of COPY into ``events``, one transaction per chunk."""
    rows_done, spent = 0, 0.0
    with psycopg.connect(database_url) as conn:
        while spent < seconds:
            rows = event_rows(homes, COPY_CHUNK_ROWS, rows_done)
            started = time.perf_counter()
            with conn.cursor() as cursor, cursor.copy(COPY_EVENTS) as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            spent += time.perf_counter() - started
            rows_done += len(rows)
    return rows_done / spent


def naive_rate(database_url: str, homes: Sequence[str], seconds: float) -> float:
    """Rows per second with one INSERT and commit each."""
    rows_done, spent = 0, 0.0
    with psycopg.connect(database_url, autocommit=True) as conn, conn.cursor() as cursor:
        while spent < seconds:
            rows = event_rows(homes, NAIVE_CHUNK_ROWS, rows_done)
            started = time.perf_counter()
            for row in rows:
                cursor.execute(INSERT_EVENT, row)
            spent += time.perf_counter() - started
            rows_done += len(rows)
    return rows_done / spent


def count_events(conn: psycopg.Connection[Any]) -> int:
    """Rows in ``events`` now."""
    row = conn.execute("SELECT count(*) FROM events").fetchone()
    return int(row[0]) if row else 0
