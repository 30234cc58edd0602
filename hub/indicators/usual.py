"""What is usual for a person: each indicator's band over their own previous weeks.

Pure. A day's band is the 10th to 90th percentile (and the median) of the same indicator over
the :data:`BAND_DAYS` days before it, counting only days the person was at home: nine usual
days in ten fall inside it. With fewer than :data:`BAND_MIN_DAYS` such days there is no band.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

BAND_DAYS = 56
"""Eight weeks: long enough to hold a person's weekly rhythm twice and more."""
BAND_MIN_DAYS = 21


class Unit(StrEnum):
    """How an indicator's numbers read."""

    HOURS = "hours"
    MINUTES = "minutes"
    TIME_OF_DAY = "time_of_day"
    """Minutes after local midnight, shown as a clock time."""
    COUNT = "count"


class Day(Protocol):
    """A kept day as the band reads it (a storage row or :class:`~.daily.DailyIndicators`)."""

    @property
    def events(self) -> int:
        """Activity readings that day (none: nobody at home)."""
        ...


TRENDS: dict[str, Unit] = {
    "active_hours": Unit.HOURS,
    "rise_min": Unit.TIME_OF_DAY,
    "last_activity_min": Unit.TIME_OF_DAY,
    "out_minutes": Unit.MINUTES,
    "outings": Unit.COUNT,
    "night_bathroom_visits": Unit.COUNT,
    "night_out_of_bed_minutes": Unit.MINUTES,
    "kitchen_visits": Unit.COUNT,
    "check_ins": Unit.COUNT,
}
"""The indicators drawn as trends, and their units."""


@dataclass(frozen=True, slots=True)
class Band:
    """One indicator's usual band on one day."""

    low: float
    median: float
    high: float


def present(day: Day) -> bool:
    """Whether anyone was at home that day (a day away says nothing of the person's habits)."""
    return day.events > 0


def value(day: Day, indicator: str) -> float | None:
    """``indicator`` on ``day``; None when the person was away or no sensor could tell."""
    if not present(day):
        return None
    found = getattr(day, indicator)
    return None if found is None else float(found)


def bands(days: Sequence[Day], indicator: str, first: int) -> list[Band | None]:
    """The band of ``indicator`` on each of ``days[first:]``, from the days before each.

    ``days`` are consecutive calendar days (a day not worked out is given as absent).
    """
    values = [value(day, indicator) for day in days]
    # A sorted window slid along the days: a year's page is 365 bands of nine indicators.
    window = sorted(v for v in values[max(0, first - BAND_DAYS) : first] if v is not None)
    found: list[Band | None] = []
    for index in range(first, len(days)):
        if index > first:
            entering = values[index - 1]
            leaving = values[index - 1 - BAND_DAYS] if index - 1 - BAND_DAYS >= 0 else None
            if entering is not None:
                bisect.insort(window, entering)
            if leaving is not None:
                del window[bisect.bisect_left(window, leaving)]
        if len(window) < BAND_MIN_DAYS:
            found.append(None)
            continue
        found.append(Band(_at(window, 0.1), _at(window, 0.5), _at(window, 0.9)))
    return found


def _at(ordered: list[float], share: float) -> float:
    """The ``share`` quantile of ``ordered``, interpolated between its neighbours."""
    position = share * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
