"""Wellbeing at night: a door opened in the night window, or out of bed and not back.

Pure. The window is in the home's local time and may run past midnight (22:00-06:00).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.alarms.settings import NightWindow

NIGHT_DOOR = "night_door"
"""The alarm kind of a door opened at night."""
OUT_OF_BED = "out_of_bed"
"""The alarm kind of a night-time absence from bed."""
PRIORITY = 2


def in_window(moment: datetime, window: NightWindow, zone: tzinfo) -> bool:
    """Whether ``moment`` falls in the night window, in the home's time zone."""
    local = moment.astimezone(zone).time()
    if window.starts < window.ends:
        return window.starts <= local < window.ends
    return local >= window.starts or local < window.ends


def door_opened_at_night(opened_at: datetime, window: NightWindow, zone: tzinfo) -> bool:
    """Whether a door opening at ``opened_at`` is one the night-door rule reports."""
    return in_window(opened_at, window, zone)


def out_of_bed_too_long(
    left_at: datetime, now: datetime, window: NightWindow, minutes: int, zone: tzinfo
) -> bool:
    """Whether someone who left bed at ``left_at`` and is not back by ``now`` is overdue.

    Both the leaving and the moment the absence became too long must fall in the night: up
    at 05:50 for the day is not an alarm at 06:35 when the night ends at 06:00.
    """
    due = left_at + timedelta(minutes=minutes)
    return now >= due and in_window(left_at, window, zone) and in_window(due, window, zone)


def describe_out_of_bed(left_at: datetime, now: datetime, zone: tzinfo) -> dict[str, str]:
    """The alarm's reason parameters: when the person got up, and for how long."""
    return {
        "left_bed_at": left_at.astimezone(zone).strftime("%H:%M"),
        "minutes_out": str(int((now - left_at).total_seconds() // 60)),
    }
