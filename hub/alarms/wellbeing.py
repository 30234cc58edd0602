"""Wellbeing: no activity for longer than this person usually goes without, at this hour.

Pure. The threshold is adaptive: from the person's own hourly activity over past weeks, the
longest quiet spell that covered this hour of the week, taken at a high percentile over the
weeks, plus a margin; never below a static minimum (nobody is called for a short nap) and,
without enough history, the static default. The alarm says why in numbers the translation
layer puts into words: "no movement for 5 h 10 min; usual longest at this hour 2 h 40 min".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

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


def quiet_spell_covering(active_hours: set[datetime], hour: datetime, limit: int) -> timedelta:
    """The length of the run of quiet hours that contains ``hour`` (0 if it was active).

    ``active_hours`` are hour starts with activity; the run is followed at most ``limit``
    hours each way, and not back past the first activity known (before it, nothing is known).
    """
    if hour in active_hours:
        return timedelta(0)
    first = min(active_hours, default=hour)
    before = 0
    while (
        before < limit
        and hour - (before + 1) * HOUR >= first
        and hour - (before + 1) * HOUR not in active_hours
    ):
        before += 1
    after = 0
    while after < limit and hour + (after + 1) * HOUR not in active_hours:
        after += 1
    return (before + after + 1) * HOUR


def usual_longest_quiet(
    active_hours: set[datetime],
    now: datetime,
    settings: InactivitySettings,
    zone: tzinfo = UTC,
) -> timedelta | None:
    """The usual longest quiet spell covering this hour of the week, over past weeks.

    "This hour of the week" is the home's wall-clock hour (``zone``), so a change of the
    clocks does not compare this morning with last week's night. None when fewer than
    ``settings.min_weeks`` past weeks have any activity at all.
    """
    this_hour = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    spells = []
    for week in range(1, settings.weeks + 1):
        # Arithmetic on an aware local time keeps the wall-clock hour across a clock change.
        then = (this_hour - week * WEEK).astimezone(UTC)
        if not any(then - WEEK / 2 <= h < then + WEEK / 2 for h in active_hours):
            continue  # no history that week (not installed yet, or away)
        spells.append(quiet_spell_covering(active_hours, then, limit=48))
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
    idle = now - last_activity
    if idle <= settings.minimum:
        return None
    usual = usual_longest_quiet(active_hours, now, settings, zone)
    threshold = (
        settings.default if usual is None else max(settings.minimum, usual + settings.margin)
    )
    if idle <= threshold:
        return None
    return InactivityAlarm(idle=idle, threshold=threshold, usual=usual)
