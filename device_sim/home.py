"""A simulated home: its devices, what they report as its person lives, and incidents.

Pure: readings are computed from the person's plan for any stretch of time, so the same home
gives the same readings whether it runs live, fast or as history (backfill).

Devices: a pendant (panic button and fall detector), a PIR per room, a front door contact, a
bed pad, a smoke detector and a room thermometer.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from device_sim.people import ROOMS, DayShape, Person, Place, Stay, day_plan, usual_days
from gateway.outbox import Draft
from protocol import EventKind, Room

if TYPE_CHECKING:
    from collections.abc import Callable

PENDANT = "pendant"
DOOR = "door-front"
BED = "bed-pad"
SMOKE = "smoke-hall"
THERMOMETER = "thermo-living"
TEMPERATURE_EVERY = timedelta(minutes=30)
TEMPERATURE_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""A thermometer reads at this moment plus its home's phase plus whole TEMPERATURE_EVERYs."""
DOOR_CLOSES_AFTER = timedelta(seconds=30)
DAYS_CACHED = 4


def pir(room: Place) -> str:
    """The motion sensor of ``room``."""
    return _PIRS[room]


_PIRS = {room: f"pir-{room.value}" for room in Place}

ROOM_OF = {
    Place.BED: Room.BEDROOM,
    Place.BEDROOM: Room.BEDROOM,
    Place.BATHROOM: Room.BATHROOM,
    Place.KITCHEN: Room.KITCHEN,
    Place.LIVING: Room.LIVING,
    Place.HALL: Room.ENTRANCE,
}
"""The registry's room of each place the person can be in the home."""
_ROOM_NAMES = {place: room.value for place, room in ROOM_OF.items()}

DEVICE_ROOMS = {
    **{pir(place): ROOM_OF[place].value for place in ROOMS},
    DOOR: Room.ENTRANCE.value,
    BED: Room.BEDROOM.value,
    SMOKE: Room.ENTRANCE.value,
    THERMOMETER: Room.LIVING.value,
}
"""Where each of a simulated home's fixed devices is (the pendant goes with the person)."""


class IncidentKind(StrEnum):
    """What can be made to happen in a home."""

    PANIC = "panic"
    FALL = "fall"
    """A fall the pendant detects, without a press."""
    FALL_WITH_PRESS = "fall_with_press"
    UNWELL = "unwell"
    """No activity: the person sits without moving for the incident's duration."""
    NIGHT_WANDERING = "night_wandering"
    LATE_RISE = "late_rise"
    """Still in bed, not moving, for the incident's duration."""
    SMOKE = "smoke"
    LOW_BATTERY = "low_battery"
    UNIT_OFFLINE = "unit_offline"
    """The home unit loses its connection (the runner acts on it; no reading)."""
    MAINS_LOSS = "mains_loss"


DEFAULT_DURATION = {
    IncidentKind.FALL: timedelta(hours=6),
    IncidentKind.FALL_WITH_PRESS: timedelta(hours=6),
    IncidentKind.UNWELL: timedelta(hours=5),
    IncidentKind.LATE_RISE: timedelta(hours=3),
    IncidentKind.UNIT_OFFLINE: timedelta(minutes=10),
    IncidentKind.MAINS_LOSS: timedelta(minutes=30),
    IncidentKind.NIGHT_WANDERING: timedelta(minutes=20),
}
"""How long an incident lasts unless told (others are a single moment)."""

QUIET_KINDS = {
    IncidentKind.FALL,
    IncidentKind.FALL_WITH_PRESS,
    IncidentKind.UNWELL,
    IncidentKind.LATE_RISE,
}
"""Incidents during which the person's routine makes no readings."""


@dataclass(frozen=True, slots=True)
class Incident:
    """Something made to happen at ``at`` for ``duration``."""

    kind: IncidentKind
    at: datetime
    duration: timedelta = timedelta(0)

    @property
    def end(self) -> datetime:
        """When it is over."""
        return self.at + self.duration


@dataclass
class SimHome:
    """One home, its person and its incidents."""

    home_id: str
    person: Person
    seed: int
    tz: tzinfo = UTC
    synchronized: bool = False
    """Its timers in step with every other home's (stress runs): the thermometer reads at :00
    and :30 and :meth:`phase` is zero, instead of each home's own phase."""
    incidents: list[Incident] = field(default_factory=list)
    shaping: Callable[[date], DayShape] = field(default=usual_days, compare=False)
    """Each day's departures from the person's habits (drifts, noise: :mod:`device_sim.drifts`)."""
    _days: dict[date, tuple[list[datetime], list[Draft]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def add_incident(
        self, kind: IncidentKind, at: datetime, duration: timedelta | None = None
    ) -> Incident:
        """Make ``kind`` happen at ``at`` (for its default duration unless given)."""
        incident = Incident(
            kind, at, DEFAULT_DURATION.get(kind, timedelta(0)) if duration is None else duration
        )
        self.incidents.append(incident)
        return incident

    def phase(self, what: str, period: timedelta) -> timedelta:
        """Where in each ``period`` this home's ``what`` (a timer) falls, from ``[0, period)``.

        Fixed by the seed and the home id and spread uniformly over homes, as timers that
        started at different moments are; zero for every home when :attr:`synchronized`.
        """
        if self.synchronized:
            return timedelta(0)
        rng = random.Random(f"{self.seed}:{self.home_id}:{what}:phase")  # noqa: S311 - simulation
        return (period * rng.random()) % period  # to the microsecond, it could round up to period

    @cached_property
    def _temperature_phase(self) -> timedelta:
        # Worked out once: readings() is asked for every home several times a second.
        return self.phase(THERMOMETER, TEMPERATURE_EVERY)

    def readings(self, start: datetime, end: datetime, *, temperatures: bool = True) -> list[Draft]:
        """Every reading with ``start <= ts < end``, in time order.

        ``temperatures=False`` leaves the thermometer out: a year of a person's activity is
        then several times quicker to make (``bench/dashboards/quality.py``).
        """
        drafts = [d for d in self._routine(start, end) if not self._quiet(d.ts)]
        if temperatures:
            drafts += self._temperatures(start, end)
        for incident in self.incidents:
            drafts += [d for d in _incident_readings(incident) if start <= d.ts < end]
        drafts.sort(key=lambda d: d.ts)
        return drafts

    def _quiet(self, ts: datetime) -> bool:
        return any(i.kind in QUIET_KINDS and i.at <= ts < i.end for i in self.incidents)

    def _routine(self, start: datetime, end: datetime) -> list[Draft]:
        # Each day's readings are worked out once and searched by time: a live run asks for
        # a fraction of a second of every home several times a second.
        drafts: list[Draft] = []
        day = (start - timedelta(days=1)).astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            times, day_drafts = self._day_readings(day)
            drafts += day_drafts[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)]
            day += timedelta(days=1)
        return drafts

    def _day_readings(self, day: date) -> tuple[list[datetime], list[Draft]]:
        cached = self._days.get(day)
        if cached is None:
            rng = random.Random(f"{self.seed}:{self.home_id}:{day.isoformat()}")  # noqa: S311 - simulation
            still = self.shaping(day).still_share
            drafts = [
                d
                for stay in day_plan(self.person, day, self.tz, self.seed, self.shaping)
                for d in _stay_readings(stay, rng, still)
            ]
            drafts.sort(key=lambda d: d.ts)
            cached = ([d.ts for d in drafts], drafts)
            if len(self._days) >= DAYS_CACHED:
                self._days.pop(min(self._days))
            self._days[day] = cached
        return cached

    def _temperatures(self, start: datetime, end: datetime) -> list[Draft]:
        # Battery thermometers report on their own timers: each home's reads at its own phase
        # of the half hour. Whole steps by floor division, so no float rounding moves a reading.
        epoch = TEMPERATURE_EPOCH + self._temperature_phase
        moment = epoch - ((epoch - start) // TEMPERATURE_EVERY) * TEMPERATURE_EVERY
        drafts = []
        while moment < end:
            hour = moment.astimezone(self.tz).hour + moment.minute / 60
            rng = random.Random(f"{self.seed}:{self.home_id}:{moment.isoformat()}:t")  # noqa: S311 - simulation
            celsius = 20.5 + 1.5 * math.sin(2 * math.pi * (hour - 9) / 24) + rng.gauss(0, 0.2)
            drafts.append(
                Draft(
                    THERMOMETER,
                    EventKind.TEMPERATURE,
                    {"celsius": round(celsius, 1)},
                    moment,
                    Room.LIVING.value,
                )
            )
            moment += TEMPERATURE_EVERY
        return drafts


def _stay_readings(stay: Stay, rng: random.Random, still: float = 0.0) -> list[Draft]:
    if stay.place is Place.AWAY:
        return []
    if stay.place is Place.DOORWAY:
        return [_door(stay.start, opened=True), _door(stay.start + DOOR_CLOSES_AFTER, opened=False)]
    if stay.place is Place.OUT:
        return [
            _door(stay.start, opened=True),
            _door(stay.start + DOOR_CLOSES_AFTER, opened=False),
            _door(stay.end, opened=True),
            _door(stay.end + DOOR_CLOSES_AFTER, opened=False),
        ]
    if stay.place is Place.BED:
        return [
            Draft(BED, EventKind.BED, {"occupied": True}, stay.start, Room.BEDROOM.value),
            Draft(BED, EventKind.BED, {"occupied": False}, stay.end, Room.BEDROOM.value),
        ]
    # A year of history for thousands of homes passes through here: the loop stays lean.
    device, room = _PIRS[stay.place], _ROOM_NAMES[stay.place]
    drafts = []
    moment, end, random = stay.start, stay.end, rng.random
    # Sitting still in the living room: the sensor sees nothing for a long spell.
    sits = still > 0 and stay.place is Place.LIVING
    while moment < end:
        drafts.append(Draft(device, EventKind.MOTION, {"detected": True}, moment, room))
        if sits and random() < still:
            moment += timedelta(minutes=40 + 80 * random())
        else:
            moment += timedelta(minutes=4 + 11 * random())
    return drafts


def _motion(room: Place, ts: datetime) -> Draft:
    return Draft(_PIRS[room], EventKind.MOTION, {"detected": True}, ts, _ROOM_NAMES[room])


def _door(ts: datetime, *, opened: bool) -> Draft:
    return Draft(DOOR, EventKind.DOOR, {"open": opened}, ts, Room.ENTRANCE.value)


def _incident_readings(incident: Incident) -> list[Draft]:  # noqa: PLR0911 - one case per kind
    at, kind = incident.at, incident.kind
    if kind is IncidentKind.PANIC:
        return [Draft(PENDANT, EventKind.PANIC_BUTTON, {"active": True}, at)]
    if kind is IncidentKind.FALL:
        return [Draft(PENDANT, EventKind.FALL, {"active": True}, at)]
    if kind is IncidentKind.FALL_WITH_PRESS:
        return [
            Draft(PENDANT, EventKind.FALL, {"active": True}, at),
            Draft(PENDANT, EventKind.PANIC_BUTTON, {"active": True}, at + timedelta(seconds=20)),
        ]
    if kind is IncidentKind.NIGHT_WANDERING:
        return [
            Draft(BED, EventKind.BED, {"occupied": False}, at, Room.BEDROOM.value),
            _motion(Place.HALL, at + timedelta(minutes=1)),
            _door(at + timedelta(minutes=2), opened=True),
            _door(at + timedelta(minutes=2) + DOOR_CLOSES_AFTER, opened=False),
            _motion(Place.HALL, incident.end),
        ]
    if kind is IncidentKind.SMOKE:
        return [Draft(SMOKE, EventKind.SMOKE, {"active": True}, at, Room.ENTRANCE.value)]
    if kind is IncidentKind.LOW_BATTERY:
        return [Draft(pir(Place.KITCHEN), EventKind.BATTERY_LOW, {"low": True, "percent": 8}, at)]
    if kind is IncidentKind.MAINS_LOSS:
        return [
            Draft("unit", EventKind.MAINS_POWER, {"on": False}, at),
            Draft("unit", EventKind.MAINS_POWER, {"on": True}, incident.end),
        ]
    return []  # quiet incidents act by silence; unit_offline is the runner's
