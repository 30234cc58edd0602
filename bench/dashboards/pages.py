"""The social worker's reads through a running hub's HTTP API, beside their floors.

Every request is timed from sending it to having read the whole answer, one at a time, on
the loopback interface, so the time is the hub's (its HTTP handling, the database, pydantic
and JSON) plus a loopback round trip; ``GET /healthz`` timed the same way is that floor. The
database's floor is the same rows read alone on a connection of our own (the kept days a page
reads, by primary key; a district month's alarms, timelines and calls).
"""

from __future__ import annotations

import statistics
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING, Any

import aiohttp
import psycopg
from psycopg import sql

from bench.common.output import BenchError, percentile_cuts
from bench.dashboards import say
from hub.api.activity_models import RANGE_DAYS, ActivityRange
from hub.indicators.usual import BAND_DAYS
from hub.storage import indicators
from hub.zones import zone_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from bench.common.output import Report

HEALTH_REQUESTS = 100
_MONTH_ROWS = (
    (
        "SELECT count(*), count(l.alarm_id) FROM alarms a JOIN homes h USING (home_id)"
        " LEFT JOIN alarm_log l USING (alarm_id)"
        " WHERE h.district = %(district)s AND a.raised_at >= %(start)s AND a.raised_at < %(end)s"
    ),
    (
        "SELECT count(*), sum(t.attempts) FROM call_tasks t JOIN homes h USING (home_id)"
        " WHERE h.district = %(district)s AND t.planned_at >= %(start)s AND t.planned_at < %(end)s"
    ),
)
"""The reference for a district's month: one pass over the rows its figures count."""


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for the report."""
    return round(seconds * 1000, 1)


def spread(seconds: Sequence[float]) -> Report:
    """p50, p95 and max of ``seconds``, in ms."""
    cuts = percentile_cuts(seconds)
    return {
        "count": len(seconds),
        "p50_ms": ms(statistics.median(seconds)) if seconds else None,
        "p95_ms": ms(cuts[94]) if cuts else (ms(seconds[0]) if seconds else None),
        "max_ms": ms(max(seconds)) if seconds else None,
    }


class Reader:
    """A social worker's browser: signed in, reading one thing at a time."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        """Reading from the hub at ``base``."""
        self.base = base
        self.http = http

    async def login(self, username: str, password: str) -> None:
        """Sign in (the session's cookie is kept)."""
        async with self.http.post(
            f"{self.base}/api/v1/auth/login", json={"username": username, "password": password}
        ) as response:
            if response.status != 200:
                raise BenchError(f"sign-in answered {response.status}: {await response.text()}")

    async def get(self, path: str) -> tuple[float, bytes]:
        """Seconds to send ``GET path`` and read the whole answer, and the answer."""
        started = time.perf_counter()
        async with self.http.get(f"{self.base}{path}") as response:
            body = await response.read()
            spent = time.perf_counter() - started
            if response.status != 200:
                raise BenchError(f"GET {path} answered {response.status}: {body[:300]!r}")
        return spent, body


def page_path(home: str, range_: ActivityRange, until: date) -> str:
    """The person's page of ``home`` for ``range_`` ending ``until``."""
    return f"/api/v1/homes/{home}/activity?range={range_.value}&until={until.isoformat()}"


async def pages(
    reader: Reader, homes: Sequence[str], range_: ActivityRange, until: date
) -> tuple[list[float], int]:
    """Each home's page once: the times, and the largest answer's bytes."""
    times, largest = [], 0
    for home in homes:
        spent, body = await reader.get(page_path(home, range_, until))
        times.append(spent)
        largest = max(largest, len(body))
    return times, largest


async def health_floor(reader: Reader) -> list[float]:
    """``GET /healthz`` :data:`HEALTH_REQUESTS` times."""
    return [(await reader.get("/healthz"))[0] for _ in range(HEALTH_REQUESTS)]


async def kept_days_floor(
    database_url: str, homes: Sequence[str], range_: ActivityRange, until: date
) -> list[float]:
    """The kept days each page reads (its range and the band's weeks before), read alone."""
    first = until - timedelta(days=RANGE_DAYS[range_] - 1 + BAND_DAYS)
    times = []
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for home in homes:
            started = time.perf_counter()
            await indicators.days_of(conn, home, first, until)
            times.append(time.perf_counter() - started)
    return times


_KEPT_DAYS = (
    "SELECT {columns} FROM {table} WHERE home_id = %s AND day >= %s AND day <= %s ORDER BY day"
)
"""The statement of :func:`hub.storage.indicators.days_of`, on a table named here."""
ROUNDS = 3


async def _index_levels(conn: psycopg.AsyncConnection[Any], index: str) -> int | None:
    """The B-tree's levels above its leaves (pageinspect; None where it cannot be had)."""
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        cursor = await conn.execute("SELECT level FROM bt_metap(%s)", (index,))
    except psycopg.Error:
        return None
    row = await cursor.fetchone()
    return int(row[0]) if row else None


async def table_size_effect(database_url: str, homes: Sequence[str], until: date) -> Report:
    """The 12-week page's kept days by primary key: from the whole table, and from a small one.

    The small table holds only ``homes``' rows, with the same primary key; both are read
    warm, in turn, :data:`ROUNDS` times per home. The difference is what the other homes'
    rows cost a page (the index's depth), all else being equal.
    """
    first = until - timedelta(days=RANGE_DAYS[ActivityRange.TWELVE_WEEKS] - 1 + BAND_DAYS)
    columns = sql.SQL(", ").join(map(sql.Identifier, indicators.COLUMNS[1:]))
    tables = {"whole": "daily_indicators", "sample": "bench_sample_days"}
    times: dict[str, list[float]] = {name: [] for name in tables}
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(
            "CREATE TABLE bench_sample_days AS SELECT * FROM daily_indicators"
            " WHERE home_id = ANY(%s)",
            (list(homes),),
        )
        await conn.execute("ALTER TABLE bench_sample_days ADD PRIMARY KEY (home_id, day)")
        await conn.execute("VACUUM ANALYZE bench_sample_days")
        statements = {
            name: sql.SQL(_KEPT_DAYS).format(columns=columns, table=sql.Identifier(table))
            for name, table in tables.items()
        }
        for _ in range(ROUNDS):
            for home in homes:
                for name, statement in statements.items():
                    started = time.perf_counter()
                    await conn.execute(statement, (home, first, until))
                    times[name].append(time.perf_counter() - started)
        sizes = {}
        for name, table in tables.items():
            cursor = await conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            )
            row = await cursor.fetchone()
            sizes[name] = {
                "rows": int(row[0]) if row else 0,
                "index_levels": await _index_levels(conn, f"{table}_pkey"),
            }
        await conn.execute("DROP TABLE bench_sample_days")
    return {name: spread(times[name]) | sizes[name] for name in tables}


def month_span(month: date, zone_name: str) -> tuple[datetime, datetime]:
    """Local midnights of ``month``'s first day and of the next month's."""
    zone = zone_of(zone_name)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(month, clock(0), zone), datetime.combine(following, clock(0), zone)


async def month_floor(
    database_url: str, districts: Sequence[str], month: date, zone_name: str
) -> list[float]:
    """One pass over each district's month of alarms, timelines and calls."""
    start, end = month_span(month, zone_name)
    times = []
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for district in districts:
            params = {"district": district, "start": start, "end": end}
            started = time.perf_counter()
            for statement in _MONTH_ROWS:
                await conn.execute(statement, params)
            times.append(time.perf_counter() - started)
    return times


async def district_reads(
    reader: Reader, districts: Sequence[str], month: date
) -> tuple[list[float], list[float], Report]:
    """Each district's month figures and PDF report once: times, and the first month's totals."""
    figures: list[float] = []
    pdfs: list[float] = []
    sample: Report = {}
    for district in districts:
        path = f"/api/v1/districts/{district}/months/{month:%Y-%m}"
        spent, body = await reader.get(path)
        figures.append(spent)
        if not sample:
            sample = {"json_bytes": len(body)}
        spent, body = await reader.get(f"{path}/report.pdf")
        pdfs.append(spent)
        sample.setdefault("pdf_bytes", len(body))
        say(f"  {district} {month:%Y-%m}: figures {ms(figures[-1])} ms, PDF {ms(spent)} ms")
    return figures, pdfs, sample


async def read_all(  # noqa: PLR0913 - what is read, by whom, against what
    base: str,
    login: tuple[str, str],
    database_url: str,
    *,
    samples: Mapping[str, Sequence[str]],
    until: date,
    month: date | None,
    zone_name: str,
) -> Report:
    """Every read timed, with its floors."""
    report: Report = {}
    timeout = aiohttp.ClientTimeout(total=120)
    # The hub is at an IP address: aiohttp keeps cookies from one only when told to.
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(timeout=timeout, cookie_jar=jar) as http:
        reader = Reader(base, http)
        await reader.login(*login)
        health = await health_floor(reader)
        await pages(reader, samples["warm_up"], ActivityRange.TWELVE_WEEKS, until)
        twelve, twelve_bytes = await pages(
            reader, samples["twelve_weeks"], ActivityRange.TWELVE_WEEKS, until
        )
        say(f"12-week pages: {spread(twelve)}")
        year, year_bytes = await pages(reader, samples["year"], ActivityRange.YEAR, until)
        say(f"year pages: {spread(year)}")
        report["health"] = spread(health)
        report["twelve_weeks"] = spread(twelve) | {"largest_bytes": twelve_bytes}
        report["year"] = spread(year) | {"largest_bytes": year_bytes}
        if month is not None:
            figures, pdfs, sample = await district_reads(reader, samples["districts"], month)
            report["month"] = spread(figures) | {"month": f"{month:%Y-%m}", **sample}
            report["pdf"] = spread(pdfs)
    report["twelve_weeks"]["kept_days_read"] = spread(
        await kept_days_floor(
            database_url, samples["twelve_weeks"], ActivityRange.TWELVE_WEEKS, until
        )
    )
    report["year"]["kept_days_read"] = spread(
        await kept_days_floor(database_url, samples["year"], ActivityRange.YEAR, until)
    )
    report["table_size"] = await table_size_effect(database_url, samples["twelve_weeks"], until)
    if month is not None:
        report["month"]["rows_read"] = spread(
            await month_floor(database_url, samples["districts"], month, zone_name)
        )
    return report
