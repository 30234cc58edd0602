"""People whose routine drifts in known ways, amid the ordinary ups and downs of anyone's year.

Pure and seeded, as the rest of the simulator. A :class:`Life` is one person's departures from
their habits, day by day (a :class:`~device_sim.people.DayShape` for each day): give it to a
:class:`~device_sim.home.SimHome` as its ``shaping``.

- **Drifts** (:class:`Drift`), the changes the review list is for, each from a start day and
  reaching its full size over ``ramp_days`` (1: overnight, after a fall or a bereavement; 14:
  over a fortnight; more: slowly):
  ``less_active`` (more time in bed, long still spells in the armchair, fewer outings, to bed
  earlier and up later: ``size`` is about the share of active hours lost), ``night_bathroom``
  (bathroom trips at night ``size`` times as many, and one more), ``stays_in`` (``size`` the
  share of outings given up: 1 stops going out), ``later_rise`` (up ``size`` minutes later),
  ``restless_nights`` (up in the living room for ``size`` minutes in the night, in spells of
  under an hour).
- **Ordinary noise** (:func:`ordinary_life`), for everybody: days away from home (a weekend
  or a week at a relative's, a holiday: nobody home, the door when leaving and coming back), a
  few days unwell now and then (up later, a nap, sitting still, no outings), a bad night
  (bathroom trips, up for an hour, a late morning after), and the seasons (up a little later
  in winter, out a little more in summer).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from device_sim.people import USUAL, Away, DayShape, poisson

ONE_DAY = timedelta(days=1)


class DriftKind(StrEnum):
    """How a person's routine drifts."""

    LESS_ACTIVE = "less_active"
    NIGHT_BATHROOM = "night_bathroom"
    STAYS_IN = "stays_in"
    LATER_RISE = "later_rise"
    RESTLESS_NIGHTS = "restless_nights"


@dataclass(frozen=True, slots=True)
class Drift:
    """A change in a person's routine from ``start``, full-size after ``ramp_days``."""

    kind: DriftKind
    start: date
    ramp_days: int
    size: float
    """In the kind's own unit (see the module's description)."""

    def done(self, day: date) -> float:
        """How far the drift has gone on ``day``: 0 before the start, up to 1 at full size."""
        if day < self.start:
            return 0.0
        return min(((day - self.start).days + 1) / max(self.ramp_days, 1), 1.0)


@dataclass(frozen=True, slots=True)
class Spell:
    """Days from ``first`` to ``last``, both included."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        """Whether ``day`` is one of the spell's days."""
        return isinstance(day, date) and self.first <= day <= self.last


@dataclass(frozen=True, slots=True)
class Life:
    """One person's departures from their habits: call it with a day for the day's shape."""

    drifts: tuple[Drift, ...] = ()
    away: tuple[Spell, ...] = ()
    """Stays away from home, two days or more each (left on the first, back on the last)."""
    unwell: tuple[Spell, ...] = ()
    bad_nights: frozenset[date] = frozenset()
    """Days whose night after is a bad one."""
    seasons: bool = False
    _cache: dict[date, DayShape] = field(default_factory=dict, repr=False, compare=False)

    def __call__(self, day: date) -> DayShape:
        """The shape of ``day`` (and of the night after it)."""
        shape = self._cache.get(day)
        if shape is None:
            shape = self._cache[day] = self._shape(day)
        return shape

    def with_drift(self, drift: Drift) -> Life:
        """This life, with ``drift`` besides."""
        return Life(
            (*self.drifts, drift), self.away, self.unwell, self.bad_nights, seasons=self.seasons
        )

    def _shape(self, day: date) -> DayShape:
        away = next((a for a in self.away if day in a), None)
        if away is not None:
            if day == away.first:
                return DayShape(away=Away.LEAVES)
            return DayShape(away=Away.RETURNS if day == away.last else Away.ALL_DAY)
        bend = _Bend()
        if self.seasons:
            # Up later on dark winter mornings, out more in summer.
            bend.later += 20 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)
            bend.outing *= 1 + 0.15 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365)
        if any(day in spell for spell in self.unwell):
            bend.later += 45
            bend.nap += 120
            bend.still = 0.3
            bend.outing *= 0.1
            bend.trips += 0.5
        if day in self.bad_nights:
            bend.trips += 3
            bend.up += 60
        if day - ONE_DAY in self.bad_nights:
            bend.later += 60
        for drift in self.drifts:
            bend.drift(drift, drift.done(day))
        shape = bend.shape()
        return USUAL if shape == USUAL else shape


@dataclass(slots=True)
class _Bend:
    """A day's departures from habit, added up."""

    later: float = 0.0
    bed_earlier: float = 0.0
    nap: float = 0.0
    still: float = 0.0
    outing: float = 1.0
    factor: float = 1.0
    trips: float = 0.0
    up: float = 0.0

    def drift(self, drift: Drift, done: float) -> None:
        if not done:
            return
        size = drift.size * done
        if drift.kind is DriftKind.LESS_ACTIVE:
            self.later += 60 * size
            self.bed_earlier += 120 * size
            self.nap += 300 * size
            self.still = max(self.still, size / 3)
            self.outing *= 1 - size / 2
        elif drift.kind is DriftKind.NIGHT_BATHROOM:
            # Low counts too rise clearly: from 0.3 a night to 1.9 at three times.
            self.factor *= 1 + (drift.size - 1) * done
            self.trips += done
        elif drift.kind is DriftKind.STAYS_IN:
            self.outing *= max(1 - size, 0.0)
        elif drift.kind is DriftKind.LATER_RISE:
            self.later += size
        else:
            self.up += size

    def shape(self) -> DayShape:
        return DayShape(
            wake_later_min=self.later,
            bed_earlier_min=self.bed_earlier,
            nap_min=self.nap,
            still_share=self.still,
            outing_factor=self.outing,
            night_trips_factor=self.factor,
            extra_night_trips=self.trips,
            night_up_min=self.up,
        )


AWAY_PER_YEAR = 1.5
UNWELL_PER_YEAR = 2.0
BAD_NIGHT_CHANCE = 1 / 25


def ordinary_life(key: str, first: date, last: date) -> Life:
    """The ordinary ups and downs of one person's days from ``first`` to ``last``.

    ``key`` seeds it (the run's seed and the home). About 1.5 stays away a year (half a
    weekend of 2-4 days, half a week or two), two spells of 2-4 days unwell, one bad night in
    25, and the seasons.
    """
    rng = random.Random(f"{key}:ordinary-life")  # noqa: S311 - a simulation, not secrets
    span = (last - first).days + 1
    taken: list[Spell] = []

    def spells(per_year: float, length: tuple[int, int] | None) -> list[Spell]:
        made = []
        for _ in range(poisson(rng, per_year * span / 365)):
            days = (
                rng.randint(*length)
                if length
                else rng.choice((rng.randint(2, 4), rng.randint(7, 14)))
            )
            start = first + timedelta(days=rng.randrange(max(span - days, 1)))
            spell = Spell(start, start + timedelta(days=days - 1))
            # A week clear of any other spell, so that each is seen on its own.
            if all(
                spell.last + 7 * ONE_DAY < t.first or t.last + 7 * ONE_DAY < spell.first
                for t in taken
            ):
                taken.append(spell)
                made.append(spell)
        return made

    away = spells(AWAY_PER_YEAR, None)
    unwell = spells(UNWELL_PER_YEAR, (2, 4))
    nights = frozenset(
        first + timedelta(days=n) for n in range(span) if rng.random() < BAD_NIGHT_CHANCE
    )
    return Life(away=tuple(away), unwell=tuple(unwell), bad_nights=nights, seasons=True)


SIZES = {
    DriftKind.LESS_ACTIVE: (0.35, 0.6),
    DriftKind.NIGHT_BATHROOM: (2.5, 3.5),
    DriftKind.STAYS_IN: (1.0, 1.0),
    DriftKind.LATER_RISE: (120.0, 180.0),
    DriftKind.RESTLESS_NIGHTS: (60.0, 120.0),
}
"""The sizes drifts are drawn from: each clearly past the review's default threshold (who
stops going out stops)."""


def random_drift(rng: random.Random, kind: DriftKind, start: date, ramp_days: int) -> Drift:
    """A drift of ``kind`` from ``start`` over ``ramp_days``, its size drawn from :data:`SIZES`."""
    return Drift(kind, start, ramp_days, rng.uniform(*SIZES[kind]))
