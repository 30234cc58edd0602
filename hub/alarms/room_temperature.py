"""Wellbeing: a room colder or hotter than the safe range for too long.

Pure. Given a thermometer's recent readings, how long the room has been out of range on one
side without a reading back in range; frail people lose heat fast and do not always notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.alarms.settings import TemperatureRule

ROOM_TEMPERATURE = "room_temperature"
"""The alarm kind."""
PRIORITY = 3


@dataclass(frozen=True, slots=True)
class TemperatureAlarm:
    """Why a room-temperature alarm is raised."""

    celsius: float
    side: str
    """"cold" or "hot"."""
    since: datetime
    minutes: int

    @property
    def reason_params(self) -> dict[str, str]:
        """The last reading, the side of the range, and for how long."""
        return {
            "celsius": f"{self.celsius:.1f}",
            "side": self.side,
            "minutes": str(self.minutes),
        }


def _side(celsius: float, rule: TemperatureRule) -> str | None:
    if celsius < rule.low_celsius:
        return "cold"
    if celsius > rule.high_celsius:
        return "hot"
    return None


def check_temperature(
    readings: list[tuple[datetime, float]], now: datetime, rule: TemperatureRule
) -> TemperatureAlarm | None:
    """An alarm when every reading for the last ``rule.minutes`` is out of range on one side.

    ``readings`` are (time, °C) of one thermometer, oldest first, reaching back at least
    ``rule.minutes`` when there are that many. The out-of-range run starts at its first
    reading, so a room that just crossed the line is not yet an alarm.
    """
    if not readings:
        return None
    latest_at, latest = readings[-1]
    side = _side(latest, rule)
    if side is None:
        return None
    since = latest_at
    for at, celsius in reversed(readings):
        if _side(celsius, rule) != side:
            break
        since = at
    if now - since < timedelta(minutes=rule.minutes):
        return None
    return TemperatureAlarm(
        celsius=latest, side=side, since=since, minutes=int((now - since).total_seconds() // 60)
    )
