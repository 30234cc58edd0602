"""The older history of one home, made from the simulator: kept days, hourly rollup, service.

For each home: its simulated person (:class:`device_sim.home.SimHome`) lives every day of the
history; the readings of each local day's window go through the hub's own pure
:func:`hub.indicators.daily.compute`, with the day's alarms and calls, into a
``daily_indicators`` row; every reading before the raw events begin is counted into
``activity_hourly`` (per home, hour and kind, as the hub's rollup counts them); its alarms,
their timelines and its well-being calls come from :mod:`bench.dashboards.service`.

The thermometer is left out of the simulation here (it is most of the simulator's cost and no
indicator reads it): its rollup is counted instead, two readings in every hour, which is what
the simulator's half-hourly thermometer gives at any phase. The homes have no incidents (the
centre's alarms are :mod:`~bench.dashboards.service`'s rows), so every other reading is an
activity reading.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import process_time
from typing import TYPE_CHECKING

from bench.dashboards.service import HomeService, alarm_rows, call_rows, home_service
from device_sim.home import DEVICE_ROOMS, SimHome
from device_sim.people import person
from hub.indicators.daily import DailyIndicators, Reading, compute, window
from hub.storage.indicators import COLUMNS
from hub.zones import zone_of
from protocol import EventKind, Room

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gateway.outbox import Draft

Row = tuple[object, ...]

HOME_PREFIX = "dash"
TEMPERATURE_PER_HOUR = 2
"""The simulator's thermometer reads every half hour, at its home's own phase."""
_ROOMS = {room.value: room for room in Room}
_DEVICE_ROOMS = {device: Room(room) for device, room in DEVICE_ROOMS.items()}
_HOUR = timedelta(hours=1)
_JSON = frozenset({"room_hours", "alarms", "calls"})


@dataclass(frozen=True, slots=True)
class Plan:
    """What every home's history spans; the same for all homes of a run."""

    seed: int
    zone_name: str
    first_day: date
    """The first local day kept."""
    last_day: date
    """The last local day made here (the raw events' days follow)."""
    raw_from: datetime
    """Where the raw events begin: the rollup made here stops just before (on the hour)."""
    end: datetime
    """The end of the whole history (alarms and calls closed before it)."""
    district_homes: int
    created_at: datetime
    """When the homes and their residents joined the service."""

    @property
    def start(self) -> datetime:
        """Local midnight of the first day: where the rollup and the service begin."""
        return datetime.combine(self.first_day, time(0), zone_of(self.zone_name))

    @property
    def days(self) -> int:
        """Local days made here."""
        return (self.last_day - self.first_day).days + 1


def home_id(index: int) -> str:
    """The id of the ``index``-th home (from 1)."""
    return f"{HOME_PREFIX}-{index:05d}"


def district_of(index: int, district_homes: int) -> str:
    """The district of the ``index``-th home: a new one every ``district_homes`` homes."""
    return f"ats-{(index - 1) // district_homes + 1:02d}"


def sim_home(index: int, plan: Plan) -> SimHome:
    """The simulated home and person of the ``index``-th home."""
    return SimHome(home_id(index), person(index, plan.seed), plan.seed, tz=zone_of(plan.zone_name))


@dataclass(slots=True)
class HomeRows:
    """One home's rows for every table, and what making them cost."""

    residents: list[Row]
    days: list[Row]
    rollup: list[Row]
    alarms: list[Row]
    alarm_log: list[Row]
    schedules: list[Row]
    tasks: list[Row]
    simulate_s: float
    compute_s: float


def activity(drafts: Sequence[Draft]) -> list[Reading]:
    """The activity readings among ``drafts``, in UTC, as the storage query reads them.

    A reading's room is its device's room in the registry (the simulator's homes register
    :data:`~device_sim.home.DEVICE_ROOMS`), else the room its location names, else ``other``.
    """
    found: list[Reading] = []
    append = found.append
    # Kinds are compared by identity: an enum member's hash is a Python call, and a year of
    # a home's readings passes through here.
    for draft in drafts:
        kind = draft.kind
        if kind is EventKind.MOTION:
            name, on = "motion", draft.value.get("detected", False)
        elif kind is EventKind.BED:
            name, on = "bed", draft.value.get("occupied", False)
        elif kind is EventKind.DOOR:
            name, on = "door", draft.value.get("open", False)
        elif kind is EventKind.CHAIR:
            name, on = "chair", draft.value.get("occupied", False)
        elif kind is EventKind.CHECK_IN:
            name, on = "check_in", True
        else:
            continue
        room = _DEVICE_ROOMS.get(draft.device_id) or _ROOMS.get(draft.location or "", Room.OTHER)
        append(Reading(draft.ts.astimezone(UTC), name, room, bool(on)))
    return found


def rollup(home: str, readings: Sequence[Reading], start: datetime, end: datetime) -> list[Row]:
    """``activity_hourly`` rows of ``readings`` (in time order) from ``start`` to ``end``.

    With the thermometer's readings added: :data:`TEMPERATURE_PER_HOUR` in every hour.
    """
    hours: dict[datetime, dict[str, int]] = {}
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while hour < end:
        hours[hour] = {EventKind.TEMPERATURE.value: TEMPERATURE_PER_HOUR}
        hour += timedelta(hours=1)
    moments = [r.ts for r in readings]
    first, last = bisect.bisect_left(moments, start), bisect.bisect_left(moments, end)
    counts: dict[str, int] = {}
    next_hour = start  # readings come in time order: a new hour is found by a comparison
    for reading in readings[first:last]:
        ts = reading.ts
        if ts >= next_hour:
            hour = ts.replace(minute=0, second=0, microsecond=0)
            next_hour = hour + _HOUR
            counts = hours[hour]
        counts[reading.kind] = counts.get(reading.kind, 0) + 1
    return [(home, hour, kind, n) for hour, kinds in hours.items() for kind, n in kinds.items()]


def day_row(home: str, zone_name: str, indicators: DailyIndicators) -> Row:
    """A ``daily_indicators`` row (the columns of :data:`hub.storage.indicators.COLUMNS`)."""
    values: dict[str, object] = {"home_id": home, "time_zone": zone_name}
    row = []
    for column in COLUMNS:
        value = values[column] if column in values else getattr(indicators, column)
        row.append(json.dumps(value) if column in _JSON else value)
    return tuple(row)


def home_rows(index: int, plan: Plan) -> HomeRows:
    """Every row of the ``index``-th home's history."""
    zone = zone_of(plan.zone_name)
    home = sim_home(index, plan)
    district = district_of(index, plan.district_homes)
    started = process_time()
    service = home_service(
        home.home_id, district, zone, start=plan.start, end=plan.end, seed=plan.seed
    )
    first_window, _ = window(plan.first_day, zone)
    _, last_window = window(plan.last_day, zone)
    drafts = home.readings(
        min(first_window, plan.start), max(last_window, plan.raw_from), temperatures=False
    )
    readings = activity(drafts)
    hourly = rollup(home.home_id, readings, plan.start, plan.raw_from)
    simulated = process_time()
    days = _days(home.home_id, plan, readings, service)
    computed = process_time()
    alarms, log = alarm_rows(home.home_id, service.alarms)
    schedules, tasks = call_rows(service, plan.created_at)
    resident = (
        service.resident_id,
        home.home_id,
        home.person.name,
        f"Via Simulata {index}",
        plan.created_at,
    )
    return HomeRows(
        [resident],
        days,
        hourly,
        alarms,
        log,
        schedules,
        tasks,
        simulated - started,
        computed - simulated,
    )


def _days(home: str, plan: Plan, readings: list[Reading], service: HomeService) -> list[Row]:
    zone = zone_of(plan.zone_name)
    alarms, calls = service.alarms_on(zone), service.calls_on(zone)
    moments = [r.ts for r in readings]
    rows = []
    day = plan.first_day
    while day <= plan.last_day:
        start, end = window(day, zone)
        found = readings[bisect.bisect_left(moments, start) : bisect.bisect_left(moments, end)]
        indicators = compute(day, zone, found, alarms.get(day), calls.get(day))
        rows.append(day_row(home, plan.zone_name, indicators))
        day += timedelta(days=1)
    return rows
