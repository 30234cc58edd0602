"""The centre's rows into the tables, with COPY, and the tables analysed for the planner."""

from __future__ import annotations

import random
from datetime import time as clock
from typing import TYPE_CHECKING, Any, TypeAlias

import psycopg
from psycopg import sql

from bench.common.services import prepare_schema
from bench.wellbeing_checks import say
from bench.wellbeing_checks.history import active_hours, history_rows, past_alarms, rules_rows
from bench.wellbeing_checks.people import ZONE, moment
from hub.alarms import baseline
from hub.storage import events

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable, Sequence

    from bench.wellbeing_checks.people import Home, Row, State

Conn: TypeAlias = psycopg.AsyncConnection[Any]
TEMPLATES = 20
"""Baselines computed from the sample's histories, handed out to the other homes."""


async def copy_rows(conn: Conn, table: str, columns: str, rows: Iterable[Row]) -> None:
    """COPY ``rows`` into ``table`` (a name and columns of this module's own)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns.split(", ")))
    )
    async with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            await copy.write_row(row)


async def load_state(conn: Conn, state: State) -> None:
    """Replace the moment-bound tables with ``state`` (the readings are added to events)."""
    async with conn.transaction():
        await conn.execute("TRUNCATE home_activity, sensor_state, devices")
        await copy_rows(conn, "home_activity", "home_id, last_activity_at", state.activity)
        await copy_rows(
            conn,
            "sensor_state",
            "home_id, device_id, kind, value, ts, opened_at",
            state.sensors,
        )
        await copy_rows(
            conn,
            "devices",
            "home_id, device_id, battery_percent, signal_dbm, last_seen, updated_at",
            state.devices,
        )
        await copy_rows(conn, "events", events.COLUMNS, state.readings)
    for table in ("home_activity", "sensor_state", "devices", "events"):
        await conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))


async def load_history(
    conn: Conn, people: Sequence[Home], history_homes: int, args: argparse.Namespace
) -> int:
    """The rollup of the sample, and the other homes' baselines; the rollup's row count."""
    rng = random.Random(f"{args.seed}:history")  # noqa: S311 - habits, not secrets
    sample = sorted(rng.sample(range(len(people)), history_homes))
    night = moment(args.day, "night")
    templates: list[baseline.Baseline] = []
    rows_written = 0
    async with conn.transaction():
        async with (
            conn.cursor() as cursor,
            cursor.copy("COPY activity_hourly (home_id, hour, kind, events) FROM STDIN") as copy,
        ):
            for index in sample:
                rows = history_rows(people[index].home_id, args.day, rng)
                rows_written += len(rows)
                for row in rows:
                    await copy.write_row(row)
                if len(templates) < TEMPLATES:
                    templates.append(baseline.compute(active_hours(rows), night, ZONE, clock(5)))
        chosen = set(sample)
        others = (home for n, home in enumerate(people) if n not in chosen)
        async with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY home_baselines (home_id, local_day, quiet_minutes, up_by) FROM STDIN"
            ) as copy,
        ):
            copy.set_types(["text", "date", "int4[]", "time"])
            for n, home in enumerate(others):
                usual = templates[n % len(templates)]
                await copy.write_row((home.home_id, usual.day, usual.quiet_minutes, usual.up_by))
    for table in ("activity_hourly", "home_baselines"):
        await conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
    return rows_written


async def prepare(
    database_url: str, conn: Conn, people: Sequence[Home], args: argparse.Namespace
) -> int:
    """Schema, homes, rules, alarm history and the sample's rollup; the rollup's rows."""
    await prepare_schema(database_url, [home.home_id for home in people], args.day)
    night = moment(args.day, "night")
    async with conn.transaction():
        await copy_rows(
            conn,
            "home_rules",
            "home_id, time_zone, check_in_before, wellbeing",
            rules_rows(people, args.seed),
        )
        await copy_rows(
            conn,
            "alarms",
            "alarm_id, home_id, kind, priority, state, reason_key, reason_params, raised_at,"
            " last_trigger_at, claimed_by, claimed_at, closed_at, outcome",
            past_alarms(people, night, args.seed),
        )
    for table in ("homes", "home_rules", "alarms"):
        await conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
    say("homes, rules and past alarms stored")
    return await load_history(conn, people, args.history_homes, args)
