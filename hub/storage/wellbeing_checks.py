"""The wellbeing and device rules against the database: who to look at, and raising the alarm.

Each check is one query that narrows a large centre's homes down to the few worth judging
(the rule's settings and the person's baseline are read in SQL for that), then the rule's pure
code in :mod:`hub.alarms` decides and words the alarm. One alarm per spell: a rule does not
raise again while its alarm is open, nor for the same stillness, opening or absence after an
operator closed it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from psycopg import sql

from hub.alarms import baseline, late_rise, night, room_temperature, supervision, wellbeing
from hub.alarms.lifecycle import OPEN_STATES
from hub.alarms.settings import WellbeingSettings
from hub.storage import events
from hub.storage.alarm_changes import raise_by_rule
from hub.zones import DEFAULT_TIME_ZONE, zone_of

if TYPE_CHECKING:
    import uuid

    from psycopg import AsyncConnection

log = structlog.get_logger(__name__)

BASELINES_PER_CHECK = 300
"""Homes whose baseline is worked out again per check (about 5 ms of Python each): 100,000
homes in one time zone are renewed within about three hours of their midnight by one replica,
the previous day's baseline serving meanwhile (it lacks only the last day). Replicas share
the homes out (``baseline_claims``), so two take about half as long."""
CLAIM_FOR = timedelta(minutes=5)
"""How long a replica's claim on a home's baseline holds (a round takes seconds)."""
HISTORY_WEEKS = 5
TEMPERATURE_LOOK_BACK = timedelta(days=1)
"""How far back a cold or hot room's readings are read to find when its spell began (the
longest setting is a day), or back to its last alarm, so that a spell is one alarm however
long it lasts; but not past :data:`TEMPERATURE_REMIND_AFTER`."""
TEMPERATURE_REMIND_AFTER = timedelta(days=7)
"""A room cold or hot for a week without a reading in range raises again."""

_DEFAULTS = WellbeingSettings().model_dump_json()
# Every home's settings with the defaults under them; saved settings are always whole rules.
# An argument to the queries' templates, never a template itself: its braces are JSON's.
_SETTINGS = sql.SQL("(%(defaults)s::jsonb || coalesce(r.wellbeing, '{}'::jsonb))")
_ZONE = sql.SQL("coalesce(r.time_zone, %(zone)s)")
_OPEN = list(OPEN_STATES)


def _in_night(moment: sql.Composable) -> sql.Composable:
    """SQL: whether ``moment`` falls in the home's night window (which may wrap midnight).

    For a query over rows with the home's ``zone`` and settings ``w``.
    """
    return sql.SQL(
        "CASE WHEN {starts} < {ends} THEN {local} >= {starts} AND {local} < {ends}"
        " ELSE {local} >= {starts} OR {local} < {ends} END"
    ).format(
        local=sql.SQL("({} AT TIME ZONE zone)::time").format(moment),
        starts=sql.SQL("(w->'night'->>'starts')::time"),
        ends=sql.SQL("(w->'night'->>'ends')::time"),
    )


def _no_alarm_since(kind: str, since: sql.Composable) -> sql.Composable:
    """SQL: no alarm of ``kind`` open in the home, nor raised at or after ``since``."""
    return sql.SQL(
        "NOT EXISTS (SELECT 1 FROM alarms x WHERE x.home_id = q.home_id AND x.kind = {kind}"
        " AND (x.state = ANY(%(open)s) OR x.raised_at >= {since}))"
    ).format(kind=sql.Literal(kind), since=since)


_UNIT_SILENT = sql.SQL(
    "EXISTS (SELECT 1 FROM alarms u WHERE u.home_id = q.home_id"
    " AND u.kind = {kind} AND u.state = ANY(%(open)s))"
).format(kind=sql.Literal(supervision.UNIT_OFFLINE))
"""SQL: the home unit itself is missing; what it does not send says nothing of the person."""


def _params(now: datetime) -> dict[str, Any]:
    return {"now": now, "defaults": _DEFAULTS, "zone": DEFAULT_TIME_ZONE, "open": _OPEN}


async def refresh_baselines(conn: AsyncConnection[Any], now: datetime) -> int:
    """Work out again the baselines older than their home's local day; return how many.

    The oldest first, at most :data:`BASELINES_PER_CHECK`. Each home is claimed first
    (``baseline_claims``, for :data:`CLAIM_FOR`), so replicas running this at once share the
    homes instead of each working out all of them.
    """
    cursor = await conn.execute(
        sql.SQL(
            "WITH due AS ("
            " SELECT a.home_id, b.local_day FROM home_activity a"
            " LEFT JOIN home_rules r USING (home_id)"
            " LEFT JOIN home_baselines b USING (home_id)"
            " WHERE (b.home_id IS NULL OR b.local_day < (%(now)s AT TIME ZONE {zone})::date)"
            " AND NOT EXISTS (SELECT 1 FROM baseline_claims c"
            "  WHERE c.home_id = a.home_id AND c.until > %(now)s)"
            " ORDER BY b.local_day NULLS FIRST LIMIT %(limit)s"
            "), claimed AS ("
            " INSERT INTO baseline_claims (home_id, until)"
            " SELECT home_id, %(until)s FROM due ORDER BY home_id"
            " ON CONFLICT (home_id) DO UPDATE SET until = EXCLUDED.until"
            " WHERE baseline_claims.until <= %(now)s"
            " RETURNING home_id"
            ")"
            " SELECT a.home_id, {zone}, {settings} -> 'late_rise' ->> 'morning_starts'"
            " FROM claimed a LEFT JOIN home_rules r USING (home_id)"
            " LEFT JOIN home_baselines b USING (home_id)"
            " ORDER BY b.local_day NULLS FIRST"
        ).format(zone=_ZONE, settings=_SETTINGS),
        {**_params(now), "limit": BASELINES_PER_CHECK, "until": now + CLAIM_FOR},
    )
    due = await cursor.fetchall()
    for home_id, zone_name, morning in due:
        hours = await conn.execute(
            "SELECT DISTINCT hour FROM activity_hourly WHERE home_id = %s AND hour >= %s"
            " AND kind = ANY(%s) AND events > 0",
            (home_id, now - HISTORY_WEEKS * wellbeing.WEEK, events.ACTIVITY_KINDS),
        )
        active = {row[0] for row in await hours.fetchall()}
        zone = zone_of(zone_name)
        # About 5 ms of Python per home: off the event loop, so the hub's sockets and its
        # escalation timer keep their turn while 300 homes are worked out.
        usual = await asyncio.to_thread(
            baseline.compute, active, now, zone, time.fromisoformat(morning)
        )
        await conn.execute(
            "INSERT INTO home_baselines (home_id, local_day, quiet_minutes, up_by)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (home_id) DO UPDATE SET"
            " local_day = EXCLUDED.local_day, quiet_minutes = EXCLUDED.quiet_minutes,"
            " up_by = EXCLUDED.up_by",
            (home_id, usual.day, usual.quiet_minutes, usual.up_by),
        )
    return len(due)


async def raise_inactive_homes(conn: AsyncConnection[Any], now: datetime) -> list[uuid.UUID]:
    """Raise an inactivity alarm for each person still for longer than their threshold.

    The threshold is the usual longest quiet spell at this hour (the baseline) plus a margin,
    or the default.
    Not while the bed pad says the person is in bed in the night window (the night has its
    own rules, and a bed with someone in it is not a missing person).
    """
    # PostgreSQL arrays count from 1: Monday 00:00 is quiet_minutes[1].
    how = sql.SQL(
        "(extract(isodow FROM %(now)s AT TIME ZONE zone)::int - 1) * 24"
        " + extract(hour FROM %(now)s AT TIME ZONE zone)::int + 1"
    )
    threshold = sql.SQL(
        "CASE WHEN quiet_minutes[{how}] IS NULL THEN ({rule}->>'default_minutes')::int"
        " ELSE GREATEST(({rule}->>'minimum_minutes')::int,"
        " quiet_minutes[{how}] + ({rule}->>'margin_minutes')::int) END"
    ).format(how=how, rule=sql.SQL("(w->'inactivity')"))
    cursor = await conn.execute(
        sql.SQL(
            "SELECT * FROM (SELECT a.home_id, a.last_activity_at, {zone} AS zone,"
            " {settings} AS w, b.quiet_minutes, EXISTS (SELECT 1 FROM sensor_state s"
            "   WHERE s.home_id = a.home_id AND s.kind = 'bed'"
            "   AND s.value @> '{{\"occupied\": true}}') AS in_bed"
            " FROM home_activity a LEFT JOIN home_rules r USING (home_id)"
            " LEFT JOIN home_baselines b USING (home_id)"
            " WHERE a.last_activity_at < %(now)s - interval '15 minutes') q"
            " WHERE (w->'inactivity'->>'enabled')::boolean"
            " AND last_activity_at < %(now)s - make_interval(mins => {threshold})"
            " AND {no_alarm} AND NOT {unit_silent}"
        ).format(
            zone=_ZONE,
            settings=_SETTINGS,
            threshold=threshold,
            no_alarm=_no_alarm_since(wellbeing.INACTIVITY, sql.SQL("q.last_activity_at")),
            unit_silent=_UNIT_SILENT,
        ),
        _params(now),
    )
    raised = []
    for home_id, last_activity, zone_name, w, quiet, in_bed in await cursor.fetchall():
        settings = WellbeingSettings.model_validate(w)
        zone = zone_of(zone_name)
        if in_bed and night.in_window(now, settings.night, zone):
            continue
        usual = None
        if quiet is not None:
            minutes = quiet[baseline.hour_of_week(now, zone)]
            usual = None if minutes is None else timedelta(minutes=minutes)
        verdict = wellbeing.judge_inactivity(
            last_activity, now, usual, settings.inactivity.settings()
        )
        if verdict is None:
            continue
        alarm = await raise_by_rule(
            conn,
            home_id,
            wellbeing.INACTIVITY,
            wellbeing.PRIORITY,
            verdict.reason_params,
            now=now,
        )
        if alarm is not None:
            raised.append(alarm)
    return raised


async def raise_late_risers(conn: AsyncConnection[Any], now: datetime) -> list[uuid.UUID]:
    """Raise a late-rise alarm for each person not up by their usual time plus the margin."""
    # One a morning: none raised since this morning began, in the home's own time.
    this_morning = sql.SQL(
        "((q.local_now::date + (q.w->'late_rise'->>'morning_starts')::time) AT TIME ZONE q.zone)"
    )
    cursor = await conn.execute(
        sql.SQL(
            "SELECT * FROM (SELECT a.home_id, a.last_activity_at, {zone} AS zone,"
            " {settings} AS w, b.up_by, (%(now)s AT TIME ZONE {zone}) AS local_now"
            " FROM home_activity a LEFT JOIN home_rules r USING (home_id)"
            " LEFT JOIN home_baselines b USING (home_id)"
            " WHERE a.last_activity_at < %(now)s - interval '1 hour') q"
            " WHERE (w->'late_rise'->>'enabled')::boolean"
            "  AND last_activity_at < (local_now::date + (w->'late_rise'->>'morning_starts')::time)"
            "   AT TIME ZONE zone"
            "  AND local_now::time >= coalesce(up_by, (w->'late_rise'->>'default_up_by')::time)"
            " AND {no_alarm} AND NOT {unit_silent}"
        ).format(
            zone=_ZONE,
            settings=_SETTINGS,
            no_alarm=_no_alarm_since(late_rise.LATE_RISE, this_morning),
            unit_silent=_UNIT_SILENT,
        ),
        _params(now),
    )
    raised = []
    for home_id, last_activity, zone_name, w, up_by, _ in await cursor.fetchall():
        settings = WellbeingSettings.model_validate(w)
        zone = zone_of(zone_name)
        verdict = late_rise.check_late_rise(now, last_activity, up_by, settings.late_rise, zone)
        if verdict is None:
            continue
        alarm = await raise_by_rule(
            conn, home_id, late_rise.LATE_RISE, late_rise.PRIORITY, verdict.reason_params, now=now
        )
        if alarm is not None:
            raised.append(alarm)
    return raised


async def raise_night_doors(conn: AsyncConnection[Any], now: datetime) -> list[uuid.UUID]:
    """Raise a night-door alarm for each watched door opened in the home's night window."""
    opened_at = sql.SQL("q.opened_at")
    cursor = await conn.execute(
        sql.SQL(
            "SELECT * FROM (SELECT s.home_id, s.device_id, s.opened_at, {zone} AS zone,"
            " {settings} AS w FROM sensor_state s LEFT JOIN home_rules r USING (home_id)"
            " WHERE s.kind = 'door' AND s.opened_at > %(now)s - interval '1 day') q"
            " WHERE (w->'night_door'->>'enabled')::boolean"
            " AND {in_night} AND {no_alarm} AND NOT {unit_silent}"
        ).format(
            zone=_ZONE,
            settings=_SETTINGS,
            in_night=_in_night(opened_at),
            no_alarm=_no_alarm_since(night.NIGHT_DOOR, opened_at),
            unit_silent=_UNIT_SILENT,
        ),
        _params(now),
    )
    raised = []
    for home_id, device_id, opened_at, zone_name, w in await cursor.fetchall():
        settings = WellbeingSettings.model_validate(w)
        watched = settings.night_door.devices
        zone = zone_of(zone_name)
        if watched and device_id not in watched:
            continue
        if not night.door_opened_at_night(opened_at, settings.night, zone):
            continue
        params = {"device_id": device_id, "opened_at": opened_at.astimezone(zone).strftime("%H:%M")}
        alarm = await raise_by_rule(
            conn, home_id, night.NIGHT_DOOR, night.PRIORITY, params, now=now
        )
        if alarm is not None:
            raised.append(alarm)
    return raised


async def raise_out_of_bed(conn: AsyncConnection[Any], now: datetime) -> list[uuid.UUID]:
    """Raise an out-of-bed alarm for each person who left bed at night and is not back."""
    left_at = sql.SQL("q.ts")
    cursor = await conn.execute(
        sql.SQL(
            "SELECT * FROM (SELECT s.home_id, s.ts, {zone} AS zone, {settings} AS w"
            " FROM sensor_state s LEFT JOIN home_rules r USING (home_id)"
            " WHERE s.kind = 'bed' AND s.value @> '{{\"occupied\": false}}'"
            " AND s.ts > %(now)s - interval '12 hours') q"
            " WHERE (w->'out_of_bed'->>'enabled')::boolean"
            " AND ts <= %(now)s - make_interval(mins => (w->'out_of_bed'->>'minutes')::int)"
            " AND {in_night} AND {no_alarm} AND NOT {unit_silent}"
        ).format(
            zone=_ZONE,
            settings=_SETTINGS,
            in_night=_in_night(left_at),
            no_alarm=_no_alarm_since(night.OUT_OF_BED, left_at),
            unit_silent=_UNIT_SILENT,
        ),
        _params(now),
    )
    raised = []
    for home_id, left_at, zone_name, w in await cursor.fetchall():
        settings = WellbeingSettings.model_validate(w)
        zone = zone_of(zone_name)
        if not night.out_of_bed_too_long(
            left_at, now, settings.night, settings.out_of_bed.minutes, zone
        ):
            continue
        alarm = await raise_by_rule(
            conn,
            home_id,
            night.OUT_OF_BED,
            night.PRIORITY,
            night.describe_out_of_bed(left_at, now, zone),
            now=now,
        )
        if alarm is not None:
            raised.append(alarm)
    return raised


async def raise_room_temperatures(conn: AsyncConnection[Any], now: datetime) -> list[uuid.UUID]:
    """Raise a room-temperature alarm for each room out of the safe range for too long."""
    cursor = await conn.execute(
        sql.SQL(
            "SELECT home_id, device_id, w,"
            " (SELECT max(x.raised_at) FROM alarms x WHERE x.home_id = q.home_id"
            "  AND x.kind = {kind})"
            " FROM (SELECT s.home_id, s.device_id, s.value, {settings} AS w"
            " FROM sensor_state s LEFT JOIN home_rules r USING (home_id)"
            " WHERE s.kind = 'temperature' AND s.ts > %(now)s - interval '2 hours') q"
            " WHERE ({rule}->>'enabled')::boolean"
            " AND ({celsius} < ({rule}->>'low_celsius')::float"
            "  OR {celsius} > ({rule}->>'high_celsius')::float)"
            " AND NOT EXISTS (SELECT 1 FROM alarms x WHERE x.home_id = q.home_id"
            "  AND x.kind = {kind} AND x.state = ANY(%(open)s))"
            " AND NOT {unit_silent}"
        ).format(
            kind=sql.Literal(room_temperature.ROOM_TEMPERATURE),
            settings=_SETTINGS,
            rule=sql.SQL("(w->'temperature')"),
            celsius=sql.SQL("(value->>'celsius')::float"),
            unit_silent=_UNIT_SILENT,
        ),
        _params(now),
    )
    raised = []
    for home_id, device_id, w, last_alarm in await cursor.fetchall():
        settings = WellbeingSettings.model_validate(w).temperature
        history = await conn.execute(
            "SELECT LEAST(ts, received_at), (value->>'celsius')::float FROM events"
            " WHERE home_id = %s AND device_id = %s AND kind = 'temperature'"
            " AND ts > %s AND ts <= %s ORDER BY ts",
            (home_id, device_id, _spell_search_from(now, last_alarm), now),
        )
        readings = [(at, float(value)) for at, value in await history.fetchall()]
        verdict = room_temperature.check_temperature(readings, now, settings)
        if verdict is None or (last_alarm is not None and last_alarm >= verdict.since):
            continue
        params = {**verdict.reason_params, "device_id": device_id}
        alarm = await raise_by_rule(
            conn,
            home_id,
            room_temperature.ROOM_TEMPERATURE,
            room_temperature.PRIORITY,
            params,
            now=now,
        )
        if alarm is not None:
            raised.append(alarm)
    return raised


def _spell_search_from(now: datetime, last_alarm: datetime | None) -> datetime:
    # From before the last alarm, so that its spell, still going on, is found as the same.
    start = now if last_alarm is None else min(now, last_alarm)
    return max(start - TEMPERATURE_LOOK_BACK, now - TEMPERATURE_REMIND_AFTER)


async def raise_silent_devices(conn: AsyncConnection[Any], now: datetime) -> list[uuid.UUID]:
    """Raise one device-silent alarm per home for the radio devices its unit no longer hears.

    From the heartbeats' device list; the alarm names the devices.
    """
    cursor = await conn.execute(
        sql.SQL(
            "SELECT * FROM (SELECT d.home_id, d.device_id, d.last_seen, {settings} AS w"
            " FROM devices d LEFT JOIN home_rules r USING (home_id)"
            " WHERE d.last_seen < %(now)s - interval '1 hour') q"
            " WHERE (w->'device_supervision'->>'enabled')::boolean"
            " AND last_seen < %(now)s - make_interval(hours =>"
            "  (w->'device_supervision'->>'hours')::int)"
            " AND {no_alarm} AND NOT {unit_silent}"
        ).format(
            settings=_SETTINGS,
            no_alarm=_no_alarm_since(supervision.DEVICE_SILENT, sql.SQL("q.last_seen")),
            unit_silent=_UNIT_SILENT,
        ),
        _params(now),
    )
    silent: dict[str, dict[str, datetime]] = defaultdict(dict)
    for home_id, device_id, last_seen, w in await cursor.fetchall():
        hours = WellbeingSettings.model_validate(w).device_supervision.hours
        silent[home_id].update(supervision.silent_devices({device_id: last_seen}, now, hours))
    raised = []
    for home_id, devices in silent.items():
        if not devices:
            continue
        params = {
            "devices": ", ".join(sorted(devices)),
            "last_seen": min(devices.values()).isoformat(),
        }
        alarm = await raise_by_rule(
            conn,
            home_id,
            supervision.DEVICE_SILENT,
            supervision.DEVICE_PRIORITY,
            params,
            now=now,
        )
        if alarm is not None:
            raised.append(alarm)
    return raised
