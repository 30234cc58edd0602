"""Link supervision: a home unit silent past its heartbeats raises a technical alarm.

After social alarm units moved to heartbeats, failed alarm calls fell from about 1 in 10 to
1 in 100 (DOMAIN.md): a silent unit is a person without protection. A unit is missing when
nothing has been heard from it for :data:`MISSED_BEATS` heartbeat intervals, whether it said
goodbye, its connection dropped (the will) or it simply went quiet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MISSED_BEATS = 2.5
"""Heartbeats missed before the unit counts as missing (two lost, plus the slack of one)."""
DEFAULT_INTERVAL_S = 60
UNIT_OFFLINE = "unit_offline"
"""The alarm kind of a missing home unit."""
PRIORITY = 3


def grace(interval_s: int | None) -> timedelta:
    """How long a unit with heartbeats every ``interval_s`` may be silent."""
    return timedelta(seconds=MISSED_BEATS * (interval_s or DEFAULT_INTERVAL_S))


def missing(last_seen: datetime, interval_s: int | None, now: datetime) -> bool:
    """Whether a unit last heard at ``last_seen`` is missing at ``now``."""
    return now - last_seen > grace(interval_s)


DEVICE_SILENT = "device_silent"
"""The alarm kind of radio devices the home unit no longer hears."""
DEVICE_PRIORITY = 4


def silent_devices(
    last_seen: dict[str, datetime], now: datetime, hours: int
) -> dict[str, datetime]:
    """The devices (id -> last heard) not heard for more than ``hours``."""
    limit = now - timedelta(hours=hours)
    return {device: seen for device, seen in last_seen.items() if seen < limit}
