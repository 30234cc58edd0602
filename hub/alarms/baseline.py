"""A person's baseline: what their own history makes usual, worked out once a day.

Pure. Judging every home every few seconds against weeks of hourly history would not scale to
a large centre (100,000 homes), so each home's history is reduced once a day to the usual
longest quiet spell for each of the 168 local hours of the week, and the time they are usually
up by. The rules then compare the present with these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from hub.alarms.late_rise import usual_up_by
from hub.alarms.wellbeing import History, InactivitySettings, usual_longest_quiet

HOURS_OF_WEEK = 7 * 24


def hour_of_week(moment: datetime, zone: tzinfo) -> int:
    """The local hour of the week of ``moment``: 0 is Monday 00:00-01:00, 167 Sunday 23:00."""
    local = moment.astimezone(zone)
    return local.weekday() * 24 + local.hour


@dataclass(frozen=True, slots=True)
class Baseline:
    """One person's usual, as of one local day."""

    day: date
    quiet_minutes: list[int | None]
    """The usual longest quiet spell covering each local hour of the week (None: too little
    history), indexed by :func:`hour_of_week`."""
    up_by: time | None
    """The local time they are usually up by (None: too little history)."""

    def usual_quiet(self, now: datetime, zone: tzinfo) -> timedelta | None:
        """The usual longest quiet spell covering the hour of ``now``."""
        minutes = self.quiet_minutes[hour_of_week(now, zone)]
        return None if minutes is None else timedelta(minutes=minutes)


def compute(
    active_hours: set[datetime], now: datetime, zone: tzinfo, morning_starts: time
) -> Baseline:
    """The baseline for the local day of ``now``.

    From the active hours (UTC hour starts) seen before ``now``.
    """
    history = History.of(h for h in active_hours if h < now)
    today = now.astimezone(zone).date()
    settings = InactivitySettings()
    quiet: list[int | None] = [None] * HOURS_OF_WEEK
    for offset in range(7):
        day = today + timedelta(days=offset)
        for hour in range(24):
            # The occurrence of this hour of the week in the coming seven days, judged on
            # the weeks before it; only hours seen before now count.
            moment = datetime.combine(day, time(hour), zone)
            usual = usual_longest_quiet(history, moment, settings, zone, until=now)
            if usual is not None:
                quiet[day.weekday() * 24 + hour] = int(usual.total_seconds() // 60)
    return Baseline(today, quiet, usual_up_by(set(history.hours), now, morning_starts, zone))
