"""Wellbeing: no activity for longer than this person usually goes without, at this hour.

Pure. The threshold is adaptive: from the person's own hourly activity over past weeks, the
longest quiet spell that covered this hour of the week, taken at a high percentile over the
weeks, plus a margin; never below a static minimum (nobody is called for a short nap) and,
without enough history, the static default. The alarm says why in numbers the translation
layer puts into words: "no movement for 5 h 10 min; usual longest at this hour 2 h 40 min".
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

INACTIVITY = "inactivity"
"""The alarm kind."""
PRIORITY = 2
HOUR = timedelta(hours=1)
WEEK = timedelta(weeks=1)


@dataclass(frozen=True, slots=True)
class InactivitySettings:
    """The rule's settings for one person (defaults suit most)."""

    default: timedelta = timedelta(hours=6)
    """The threshold without enough history."""
    minimum: timedelta = timedelta(hours=2)
    margin: timedelta = timedelta(hours=1)
    percentile: float = 0.9
    weeks: int = 4
    min_weeks: int = 2
    """Weeks of history needed before the threshold adapts."""


@dataclass(frozen=True, slots=True)
class InactivityAlarm:
    """Why an inactivity alarm is raised."""

    idle: timedelta
    threshold: timedelta
    usual: timedelta | None
    """The usual longest quiet spell at this hour (None without enough history)."""

    @property
    def reason_params(self) -> dict[str, str]:
        """Minutes, for the translation layer's message."""
        params = {
            "idle_minutes": str(int(self.idle.total_seconds() // 60)),
            "threshold_minutes": str(int(self.threshold.total_seconds() // 60)),
        }
        if self.usual is not None:
            params["usual_minutes"] = str(int(self.usual.total_seconds() // 60))
        return params


@dataclass(frozen=True, slots=True)
class History:
    """A person's active hours (UTC hour starts), searchable by time.

    Built once per home when many hours are judged against the same history (a baseline
    judges all 168 hours of the week).
    """

    hours: frozenset[datetime]
    ordered: list[datetime] = field(compare=False)

    @classmethod
    def of(cls, hours: Iterable[datetime]) -> History:
        """The history of these active hours."""
        unique = frozenset(hours)
        return cls(unique, sorted(unique))

    def __contains__(self, hour: object) -> bool:
        """Whether ``hour`` was active."""
        return hour in self.hours

    @property
    def first(self) -> datetime | None:
        """The earliest active hour known."""
        return self.ordered[0] if self.ordered else None

    def any_between(self, start: datetime, end: datetime) -> bool:
        """Whether any hour ``start <= h < end`` was active."""
        index = bisect.bisect_left(self.ordered, start)
        return index < len(self.ordered) and self.ordered[index] < end


def _history(active_hours: set[datetime] | History) -> History:
    return active_hours if isinstance(active_hours, History) else History.of(active_hours)


def quiet_spell_covering(
    active_hours: set[datetime] | History,
    hour: datetime,
    limit: int,
    until: datetime | None = None,
) -> timedelta:
    """The length of the run of quiet hours that contains ``hour`` (0 if it was active).

    ``active_hours`` are hour starts with activity; the run is followed at most ``limit``
    hours each way, not back past the first activity known and not on to ``until`` (outside
    those, nothing is known).
    """
    history = _history(active_hours)
    if hour in history:
        return timedelta(0)
    first = history.first or hour
    before = 0
    while (
        before < limit
        and hour - (before + 1) * HOUR >= first
        and hour - (before + 1) * HOUR not in history
    ):
        before += 1
    after = 0
    while (
        after < limit
        and (until is None or hour + (after + 2) * HOUR <= until)
        and hour + (after + 1) * HOUR not in history
    ):
        after += 1
    return (before + after + 1) * HOUR


def usual_longest_quiet(
    active_hours: set[datetime] | History,
    now: datetime,
    settings: InactivitySettings,
    zone: tzinfo = UTC,
    until: datetime | None = None,
) -> timedelta | None:
    """The usual longest quiet spell covering this hour of the week, over past weeks.

    "This hour of the week" is the home's wall-clock hour (``zone``), so a change of the
    clocks does not compare this morning with last week's night. None when fewer than
    ``settings.min_weeks`` past weeks have any activity at all. Hours from ``until`` on
    have not been seen yet (default: ``now``).
    """
    history = _history(active_hours)
    this_hour = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    spells = []
    for week in range(1, settings.weeks + 1):
        # Arithmetic on an aware local time keeps the wall-clock hour across a clock change.
        then = (this_hour - week * WEEK).astimezone(UTC)
        if not history.any_between(then - WEEK / 2, then + WEEK / 2):
            continue  # no history that week (not installed yet, or away)
        spells.append(quiet_spell_covering(history, then, limit=48, until=until or now))
    if len(spells) < settings.min_weeks:
        return None
    spells.sort()
    index = min(len(spells) - 1, math.ceil(settings.percentile * len(spells)) - 1)
    return spells[index]


def check_inactivity(
    last_activity: datetime,
    now: datetime,
    active_hours: set[datetime],
    settings: InactivitySettings | None = None,
    zone: tzinfo = UTC,
) -> InactivityAlarm | None:
    """An alarm when the person has been still for longer than their threshold, else None.

    ``active_hours`` are UTC hour starts with activity; ``zone`` is the home's time zone.
    """
    settings = settings or InactivitySettings()
    if now - last_activity <= settings.minimum:
        return None
    return judge_inactivity(
        last_activity, now, usual_longest_quiet(active_hours, now, settings, zone), settings
    )


def judge_inactivity(
    last_activity: datetime, now: datetime, usual: timedelta | None, settings: InactivitySettings
) -> InactivityAlarm | None:
    """An alarm when the stillness since ``last_activity`` is past the threshold, else None.

    The threshold comes from ``usual``, the usual longest quiet spell at this hour (None:
    not known).
    """
    idle = now - last_activity
    threshold = (
        settings.default if usual is None else max(settings.minimum, usual + settings.margin)
    )
    if idle <= threshold:
        return None
    return InactivityAlarm(idle=idle, threshold=threshold, usual=usual)
