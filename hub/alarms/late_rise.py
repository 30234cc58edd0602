"""Wellbeing: not up by the usual time plus a margin.

Pure. The usual time comes from the person's own mornings: for each past day with history, the
end of the first local hour with activity from ``morning_starts`` on (the hourly rollup has
hours, not minutes); the late side of those (90th percentile) is the time they are usually up
by. Without two weeks of history the rule's ``default_up_by`` applies. The alarm says "not up
by 09:00; usually up by 08:00".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.alarms.settings import LateRiseRule

LATE_RISE = "late_rise"
"""The alarm kind."""
PRIORITY = 2
DAYS = 28
MIN_DAYS = 14
PERCENTILE = 0.9
LATEST_MORNING = time(14, 0)
"""A first activity after this is not a morning: that day says nothing about getting up."""


@dataclass(frozen=True, slots=True)
class LateRiseAlarm:
    """Why a late-rise alarm is raised."""

    expected_by: time
    usual: time | None

    @property
    def reason_params(self) -> dict[str, str]:
        """Local times, for the translation layer's message."""
        params = {"expected_by": self.expected_by.strftime("%H:%M")}
        if self.usual is not None:
            params["usual_up_by"] = self.usual.strftime("%H:%M")
        return params


def usual_up_by(
    active_hours: set[datetime], today: datetime, morning_starts: time, zone: tzinfo
) -> time | None:
    """The local time this person is usually up by, from the past :data:`DAYS` mornings.

    ``active_hours`` are UTC hour starts with activity; ``today`` is an aware moment of the
    day being judged. None with fewer than :data:`MIN_DAYS` mornings of history.
    """
    local_hours = sorted(h.astimezone(zone) for h in active_hours)
    first_by_day: dict[date, datetime] = {}
    for hour in local_hours:
        if morning_starts <= hour.time() < LATEST_MORNING:
            first_by_day.setdefault(hour.date(), hour)
    this_day = today.astimezone(zone).date()
    ups = sorted(
        (hour + timedelta(hours=1)).time()
        for day, hour in first_by_day.items()
        if this_day - timedelta(days=DAYS) <= day < this_day
    )
    if len(ups) < MIN_DAYS:
        return None
    return ups[min(len(ups) - 1, math.ceil(PERCENTILE * len(ups)) - 1)]


def check_late_rise(
    now: datetime,
    last_activity: datetime | None,
    usual: time | None,
    rule: LateRiseRule,
    zone: tzinfo = UTC,
) -> LateRiseAlarm | None:
    """An alarm when the person is not up by the usual time plus the margin, else None.

    ``usual`` comes from :func:`usual_up_by` (None: not known); "up" is any activity since
    this morning began.
    """
    local = now.astimezone(zone)
    morning = datetime.combine(local.date(), rule.morning_starts, zone)
    if now < morning or (last_activity is not None and last_activity >= morning):
        return None
    expected = datetime.combine(local.date(), usual or rule.default_up_by, zone) + timedelta(
        minutes=rule.margin_minutes
    )
    if now < expected:
        return None
    return LateRiseAlarm(expected_by=expected.time(), usual=usual)
