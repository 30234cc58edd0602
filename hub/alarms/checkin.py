"""The daily "I'm OK" check-in: a press expected before a set time, followed up only when missing.

Pure: given the home's deadline and time zone, when the day's window closes and whether a
check-in counts for today.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

MISSED_CHECK_IN = "missed_check_in"
"""The alarm kind."""
PRIORITY = 3


def day_window(now: datetime, before: time, time_zone: str) -> tuple[datetime, datetime]:
    """The start of today (local midnight) and today's deadline, both aware."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date(), time(0), zone)
    return midnight, datetime.combine(local.date(), before, zone)


def missed(now: datetime, before: time, time_zone: str, last_check_in: datetime | None) -> bool:
    """Whether today's check-in is overdue: past the deadline with no press since midnight."""
    midnight, deadline = day_window(now, before, time_zone)
    if now < deadline:
        return False
    return last_check_in is None or last_check_in < midnight


def describe(before: time) -> dict[str, str]:
    """The alarm's reason parameters."""
    return {"expected_before": before.strftime("%H:%M")}
