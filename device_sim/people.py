"""Simulated people: daily routines with variation between days and between people.

Pure and seeded: the same seed gives the same people and the same days, so a run can be
repeated exactly. A day is a list of :class:`Stay` (where the person is, from when to when):
asleep in bed with a trip or two to the bathroom, up around their usual time, bathroom,
breakfast, the living room, often an outing, meals, and to bed around their usual bedtime.

A :class:`DayShape` bends a day away from the person's habits (a drift in their routine, a
bad night, a few days unwell, days away from home): :mod:`device_sim.drifts` makes them. The
usual shape changes nothing, and draws nothing more from the day's random numbers.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class Place(StrEnum):
    """Where a person can be."""

    BED = "bed"
    """In bed in the bedroom (the bed pad is occupied)."""
    BEDROOM = "bedroom"
    BATHROOM = "bathroom"
    KITCHEN = "kitchen"
    LIVING = "living"
    HALL = "hall"
    OUT = "out"
    """Out of the home (the front door opened on the way)."""
    DOORWAY = "doorway"
    """Through the front door, leaving for days or back from them (it opens and closes)."""
    AWAY = "away"
    """Away from home for days (a holiday, a week at a relative's): nothing to read."""


ROOMS = (Place.BEDROOM, Place.BATHROOM, Place.KITCHEN, Place.LIVING, Place.HALL)
"""The rooms with a motion sensor."""


@dataclass(frozen=True, slots=True)
class Person:
    """One person's habits (minutes after midnight, local time)."""

    name: str
    wake_min: int
    bed_min: int
    jitter_min: int
    """How much their times vary from day to day (one standard deviation)."""
    night_trips: float
    """Bathroom trips on an average night."""
    outing_chance: float
    """Chance of going out on a given day."""


@dataclass(frozen=True, slots=True)
class Stay:
    """The person is at ``place`` from ``start`` until ``end``."""

    place: Place
    start: datetime
    end: datetime


class Away(StrEnum):
    """Where a day stands in a stay away from home of two days or more."""

    HOME = "home"
    LEAVES = "leaves"
    """Up at home, leaves in the morning."""
    ALL_DAY = "all_day"
    RETURNS = "returns"
    """Back home in the late afternoon."""


@dataclass(frozen=True, slots=True)
class DayShape:
    """How one day (and the night after it) departs from the person's habits."""

    wake_later_min: float = 0.0
    """Up this much later than usual (negative: earlier)."""
    bed_earlier_min: float = 0.0
    """To bed this much earlier than usual."""
    nap_min: float = 0.0
    """An afternoon in bed, about this long."""
    still_share: float = 0.0
    """The share of time in the living room spent sitting still (no motion for 40-120 min)."""
    outing_factor: float = 1.0
    """The chance of an outing times this."""
    night_trips_factor: float = 1.0
    """Bathroom trips on the night after: the usual number times this..."""
    extra_night_trips: float = 0.0
    """... and this many more."""
    night_up_min: float = 0.0
    """Up in the living room for this long in all on the night after (a restless night), in
    spells of under :data:`NIGHT_SPELL_MIN`."""
    away: Away = Away.HOME


USUAL = DayShape()
NIGHT_SPELL_MIN = 45


def usual_days(day: date) -> DayShape:  # noqa: ARG001 - every day the same
    """The shape of every day of a person living by their habits."""
    return USUAL


NAMES = ("Anna", "Bruno", "Carla", "Dario", "Elena", "Franco", "Giulia", "Luigi", "Maria", "Pia")


def person(index: int, seed: int) -> Person:
    """The ``index``-th simulated person of a run seeded with ``seed``."""
    rng = random.Random(f"{seed}:person:{index}")  # noqa: S311 - a simulation, not secrets
    return Person(
        name=f"{rng.choice(NAMES)} {index}",
        wake_min=int(rng.gauss(7 * 60, 45)),
        bed_min=int(rng.gauss(22 * 60 + 15, 40)),
        jitter_min=rng.randint(10, 35),
        night_trips=rng.uniform(0.3, 2.0),
        outing_chance=rng.uniform(0.3, 0.85),
    )


def day_plan(  # noqa: C901, PLR0915 - one day from morning to morning, in its order
    who: Person, day: date, tz: tzinfo, seed: int, shaping: Callable[[date], DayShape] = usual_days
) -> list[Stay]:
    """Where ``who`` is from the start of ``day``'s wake-up until the next morning's.

    The plan covers one waking day and the night after it, so consecutive days join up.
    ``shaping`` gives each day's departures from habit (:func:`usual_days`: none).
    """
    rng = random.Random(f"{seed}:{who.name}:{day.isoformat()}")  # noqa: S311 - simulation
    midnight = datetime.combine(day, time(0), tz)
    shape = shaping(day)

    def at(minutes: float) -> datetime:
        return midnight + timedelta(minutes=minutes)

    wake = wake_minutes(who, day, seed) + shape.wake_later_min
    bed = who.bed_min + rng.gauss(0, who.jitter_min) - shape.bed_earlier_min
    # One value per day, from its own numbers, so a day's plan ends where the next one starts.
    next_day = day + timedelta(days=1)
    next_wake = 24 * 60 + wake_minutes(who, next_day, seed) + shaping(next_day).wake_later_min
    stays: list[Stay] = []
    now = wake

    def stay(place: Place, minutes: float) -> None:
        nonlocal now
        minutes = max(minutes, 1.0)
        stays.append(Stay(place, at(now), at(now + minutes)))
        now += minutes

    if shape.away is Away.ALL_DAY:
        stay(Place.AWAY, next_wake - now)
        return stays
    if shape.away is Away.RETURNS:
        stay(Place.AWAY, 15 * 60 + rng.uniform(0, 4 * 60) - now)
        stay(Place.DOORWAY, 1)
        stay(Place.HALL, rng.uniform(2, 6))
    else:
        stay(Place.BEDROOM, rng.uniform(3, 10))
        stay(Place.BATHROOM, rng.uniform(8, 25))
        stay(Place.KITCHEN, rng.uniform(20, 45))  # breakfast
        if shape.away is Away.LEAVES:
            stay(Place.LIVING, rng.uniform(20, 90))
            stay(Place.HALL, rng.uniform(2, 6))
            stay(Place.DOORWAY, 1)
            stay(Place.AWAY, next_wake - now)
            return stays
        stay(Place.LIVING, rng.uniform(40, 120))
        if rng.random() < who.outing_chance * shape.outing_factor:
            stay(Place.HALL, rng.uniform(2, 6))
            stay(Place.OUT, rng.uniform(45, 180))
            stay(Place.HALL, rng.uniform(2, 6))
        lunch = 12.5 * 60 + rng.gauss(0, 20)
        if now < lunch:
            stay(Place.LIVING, lunch - now)
        stay(Place.KITCHEN, rng.uniform(30, 60))
        if shape.nap_min:
            stay(Place.BED, shape.nap_min * rng.uniform(0.7, 1.3))
        stay(Place.LIVING, rng.uniform(60, 150))  # a rest, the television
        if rng.random() < 0.5:
            stay(Place.BATHROOM, rng.uniform(3, 10))
    dinner = 19 * 60 + rng.gauss(0, 25)
    if now < dinner:
        stay(Place.LIVING, dinner - now)
    stay(Place.KITCHEN, rng.uniform(30, 55))
    if now < bed - 15:
        stay(Place.LIVING, bed - 15 - now)
    stay(Place.BATHROOM, rng.uniform(5, 15))
    trips = poisson(rng, who.night_trips * shape.night_trips_factor + shape.extra_night_trips)
    trip_times = sorted(rng.uniform(now + 60, next_wake - 30) for _ in range(trips))
    # A restless night: up in spells of under an hour (an hour up counts as getting up).
    spells = math.ceil(shape.night_up_min / NIGHT_SPELL_MIN)
    spell_min = shape.night_up_min / spells if spells else 0.0
    ups = sorted(rng.uniform(now + 60, next_wake - 30 - spell_min) for _ in range(spells))
    for moment, place in sorted(
        [(t, Place.BATHROOM) for t in trip_times] + [(t, Place.LIVING) for t in ups]
    ):
        if moment > now:
            stay(Place.BED, moment - now)
            stay(place, rng.uniform(3, 8) if place is Place.BATHROOM else spell_min)
    stay(Place.BED, next_wake - now)
    return stays


def wake_minutes(who: Person, day: date, seed: int) -> float:
    """When ``who`` gets up on ``day``, in minutes after midnight.

    One value per day, so that a day's plan ends where the next one starts.
    """
    rng = random.Random(f"{seed}:{who.name}:{day.isoformat()}:wake")  # noqa: S311 - simulation
    return who.wake_min + rng.gauss(0, who.jitter_min)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count with ``mean`` (Knuth's method: means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
