"""How long the wellbeing and device rules take over a large centre, against a plain scan.

Run: ``python -m bench.wellbeing_checks [--homes N] [--rounds R] [--seed S] [--day D]
[--explain-ms MS]``.

It starts a private PostgreSQL (or uses ``TELECARE_DATABASE_URL``, as ``bench.ingest`` does,
on a fresh database dropped afterwards), migrates it, makes the events partitions around
``day`` and registers ``homes`` homes in one district. Then it gives them the state a centre
has at two moments of ``day`` (a Tuesday by default), local time Europe/Rome: ``night`` at
03:00, when the night rules can fire, and ``morning`` at 09:30, when late rise can. Every
random choice comes from ``seed``. The rows are written directly (COPY), not through the
ingest; only the checks themselves are the hub's (``refresh_baselines`` in
:mod:`hub.storage.wellbeing_checks` and :data:`hub.loops.alarm_timers.WELLBEING_CHECKS`), called as
they are, with the moment as their ``now``:

- every home a ``home_activity`` row, a ``sensor_state`` row for its bed pad, front door and
  thermometer, and five ``devices`` rows from its unit's heartbeat (pendant, bed pad, door,
  thermometer, movement sensor; each heard 0-90 min ago). At night most people went to bed
  between 21:30 and 23:45 (that is their last activity; 30% got up for a few minutes since)
  and the door last opened yesterday in the day; in the morning they got up between 06:00
  and 09:15 and moved within the last 40 min (a quarter went out of the door after getting
  up). A few are the rules' cases: ``still`` (0.8%: nothing since 13-40 h, half of them in
  bed), ``wanders`` (0.4%: out of bed since 50-150 min at 03:00), ``night_door`` (0.3%: the
  door opened 10-200 min before 03:00), ``late`` (0.5%: still in bed at 09:30); a room
  ``cold`` (0.2%: every reading of the last 3 h below 16 °C), ``cooling`` (0.2%: below 16 °C
  for the last 15-40 min only, so the rule reads its history and finds no alarm) or ``hot``
  (0.05%); one device silent for 2-10 days (0.3%); the unit itself gone 3-20 h before 03:00
  (0.2%: an open ``unit_offline`` alarm, and nothing heard since);
- the thermometers' readings in ``events``, every 30 min at each home's own phase, for the
  3 h before each moment (the only events written);
- 10% of homes have saved rules (``home_rules``: a check-in deadline, or one rule's
  settings changed: out of bed after 30 min, inactivity off, a 23:00-07:00 night, the front
  door named);
- a closed alarm per home on average over the last 60 days (``alarms``), which the rules'
  "one alarm per spell" look-ups have to read past;
- four weeks of the hourly rollup (``activity_hourly``: movement in waking hours, bed,
  door, two thermometer readings an hour) for ``history_homes`` homes, 300 per round and
  one more, with no baseline yet, so that every ``refresh_baselines`` call has 300 to
  renew; the other homes get one of 20 baselines computed with
  :func:`hub.alarms.baseline.compute` from those histories, as of the day.

Then, at each moment: every check ``rounds`` times on one connection, each call in a
transaction rolled back afterwards (each round finds the same work, and raises the same
alarms); the whole round as the hub's loop runs it (baselines, then every check in
``WELLBEING_CHECKS``, each on a connection from an autocommit pool), ``rounds`` times,
committed: the first raises the moment's alarms, the others find them open (at night each
also renews 300 baselines, as the loop does in the hours after local midnight); and the
reference, the plain scan of the tables the round reads. Between the moments operators
close the night's alarms (claim, resolve, through :mod:`hub.storage.alarm_changes`), the
``unit_offline`` ones excepted, and the morning state replaces the night's; the baselines
still due are renewed before the morning's timings, as the loop would have by then, so in
the morning ``refresh_baselines`` is its selection query alone.

Progress goes to standard error; the last line of standard output is one JSON object:

- ``night``, ``morning``: each moment's figures: ``now``; ``checks``, for ``baselines`` and
  each check, ``p50_ms`` and ``max_ms`` over the rounds, ``python_ms`` (this process's CPU
  time in the call, p50: pydantic, the pure rules, :func:`~hub.alarms.baseline.compute`;
  the rest is the database and the round trips) and ``renewed`` (baselines) or ``raised``
  (alarms per call); ``round``: the loop's round, ``first_ms`` (the one raising the
  alarms), ``p50_ms`` and ``max_ms`` over the others, ``raised`` by kind in the first;
  ``scan_ms``: p50 of one plain pass over ``home_activity`` joined to ``home_rules`` and
  ``home_baselines``, over ``sensor_state`` and over ``devices`` joined to ``home_rules``
  (``scan_parts_ms``, each); ``ratio``: round p50 / scan_ms; ``rules_ms``: the rule checks'
  p50s added up (the baselines left out) and ``rules_ratio``: rules_ms / scan_ms;
  ``loop_share``: round p50 and ``loop_share_first``: first round, as a share of the loop's
  30 s period;
- ``round_ms``, ``first_round_ms``, ``scan_ms``, ``ratio``, ``loop_share``: the slower
  moment's (by round p50);
- ``explained``: with ``--explain-ms``, each check's statements slower than that, in ms,
  from one more rolled-back call per check at each moment under ``auto_explain`` (its plans,
  with ANALYZE and buffers, go to standard error; needs a superuser, as the private server
  gives);
- ``rows``: the tables' sizes; ``homes``, ``history_homes``, ``rounds``, ``seed``, ``day``:
  the run's settings; ``database``: the server's kind (``private``, ``pgserver``,
  ``external``), version and the settings that matter; ``load``: ``/proc/loadavg`` at the
  start and the end, the machine's CPU use during the timings (100 = one core) and its
  cores (the machine may be shared); ``wall_s``: the whole run, services included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import psutil
import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from bench.ingest import BenchError, fresh_database
from hub.alarms import baseline, supervision
from hub.alarms.lifecycle import AlarmState
from hub.alarms.settings import InactivityRule, NightDoorRule, NightWindow, OutOfBedRule
from hub.loops.alarm_timers import WELLBEING_CHECKS, WELLBEING_EVERY_S
from hub.storage import alarm_changes, events, homes, migrate, partitions, wellbeing_checks
from hub.storage.registry import DEFAULT_TIME_ZONE
from runtime.logs import configure_logging
from telecare.services import ServiceError, postgres_kind, start_postgres

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence

Conn = psycopg.AsyncConnection[Any]
Pool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]
Report = dict[str, Any]
Row = tuple[object, ...]
HourRow = tuple[str, datetime, str, int]
"""A row of the hourly rollup: home, hour, kind, events."""

ZONE = ZoneInfo(DEFAULT_TIME_ZONE)
DISTRICT = "bench"
HOME_PREFIX = "wb"
DEFAULT_DAY = date(2026, 11, 24)
"""A Tuesday after the clocks went back, so four weeks of history are all on one offset."""
MOMENTS = {"night": clock(3, 0), "morning": clock(9, 30)}
OPERATOR = "bench-operator"
CLOSED_AFTER = timedelta(minutes=15)
"""The night's alarms are resolved this long after 03:00."""

BED, DOOR, THERMOMETER = "bed-pad", "door-front", "thermo-living"
DEVICES = ("pendant", BED, DOOR, THERMOMETER, "pir-hall")
ROUTINES = {"still": 0.008, "wanders": 0.004, "night_door": 0.003, "late": 0.005}
"""Shares of homes whose person does what the rules look for; the rest are ``usual``."""
ROOMS = {"cold": 0.002, "cooling": 0.002, "hot": 0.0005}
"""Shares of rooms out of range; the rest are ``warm``."""
NIGHT_VISIT_SHARE = 0.3
MORNING_OUTING_SHARE = 0.25
SILENT_DEVICE_SHARE = 0.003
UNIT_OFFLINE_SHARE = 0.002
RULES_SHARE = 0.10
ALARMS_PER_HOME = 1.0
ALARM_HISTORY_DAYS = 60
HISTORY_DAYS = 28
TEMPLATES = 20
READING_EVERY = timedelta(minutes=30)
READINGS_BACK = timedelta(hours=3)
PAST_KINDS = {
    "panic_button": (1, 0.3),
    "battery_low": (4, 0.25),
    "unit_offline": (3, 0.15),
    "inactivity": (2, 0.1),
    "night_door": (2, 0.05),
    "out_of_bed": (2, 0.05),
    "device_silent": (4, 0.05),
    "room_temperature": (3, 0.05),
}
"""Kinds of the closed alarms of the last weeks: (priority, share)."""
SERVER_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "jit", "fsync")
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
EXPLAIN_SETTINGS = {
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "on",
    "auto_explain.log_nested_statements": "on",
    "client_min_messages": "log",
}


def say(text: str) -> None:
    """Progress, on standard error (standard output ends with the result)."""
    stamp = time.strftime("%H:%M:%S")
    print(f"[bench.wellbeing_checks {stamp}] {text}", file=sys.stderr, flush=True)


def at(day: date, hours: float) -> datetime:
    """``hours`` after the local midnight starting ``day`` (negative: before), in UTC."""
    return (datetime.combine(day, clock(), ZONE) + timedelta(hours=hours)).astimezone(UTC)


def minutes(value: float) -> timedelta:
    """A timedelta of ``value`` minutes."""
    return timedelta(minutes=value)


def pick(rng: random.Random, shares: dict[str, float], rest: str) -> str:
    """One of ``shares``' keys with its probability, else ``rest``."""
    draw = rng.random()
    for name, share in shares.items():
        if draw < share:
            return name
        draw -= share
    return rest


def new_id(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID from ``rng`` (so that a seed gives the same rows)."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


# --- The homes and their people ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Home:
    """One home's person and devices, as far as the two moments need them."""

    home_id: str
    routine: str
    """``usual``, or one of :data:`ROUTINES`."""
    room: str
    """``warm``, or one of :data:`ROOMS`."""
    bedtime: datetime
    night_visit: tuple[datetime, datetime] | None
    """Out of bed and back, before 03:00."""
    wake: datetime
    still_since: datetime
    still_in_bed: bool
    left_bed: datetime
    night_opening: datetime
    day_opening: datetime
    morning_outing: bool
    warmth: float
    """The room's usual temperature."""
    phase: timedelta
    """When in each half hour the thermometer reads."""
    silent_device: str | None
    silent_since: datetime
    offline_since: datetime | None


def make_homes(count: int, seed: int, day: date) -> list[Home]:
    """``count`` homes, the same for the same seed and day."""
    rng = random.Random(seed)  # noqa: S311 - people's habits, not secrets
    night = at(day, 3)
    made = []
    for n in range(count):
        bedtime = at(day, rng.uniform(-2.5, -0.25))
        visit = None
        if rng.random() < NIGHT_VISIT_SHARE:
            span = (night - bedtime).total_seconds() / 60 - 50
            out = bedtime + minutes(30 + rng.uniform(0, span))
            visit = (out, out + minutes(rng.uniform(3, 15)))
        made.append(
            Home(
                home_id=f"{HOME_PREFIX}-{n:06d}",
                routine=pick(rng, ROUTINES, "usual"),
                room=pick(rng, ROOMS, "warm"),
                bedtime=bedtime,
                night_visit=visit,
                wake=at(day, rng.uniform(6.0, 9.25)),
                still_since=night - timedelta(hours=rng.uniform(13, 40)),
                still_in_bed=rng.random() < 0.5,
                left_bed=night - minutes(rng.uniform(50, 150)),
                night_opening=night - minutes(rng.uniform(10, 200)),
                day_opening=at(day, rng.uniform(-16, -4)),
                morning_outing=rng.random() < MORNING_OUTING_SHARE,
                warmth=rng.uniform(18.5, 23.0),
                phase=timedelta(seconds=rng.uniform(0, READING_EVERY.total_seconds())),
                silent_device=rng.choice(DEVICES) if rng.random() < SILENT_DEVICE_SHARE else None,
                silent_since=night - timedelta(days=rng.uniform(2, 10)),
                offline_since=(
                    night - timedelta(hours=rng.uniform(3, 20))
                    if rng.random() < UNIT_OFFLINE_SHARE
                    else None
                ),
            )
        )
    return made


@dataclass(slots=True)
class State:
    """The rows of the tables the rules read, for all homes at one moment."""

    activity: list[Row] = field(default_factory=list)
    sensors: list[Row] = field(default_factory=list)
    devices: list[Row] = field(default_factory=list)
    readings: list[Row] = field(default_factory=list)


def celsius_at(home: Home, moment: datetime, now: datetime, cooled: datetime) -> float:
    """The thermometer's reading at ``moment``, for the state at ``now``."""
    if home.room == "cold" or (home.room == "cooling" and moment >= cooled):
        return 15.9 - (now - moment).total_seconds() / 3600 * 0.3 - 0.4 * (home.warmth - 18.5)
    if home.room == "hot":
        return 30.5 + (home.warmth - 18.5) * 0.5
    return home.warmth + 0.3 * ((moment.minute % 7) - 3) / 3


def state_at(people: Sequence[Home], label: str, now: datetime, seed: int) -> State:
    """Every home's rows as they stand at ``now`` (``label``: night or morning)."""
    rng = random.Random(f"{seed}:{label}")  # noqa: S311 - readings, not secrets
    morning = label == "morning"
    state = State()
    for home in people:
        add_home(state, home, now, rng, morning=morning)
    return state


def add_home(state: State, home: Home, now: datetime, rng: random.Random, *, morning: bool) -> None:
    """Append ``home``'s rows at ``now`` to ``state``."""
    up = morning and home.routine in {"usual", "wanders", "night_door"}
    if home.routine == "still":
        last, in_bed, bed_at = home.still_since, home.still_in_bed, home.still_since
    elif home.routine == "wanders" and not morning:
        last, in_bed, bed_at = home.left_bed + minutes(rng.uniform(0, 25)), False, home.left_bed
    elif up:
        since_up = (now - home.wake).total_seconds() / 60
        last, in_bed, bed_at = now - minutes(rng.uniform(0, min(40, since_up))), False, home.wake
    else:  # asleep, or (late) still in bed in the morning
        back = home.night_visit[1] if home.night_visit else home.bedtime
        last, in_bed, bed_at = back, True, back
    opened = home.night_opening if home.routine == "night_door" else home.day_opening
    if up and home.morning_outing and home.routine != "night_door":
        out = home.wake + minutes(rng.uniform(15, 60))
        opened = out if out < now else opened
    cooled = now - minutes(rng.uniform(15, 40))
    times = [
        now - READINGS_BACK + home.phase + k * READING_EVERY
        for k in range(int(READINGS_BACK / READING_EVERY) + 1)
    ]
    readings = [
        (moment, celsius_at(home, moment, now, cooled)) for moment in times if moment <= now
    ]
    seen = {device: now - minutes(rng.uniform(0, 90)) for device in DEVICES}
    if home.silent_device is not None:
        seen[home.silent_device] = home.silent_since
    if home.offline_since is not None:
        # Nothing has come from the home since its unit went: the state is as it was then.
        cut = home.offline_since
        last, in_bed, bed_at = cut - minutes(rng.uniform(0, 30)), False, cut
        opened = cut - timedelta(hours=rng.uniform(1, 6))
        readings = [(cut - minutes(rng.uniform(0, 30)), home.warmth)]
        seen = {device: min(moment, cut) for device, moment in seen.items()}
    else:
        for moment, celsius in readings:
            state.readings.append(
                (
                    new_id(rng),
                    moment,
                    moment + timedelta(seconds=rng.uniform(0.2, 3)),
                    home.home_id,
                    THERMOMETER,
                    "temperature",
                    int(moment.timestamp()),
                    "living",
                    json.dumps({"celsius": round(celsius, 1)}),
                )
            )
    state.activity.append((home.home_id, last))
    last_reading, celsius = readings[-1]
    closed = opened + timedelta(seconds=rng.uniform(5, 120))
    state.sensors.extend(
        [
            (home.home_id, BED, "bed", json.dumps({"occupied": in_bed}), bed_at, None),
            (home.home_id, DOOR, "door", json.dumps({"open": False}), closed, opened),
            (
                home.home_id,
                THERMOMETER,
                "temperature",
                json.dumps({"celsius": round(celsius, 1)}),
                last_reading,
                None,
            ),
        ]
    )
    heartbeat = max(seen.values()) if home.offline_since is not None else now
    for device, last_seen in seen.items():
        state.devices.append(
            (
                home.home_id,
                device,
                rng.randint(20, 100),
                rng.randint(-90, -40),
                last_seen,
                heartbeat,
            )
        )


def rules_rows(people: Sequence[Home], seed: int) -> list[Row]:
    """Saved rules for :data:`RULES_SHARE` of the homes."""
    rng = random.Random(f"{seed}:rules")  # noqa: S311 - settings, not secrets
    changes: list[dict[str, Any]] = [
        {"out_of_bed": OutOfBedRule(minutes=30).model_dump(mode="json")},
        {"inactivity": InactivityRule(enabled=False).model_dump(mode="json")},
        {"night": NightWindow(starts=clock(23), ends=clock(7)).model_dump(mode="json")},
        {"night_door": NightDoorRule(devices=[DOOR]).model_dump(mode="json")},
    ]
    rows: list[Row] = []
    for home in people:
        if rng.random() >= RULES_SHARE:
            continue
        if rng.random() < 0.5:
            rows.append((home.home_id, DEFAULT_TIME_ZONE, clock(10), "{}"))
        else:
            rows.append((home.home_id, DEFAULT_TIME_ZONE, None, json.dumps(rng.choice(changes))))
    return rows


def history_rows(home_id: str, day: date, rng: random.Random) -> list[HourRow]:
    """Four weeks of one person's hourly rollup before ``day``: (home, hour, kind, events)."""
    wakes, beds = rng.uniform(6.0, 7.75), rng.uniform(21.5, 23.0)
    naps = rng.random() < 0.4
    counts: Counter[tuple[datetime, str]] = Counter()
    for back in range(1, HISTORY_DAYS + 1):
        offset = -24.0 * back
        wake = wakes + rng.gauss(0, 0.4)
        bed = beds + rng.gauss(0, 0.3)
        for hour in range(int(wake), min(24, int(bed) + 1)):
            skipped = (naps and hour in {14, 15} and rng.random() < 0.7) or rng.random() < 0.08
            if not skipped:
                counts[at(day, offset + hour), "motion"] += rng.randint(1, 30)
        counts[at(day, offset + int(wake)), "bed"] += 1
        counts[at(day, offset + int(bed)), "bed"] += 1
        for _ in range(rng.randint(1, 3)):
            counts[at(day, offset + rng.randint(9, 19)), "door"] += 2
        if rng.random() < NIGHT_VISIT_SHARE:
            hour = rng.randint(1, 4)
            counts[at(day, offset + hour), "bed"] += 2
            counts[at(day, offset + hour), "motion"] += 2
        for hour in range(24):
            counts[at(day, offset + hour), "temperature"] += 2
    return [(home_id, hour, kind, n) for (hour, kind), n in counts.items()]


def active_hours(rows: Iterable[HourRow]) -> set[datetime]:
    """The hours ``refresh_baselines`` reads from these rollup rows."""
    return {hour for _, hour, kind, n in rows if kind in events.ACTIVITY_KINDS and n > 0}


def past_alarms(people: Sequence[Home], night: datetime, seed: int) -> list[Row]:
    """Closed alarms of the last weeks, and the open ``unit_offline`` of units gone now."""
    rng = random.Random(f"{seed}:alarms")  # noqa: S311 - history, not secrets
    kinds = list(PAST_KINDS)
    weights = [share for _, share in PAST_KINDS.values()]
    rows: list[Row] = []
    for _ in range(round(len(people) * ALARMS_PER_HOME)):
        home = rng.choice(people)
        kind = rng.choices(kinds, weights)[0]
        raised = night - timedelta(days=rng.uniform(0.1, ALARM_HISTORY_DAYS))
        claimed = raised + timedelta(seconds=rng.uniform(10, 120))
        cancelled = kind == "panic_button" and rng.random() < 0.3
        rows.append(
            (
                new_id(rng),
                home.home_id,
                kind,
                PAST_KINDS[kind][0],
                "cancelled" if cancelled else "resolved",
                f"alarm.{kind}",
                "{}",
                raised,
                raised,
                OPERATOR,
                claimed,
                claimed + minutes(rng.uniform(2, 40)),
                None if cancelled else "bench",
            )
        )
    for home in people:
        if home.offline_since is not None:
            raised = home.offline_since + timedelta(seconds=150)
            rows.append(
                (
                    new_id(rng),
                    home.home_id,
                    supervision.UNIT_OFFLINE,
                    supervision.PRIORITY,
                    "raised",
                    f"alarm.{supervision.UNIT_OFFLINE}",
                    "{}",
                    raised,
                    raised,
                    None,
                    None,
                    None,
                    None,
                )
            )
    return rows


# --- Loading -----------------------------------------------------------------------------


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
    night = datetime.combine(args.day, MOMENTS["night"], ZONE).astimezone(UTC)
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


async def prepare(conn: Conn, people: Sequence[Home], args: argparse.Namespace) -> int:
    """Schema, homes, rules, alarm history and the sample's rollup; the rollup's rows."""
    await migrate.migrate(conn)
    await partitions.create_ahead(conn, args.day)
    await homes.register(conn, [home.home_id for home in people], DISTRICT)
    night = datetime.combine(args.day, MOMENTS["night"], ZONE).astimezone(UTC)
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


# --- Timing ------------------------------------------------------------------------------


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

    @staticmethod
    def _busy() -> float:
        total = psutil.cpu_times()
        return float(sum(total) - total.idle - getattr(total, "iowait", 0.0))

    def start(self) -> None:
        """Begin a timed part."""
        self._started = (self._busy(), time.monotonic())

    def stop(self) -> None:
        """End it."""
        if self._started is not None:
            busy, wall = self._started
            self.busy_s += self._busy() - busy
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
        "ratio": round(round_["p50_ms"] / scans["scan_ms"], 1),
        "rules_ms": round(rules_ms, 1),
        "rules_ratio": round(rules_ms / scans["scan_ms"], 1),
        "loop_share": round(round_["p50_ms"] / 1000 / WELLBEING_EVERY_S, 4),
        "loop_share_first": round(round_["first_ms"] / 1000 / WELLBEING_EVERY_S, 4),
    }


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
    moments = {
        label: datetime.combine(args.day, moment, ZONE).astimezone(UTC)
        for label, moment in MOMENTS.items()
    }
    report: Report = {}
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        started = time.monotonic()
        history = await prepare(conn, people, args)
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
    load_start = Path("/proc/loadavg").read_text().split()[:3]
    cpu = CpuClock()
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-wb-")))
        external = os.environ.get("TELECARE_DATABASE_URL")
        if external:
            admin_url, kind = external, "external"
        else:
            server = start_postgres(postgres_kind(), workdir / "pgserver")
            stack.callback(server.stop)
            admin_url, kind = server.admin_url, server.kind
            say(f"postgresql ({kind}) at {admin_url}")
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
            "loadavg_end": Path("/proc/loadavg").read_text().split()[:3],
            "machine_cpu_percent": cpu.percent(),
            "machine_cores": psutil.cpu_count(),
        },
        "wall_s": round(time.monotonic() - began, 1),
    }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
    configure_logging("warning")
    # SIGTERM unwinds like Ctrl-C does, so the database server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        result = run(args)
    except (BenchError, ServiceError, psycopg.Error) as err:
        say(f"failed: {err}")
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
