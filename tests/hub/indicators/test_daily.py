"""A person's day in numbers, worked out on hand-made days (no I/O)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.indicators.daily import Reading, compute, window
from protocol import Room

ROME = ZoneInfo("Europe/Rome")


def at(day: date, hhmm: str) -> datetime:
    """A local wall-clock moment in Rome."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ROME)


def motion(day: date, hhmm: str, room: Room) -> Reading:
    """A motion sensor fires."""
    return Reading(at(day, hhmm), "motion", room, on=True)


def bed(day: date, hhmm: str, *, occupied: bool) -> Reading:
    """The bed pad changes."""
    return Reading(at(day, hhmm), "bed", Room.BEDROOM, on=occupied)


def door(day: date, hhmm: str, *, opened: bool) -> Reading:
    """The front door opens or closes."""
    return Reading(at(day, hhmm), "door", Room.ENTRANCE, on=opened)


def ordered(*readings: Reading) -> list[Reading]:
    """Readings in time order, as the storage gives them."""
    return sorted(readings, key=lambda r: r.ts)


DAY = date(2026, 5, 12)
EVE = DAY - timedelta(days=1)


def ordinary_day() -> list[Reading]:
    """To bed at 22:30, one bathroom trip at 2, up at 7:05, out 10:00-11:30, to bed at 22:20."""
    return ordered(
        motion(EVE, "22:10", Room.BATHROOM),
        bed(EVE, "22:30", occupied=True),
        bed(DAY, "02:08", occupied=False),
        motion(DAY, "02:10", Room.BATHROOM),
        motion(DAY, "02:14", Room.BATHROOM),
        bed(DAY, "02:18", occupied=True),
        bed(DAY, "07:05", occupied=False),
        motion(DAY, "07:06", Room.BEDROOM),
        motion(DAY, "07:10", Room.BATHROOM),
        motion(DAY, "07:30", Room.KITCHEN),
        motion(DAY, "07:40", Room.KITCHEN),
        motion(DAY, "08:30", Room.LIVING),
        motion(DAY, "09:58", Room.ENTRANCE),
        door(DAY, "10:00", opened=True),
        door(DAY, "10:01", opened=False),
        door(DAY, "11:30", opened=True),
        door(DAY, "11:31", opened=False),
        motion(DAY, "11:32", Room.ENTRANCE),
        motion(DAY, "12:30", Room.KITCHEN),
        motion(DAY, "12:45", Room.KITCHEN),
        motion(DAY, "15:00", Room.LIVING),
        motion(DAY, "19:00", Room.KITCHEN),
        Reading(at(DAY, "19:30"), "check_in", Room.LIVING, on=True),
        motion(DAY, "22:10", Room.BATHROOM),
        bed(DAY, "22:20", occupied=True),
        motion(DAY, "23:40", Room.BATHROOM),
    )


def test_an_ordinary_day_reads_as_the_person_lived_it() -> None:
    """Getting up, the night trip, the outing, meals, bedtime: each in its own number."""
    day = compute(DAY, ROME, ordinary_day(), alarms={"panic_button": 1}, calls={"spoke": 1})
    assert day.rise_min == 7 * 60 + 5
    assert day.last_activity_min == 22 * 60 + 10
    assert (day.night_bathroom_visits, day.night_out_of_bed_minutes) == (1, 10)
    assert (day.outings, day.out_minutes) == (1, 90)
    assert day.kitchen_visits == 3
    assert day.check_ins == 1
    assert (day.alarms, day.calls) == ({"panic_button": 1}, {"spoke": 1})
    assert day.room_hours["kitchen"][7] == 2
    assert sum(day.room_hours["bathroom"]) == 5  # 2:10, 2:14, 7:10, 22:10, 23:40
    assert day.events == len([r for r in ordinary_day() if r.ts.date() == DAY])


def test_a_trip_after_bedtime_belongs_to_the_next_night() -> None:
    """23:40 is after the 22:20 bedtime: the next day's night, not this one's."""
    after = compute(DAY + timedelta(days=1), ROME, ordinary_day())
    assert after.night_bathroom_visits == 1
    assert after.night_out_of_bed_minutes is not None


def test_a_night_that_crosses_midnight_counts_its_trips_on_both_sides() -> None:
    """In bed at 23:50, trips at 23:58 and 0:40, up at 6:30: two night visits."""
    readings = ordered(
        bed(EVE, "23:50", occupied=True),
        bed(EVE, "23:56", occupied=False),
        motion(EVE, "23:58", Room.BATHROOM),
        bed(DAY, "00:05", occupied=True),
        bed(DAY, "00:38", occupied=False),
        motion(DAY, "00:40", Room.BATHROOM),
        bed(DAY, "00:50", occupied=True),
        bed(DAY, "06:30", occupied=False),
        motion(DAY, "06:35", Room.KITCHEN),
    )
    day = compute(DAY, ROME, readings)
    assert (day.night_bathroom_visits, day.night_out_of_bed_minutes) == (2, 9 + 12)
    assert day.rise_min == 6 * 60 + 30


def test_a_rest_in_bed_is_not_bedtime_and_a_short_return_is_not_getting_up() -> None:
    """Back in bed 20 minutes after the first exit: up is the exit that lasts."""
    readings = ordered(
        bed(EVE, "21:00", occupied=True),
        bed(EVE, "21:20", occupied=False),  # only 20 minutes: not bedtime yet
        motion(EVE, "21:30", Room.BATHROOM),
        bed(EVE, "22:00", occupied=True),
        bed(DAY, "06:00", occupied=False),
        bed(DAY, "06:20", occupied=True),  # back to bed
        bed(DAY, "08:10", occupied=False),
        motion(DAY, "08:15", Room.KITCHEN),
    )
    day = compute(DAY, ROME, readings)
    assert day.rise_min == 8 * 60 + 10
    assert day.night_bathroom_visits == 0  # 21:30 was before bedtime
    assert day.night_out_of_bed_minutes == 20


def every_ten_minutes(day: date) -> list[Reading]:
    """Movement in the living room every ten real minutes, all day long."""
    start = datetime(day.year, day.month, day.day, tzinfo=ROME)
    end = datetime.combine(day + timedelta(days=1), start.timetz())
    moments = []
    moment = start
    while moment < end:
        moments.append(Reading(moment, "motion", Room.LIVING, on=True))
        moment = (moment.astimezone(ZoneInfo("UTC")) + timedelta(minutes=10)).astimezone(ROME)
    return moments


def test_daylight_saving_days_have_their_real_length_and_wall_clock_times() -> None:
    """The spring day has 23 active hours, the autumn day 25; getting up reads the wall clock."""
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    assert compute(spring, ROME, every_ten_minutes(spring)).active_hours == 23
    assert compute(autumn, ROME, every_ten_minutes(autumn)).active_hours == 25
    up = ordered(
        bed(spring - timedelta(days=1), "22:00", occupied=True),
        bed(spring, "07:00", occupied=False),
        motion(spring, "07:05", Room.KITCHEN),
    )
    day = compute(spring, ROME, up)
    assert day.rise_min == 7 * 60
    assert day.night_out_of_bed_minutes == 0
    assert sum(day.room_hours["kitchen"]) == 1


def test_without_a_bed_pad_the_first_move_in_the_day_rooms_is_getting_up() -> None:
    """No bed pad: night from 23:00 to getting up, and no time out of bed to tell."""
    readings = ordered(
        motion(DAY, "03:10", Room.BATHROOM),
        motion(DAY, "05:30", Room.BEDROOM),
        motion(DAY, "07:45", Room.KITCHEN),
        motion(DAY, "08:00", Room.LIVING),
    )
    day = compute(DAY, ROME, readings)
    assert day.rise_min == 7 * 60 + 45
    assert (day.night_bathroom_visits, day.night_out_of_bed_minutes) == (1, None)


def test_a_door_with_someone_still_moving_at_home_is_not_an_outing() -> None:
    """A visitor leaves while the person stays in the kitchen: no time out."""
    readings = ordered(
        door(DAY, "10:00", opened=True),
        motion(DAY, "10:30", Room.KITCHEN),
        door(DAY, "11:00", opened=True),
        motion(DAY, "11:01", Room.ENTRANCE),
    )
    day = compute(DAY, ROME, readings)
    assert (day.outings, day.out_minutes) == (0, 0)


def test_a_day_with_nothing_at_home_is_empty_and_says_which_sensors_it_lacks() -> None:
    """No readings at all: no activity, nothing known of the night or the kitchen."""
    day = compute(DAY, ROME, [])
    assert (day.events, day.active_hours, day.rise_min, day.outings) == (0, 0, None, 0)
    assert (day.night_bathroom_visits, day.kitchen_visits, day.night_out_of_bed_minutes) == (
        None,
        None,
        None,
    )


def test_the_window_runs_from_the_noon_before_to_midnight() -> None:
    """The night before belongs to the day: its readings are fetched with it."""
    start, end = window(DAY, ROME)
    assert (start, end) == (at(EVE, "12:00"), at(DAY + timedelta(days=1), "00:00"))
