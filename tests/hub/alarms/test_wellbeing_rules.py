"""The night, late-rise, temperature and device rules, and a home's settings, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from hub.alarms import baseline, late_rise, night, room_temperature, supervision
from hub.alarms.settings import LateRiseRule, NightWindow, TemperatureRule, WellbeingSettings

ROME = ZoneInfo("Europe/Rome")
# A Tuesday in Rome.
DAY = datetime(2026, 11, 24, tzinfo=ROME)
HOUR = timedelta(hours=1)


def rome(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A local time on DAY (or ``days`` later), as UTC."""
    return (DAY + timedelta(days=days)).replace(hour=hour, minute=minute).astimezone(UTC)


def mornings(first_hour: int, days: int = 28) -> set[datetime]:
    """Active hours of someone up at ``first_hour`` and about until 22:00 every day before DAY."""
    hours = set()
    for back in range(1, days + 1):
        for hour in range(first_hour, 22):
            hours.add(rome(hour, days=-back))
    return hours


def test_the_usual_time_up_comes_from_the_persons_own_mornings() -> None:
    """Up in the 07:00 hour for four weeks: usually up by 08:00; with a week only, unknown."""
    assert late_rise.usual_up_by(mornings(7), rome(6), time(5), ROME) == time(8)
    assert late_rise.usual_up_by(mornings(7, days=7), rome(6), time(5), ROME) is None


def test_not_up_an_hour_after_the_usual_time_is_a_late_rise_that_says_why() -> None:
    """Usually up by 08:00: at 08:30 nothing, at 09:05 an alarm; any activity since 05:00 is up."""
    rule = LateRiseRule()
    asleep_since = rome(22, days=-1)
    assert late_rise.check_late_rise(rome(8, 30), asleep_since, time(8), rule, ROME) is None
    alarm = late_rise.check_late_rise(rome(9, 5), asleep_since, time(8), rule, ROME)
    assert alarm is not None
    assert alarm.reason_params == {"expected_by": "09:00", "usual_up_by": "08:00"}
    assert late_rise.check_late_rise(rome(9, 5), rome(5, 30), time(8), rule, ROME) is None


def test_without_history_the_late_rise_default_applies() -> None:
    """No usual time known: not up by 10:00 plus an hour."""
    rule = LateRiseRule()
    asleep = rome(22, days=-1)
    assert late_rise.check_late_rise(rome(10, 50), asleep, None, rule, ROME) is None
    alarm = late_rise.check_late_rise(rome(11, 1), asleep, None, rule, ROME)
    assert alarm is not None
    assert alarm.reason_params == {"expected_by": "11:00"}


def test_the_night_window_wraps_midnight_in_local_time() -> None:
    """22:00-06:00 in Rome: 23:30 and 03:00 are night, 06:00 and 21:59 are not."""
    window = NightWindow()
    assert night.in_window(rome(23, 30), window, ROME)
    assert night.in_window(rome(3), window, ROME)
    assert not night.in_window(rome(6), window, ROME)
    assert not night.in_window(rome(21, 59), window, ROME)
    afternoon = NightWindow(starts=time(13), ends=time(15))
    assert night.in_window(rome(14), afternoon, ROME)
    assert not night.in_window(rome(16), afternoon, ROME)


def test_out_of_bed_at_night_is_overdue_only_within_the_night() -> None:
    """Up at 02:00 and not back at 02:46: overdue; up at 05:50 for the day: not at 06:40."""
    window = NightWindow()
    assert not night.out_of_bed_too_long(rome(2), rome(2, 44), window, 45, ROME)
    assert night.out_of_bed_too_long(rome(2), rome(2, 46), window, 45, ROME)
    assert not night.out_of_bed_too_long(rome(5, 50), rome(6, 40), window, 45, ROME)
    assert night.describe_out_of_bed(rome(2), rome(2, 46), ROME) == {
        "left_bed_at": "02:00",
        "minutes_out": "46",
    }


def test_a_room_cold_for_an_hour_raises_and_one_cold_reading_does_not() -> None:
    """Readings every 30 min: 15 °C from 10:00 is an alarm at 11:00, not at 10:30."""
    rule = TemperatureRule()
    readings = [(rome(9, 30), 19.0), (rome(10), 15.0), (rome(10, 30), 14.5)]
    assert room_temperature.check_temperature(readings, rome(10, 30), rule) is None
    readings.append((rome(11), 14.0))
    alarm = room_temperature.check_temperature(readings, rome(11), rule)
    assert alarm is not None
    assert alarm.since == rome(10)
    assert alarm.reason_params == {"celsius": "14.0", "side": "cold", "minutes": "60"}
    back_in_range = [*readings, (rome(11, 30), 18.0)]
    assert room_temperature.check_temperature(back_in_range, rome(11, 30), rule) is None


def test_a_room_swinging_from_cold_to_hot_starts_a_new_spell() -> None:
    """Cold then hot: the hot spell counts from its own first reading."""
    rule = TemperatureRule(minutes=30)
    readings = [(rome(10), 10.0), (rome(10, 30), 31.0), (rome(10, 45), 32.0)]
    assert room_temperature.check_temperature(readings, rome(10, 50), rule) is None
    alarm = room_temperature.check_temperature(readings, rome(11), rule)
    assert alarm is not None
    assert alarm.side == "hot"


def test_devices_silent_past_their_hours_are_named() -> None:
    """A pendant heard 25 h ago is silent after 24 h; a door heard an hour ago is not."""
    now = rome(12)
    seen = {"pendant": now - 25 * HOUR, "door": now - HOUR}
    assert supervision.silent_devices(seen, now, 24) == {"pendant": now - 25 * HOUR}


def test_a_baseline_gives_each_hour_of_the_week_its_usual_quiet_and_the_time_up() -> None:
    """Up 07:00-22:00 local every day: at 03:00 the usual quiet is the 9-hour night."""
    active = mornings(7)
    usual = baseline.compute(active, rome(1), ROME, time(5))
    assert usual.day == DAY.date()
    assert usual.up_by == time(8)
    assert usual.usual_quiet(rome(3), ROME) == 9 * HOUR
    assert usual.usual_quiet(rome(15), ROME) == timedelta(0)
    assert len(usual.quiet_minutes) == baseline.HOURS_OF_WEEK


def test_settings_refuse_a_range_upside_down_and_unknown_fields() -> None:
    """A low above the high, or an unknown rule, is refused with the field named."""
    with pytest.raises(ValidationError, match="low_celsius"):
        WellbeingSettings.model_validate({"temperature": {"low_celsius": 25, "high_celsius": 20}})
    with pytest.raises(ValidationError, match="bathroom"):
        WellbeingSettings.model_validate({"bathroom": {}})
    with pytest.raises(ValidationError, match="same time"):
        NightWindow(starts=time(22), ends=time(22))
