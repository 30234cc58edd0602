"""The inactivity rule on synthetic histories: it adapts to the person and says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.alarms.wellbeing import (
    InactivitySettings,
    check_inactivity,
    quiet_spell_covering,
    usual_longest_quiet,
)

# A Tuesday afternoon.
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def history(weeks: int, awake: range = range(7, 23), skip: tuple[int, ...] = ()) -> set[datetime]:
    """Hours with activity: every waking hour of every day for ``weeks`` weeks back."""
    start = (NOW - timedelta(weeks=weeks)).replace(hour=0, minute=0, second=0, microsecond=0)
    hours = set()
    moment = start
    while moment < NOW.replace(minute=0, second=0, microsecond=0):
        if moment.hour in awake and moment.hour not in skip:
            hours.add(moment)
        moment += HOUR
    return hours


def test_a_quiet_spell_is_measured_around_the_hour() -> None:
    """Quiet 13:00-16:00 around 14:00 is three hours; an active hour is none."""
    day = datetime(2026, 11, 10, tzinfo=UTC)
    active = {day + h * HOUR for h in (11, 12, 16, 17)}
    assert quiet_spell_covering(active, day + 14 * HOUR, limit=48) == 3 * HOUR
    assert quiet_spell_covering(active, day + 12 * HOUR, limit=48) == timedelta(0)


def test_an_active_afternoon_person_is_called_after_a_short_stillness() -> None:
    """Usually active every afternoon hour: 3 h still at 15:30 raises, and says why."""
    active = history(weeks=4)
    assert usual_longest_quiet(active, NOW, InactivitySettings()) == timedelta(0)
    alarm = check_inactivity(NOW - 3 * HOUR, NOW, active)
    assert alarm is not None
    assert alarm.threshold == timedelta(hours=2)
    assert alarm.reason_params == {
        "idle_minutes": "180",
        "threshold_minutes": "120",
        "usual_minutes": "0",
    }
    assert check_inactivity(NOW - 90 * timedelta(minutes=1), NOW, active) is None


def test_the_night_is_not_inactivity() -> None:
    """At 04:00 after 5 h asleep, the usual night quiet (8 h) keeps the rule silent."""
    night = NOW.replace(hour=4, minute=0)
    active = history(weeks=4)
    assert usual_longest_quiet(active, night, InactivitySettings()) == 8 * HOUR
    assert check_inactivity(night - 5 * HOUR, night, active) is None
    assert check_inactivity(night - 10 * HOUR, night, active) is not None


def test_a_person_who_naps_every_afternoon_gets_a_longer_threshold() -> None:
    """Quiet 13:00-16:00 every day: 3 h still at 15:30 is usual; 5 h is not."""
    active = history(weeks=4, skip=(13, 14, 15))
    assert usual_longest_quiet(active, NOW, InactivitySettings()) == 3 * HOUR
    assert check_inactivity(NOW - 3 * HOUR, NOW, active) is None
    alarm = check_inactivity(NOW - 5 * HOUR, NOW, active)
    assert alarm is not None
    assert alarm.threshold == 4 * HOUR


def test_without_history_the_default_applies() -> None:
    """One week of history is not enough: the static six hours decide."""
    active = history(weeks=1)
    assert usual_longest_quiet(active, NOW, InactivitySettings()) is None
    assert check_inactivity(NOW - 5 * HOUR, NOW, active) is None
    alarm = check_inactivity(NOW - 7 * HOUR, NOW, active)
    assert alarm is not None
    assert "usual_minutes" not in alarm.reason_params


def test_the_week_after_the_clocks_go_back_is_not_a_week_of_false_alarms() -> None:
    """Up 08:00-23:00 in Rome: at 07:15 the week after the change, sleep is still usual."""
    rome = ZoneInfo("Europe/Rome")
    now = datetime(2026, 10, 27, 7, 15, tzinfo=rome)  # two days after the clocks went back
    active = set()
    day = datetime(2026, 9, 20, tzinfo=rome)
    while day < now:
        for hour in range(8, 23):
            local = day.replace(hour=hour)
            active.add(local.astimezone(UTC))
        day = (day + timedelta(days=1)).replace(hour=0)
    last = datetime(2026, 10, 26, 22, 59, tzinfo=rome)
    assert check_inactivity(last, now, active, zone=rome) is None
    assert check_inactivity(last, now + 3 * HOUR, active, zone=rome) is not None
