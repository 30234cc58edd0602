"""Early signs of decline on hand-made days: what is a change, what is not (no I/O)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest

from hub.review.followup import EntryState, Latest, Step, next_step
from hub.review.method import (
    HISTORY_DAYS,
    Direction,
    Finding,
    Indicator,
    needed_run,
    review,
)
from hub.review.settings import DropRule, ReviewSettings

ON = date(2026, 5, 31)
FIRST = ON - timedelta(days=HISTORY_DAYS - 1)
RECENT_FROM = ON - timedelta(days=13)
DEFAULTS = ReviewSettings()


@dataclass(frozen=True)
class Day:
    """A kept day with the fields the review reads."""

    day: date
    events: int = 100
    active_hours: float = 13.0
    rise_min: int | None = 7 * 60
    outings: int = 1
    night_bathroom_visits: int | None = 1
    night_out_of_bed_minutes: int | None = 8
    kitchen_visits: int | None = 3


def usual_days(seed: int = 1) -> list[Day]:
    """70 days of an ordinary person: a little different each day, out most days."""
    rng = random.Random(seed)  # noqa: S311 - made-up days
    return [
        Day(
            FIRST + timedelta(days=n),
            active_hours=round(rng.gauss(13, 0.8) * 4) / 4,
            rise_min=int(rng.gauss(420, 20)),
            outings=int(rng.random() < 0.8),
            night_bathroom_visits=rng.choice((0, 1, 1, 2)),
            night_out_of_bed_minutes=rng.randint(2, 15),
            kitchen_visits=rng.choice((3, 3, 3, 4)),
        )
        for n in range(HISTORY_DAYS)
    ]


def changed(days: list[Day], since: date, **values: object) -> list[Day]:
    """``days`` with ``values`` from ``since`` on."""
    return [replace(d, **values) if d.day >= since else d for d in days]  # type: ignore[arg-type]


def found(days: list[Day], settings: ReviewSettings = DEFAULTS) -> dict[Indicator, Finding]:
    """The findings on ON, by indicator."""
    return {f.indicator: f for f in review(days, ON, settings)}


def test_an_ordinary_person_is_never_listed() -> None:
    """Day-to-day ups and downs are not a change, whatever the seed."""
    for seed in range(20):
        assert found(usual_days(seed)) == {}


def test_a_fortnight_less_active_is_found_with_its_numbers() -> None:
    """Active hours down by more than a quarter for the fortnight: found, worded in numbers."""
    finding = found(changed(usual_days(), RECENT_FROM, active_hours=8.5))[Indicator.ACTIVE_HOURS]
    assert (finding.direction, finding.recent, finding.days) == (Direction.DOWN, 8.5, 14)
    assert 12.5 <= finding.usual <= 13.5
    assert finding.reason_key == "review.active_hours.down"
    assert finding.reason_params == {
        "recent": "8.5",
        "usual": f"{finding.usual:.1f}",
        "days": "14",
    }


def test_half_the_fortnight_changed_and_still_changed_is_needed() -> None:
    """Six bad days are not a change; eight are; eight that ended a week ago are not."""
    days = usual_days()
    assert found(changed(days, ON - timedelta(days=5), active_hours=5.0)) == {}
    assert Indicator.ACTIVE_HOURS in found(changed(days, ON - timedelta(days=7), active_hours=5.0))
    ended = RECENT_FROM + timedelta(days=8)
    past = [replace(d, active_hours=5.0) if RECENT_FROM <= d.day < ended else d for d in days]
    assert found(past) == {}


def test_one_bad_night_is_not_a_change_but_a_fortnight_of_them_is() -> None:
    """Eight bathroom visits on one night: nothing. Three a night for a fortnight: found."""
    days = usual_days()
    assert found(changed(days, ON, night_bathroom_visits=8, night_out_of_bed_minutes=120)) == {}
    finding = found(changed(days, RECENT_FROM, night_bathroom_visits=3))
    assert finding[Indicator.NIGHT_BATHROOM_VISITS].reason_params["recent"] == "3.0"
    assert finding[Indicator.NIGHT_BATHROOM_VISITS].direction is Direction.UP


def test_getting_up_later_and_staying_in() -> None:
    """Up two hours later for a fortnight; no outing for the last 10 days at home."""
    days = usual_days()
    later = found(changed(days, RECENT_FROM, rise_min=9 * 60 + 30))[Indicator.RISE_MIN]
    assert later.reason_params["recent"] == "09:30"
    assert later.reason_key == "review.rise_min.up"
    assert found(changed(days, ON - timedelta(days=8), outings=0)) == {}  # 9 days
    stays_in = found(changed(days, ON - timedelta(days=9), outings=0))[Indicator.OUTINGS]
    assert (stays_in.days, stays_in.reason_key) == (10, "review.outings.none")
    assert stays_in.reason_params["days"] == "10"


def test_someone_who_rarely_goes_out_needs_a_longer_run() -> None:
    """A run of days in must be unlikely for the person, not only 10 days long."""
    assert needed_run(10, 0.8) == 10
    assert needed_run(10, 0.5) == 10
    assert needed_run(10, 0.4) == 14
    assert needed_run(10, 0.3) == 20
    assert needed_run(10, 0.0) is None
    rarely = [replace(d, outings=int(d.day.toordinal() % 3 == 0)) for d in usual_days()]
    assert found(changed(rarely, ON - timedelta(days=13), outings=0)) == {}


def test_days_away_are_left_out_and_do_not_poison_the_usual() -> None:
    """A week away (no activity at home) is neither a drop nor part of the usual."""
    days = usual_days()
    away_recent = changed(days, ON - timedelta(days=6), events=0, active_hours=0.0, outings=0)
    assert found(away_recent) == {}  # too few days at home left in the fortnight
    holiday = [
        replace(d, events=0, active_hours=0.0, outings=0, rise_min=None)
        if FIRST + timedelta(days=10) <= d.day < FIRST + timedelta(days=24)
        else d
        for d in days
    ]
    assert found(holiday) == {}
    finding = found(changed(holiday, RECENT_FROM, active_hours=8.0))[Indicator.ACTIVE_HOURS]
    assert finding.usual >= 12.5  # the days away are not in it


def test_the_days_either_side_of_an_absence_are_left_out() -> None:
    """Leaving in the morning and coming back at night are half days, not a decline."""
    days = usual_days()
    trip = ON - timedelta(days=6)
    edges = [
        replace(d, events=0, active_hours=0.0)
        if d.day == trip
        else replace(d, active_hours=3.0, outings=0)
        if d.day in {trip - timedelta(days=1), trip + timedelta(days=1)}
        else d
        for d in days
    ]
    assert found(edges) == {}


def test_too_little_history_means_no_review() -> None:
    """Four weeks of history before the fortnight at the least."""
    days = changed(usual_days(), RECENT_FROM, active_hours=5.0)
    assert Indicator.ACTIVE_HOURS in found(days[-42:])
    assert found(days[-41:]) == {}


def test_a_sensor_without_readings_is_not_watched() -> None:
    """No bathroom sensor (null): nothing about the bathroom, the rest as usual."""
    days = [replace(d, night_bathroom_visits=None) for d in usual_days()]
    result = found(changed(days, RECENT_FROM, active_hours=7.0))
    assert set(result) == {Indicator.ACTIVE_HOURS}


def test_settings_switch_off_and_move_the_thresholds() -> None:
    """A district watching for a 50% drop does not list a 35% one; switched off, nothing."""
    days = changed(usual_days(), RECENT_FROM, active_hours=8.5)
    strict = DEFAULTS.model_copy(update={"active_hours": DropRule(share=0.5)})
    off = DEFAULTS.model_copy(update={"active_hours": DropRule(enabled=False)})
    assert found(days, strict) == {}
    assert found(days, off) == {}


def finding(recent: float, usual: float = 1.0) -> Finding:
    """A bathroom finding."""
    return Finding(
        Indicator.NIGHT_BATHROOM_VISITS,
        Direction.UP,
        recent,
        usual,
        0.5,
        14,
        recent - usual,
        "review.night_bathroom_visits.up",
        {},
    )


@pytest.mark.parametrize(
    ("latest", "recent", "on", "step"),
    [
        (None, 3.0, ON, Step.OPEN),
        (Latest(EntryState.OPEN, ON - timedelta(days=1), 1.0, 2.0), 3.0, ON, Step.UPDATE),
        (Latest(EntryState.SEEN, ON - timedelta(days=1), 1.0, 2.0), 3.9, ON, Step.GOES_ON),
        (Latest(EntryState.SEEN, ON - timedelta(days=1), 1.0, 2.0), 4.0, ON, Step.OPEN),
        (Latest(EntryState.SEEN, ON - timedelta(days=28), 1.0, 2.0), 3.0, ON, Step.GOES_ON),
        (Latest(EntryState.SEEN, ON - timedelta(days=29), 1.0, 2.0), 3.0, ON, Step.OPEN),
        (Latest(EntryState.SEEN, ON, 1.0, 2.0), 9.0, ON, Step.GOES_ON),
    ],
)
def test_a_seen_change_comes_back_only_when_it_grows_or_is_new(
    latest: Latest | None, recent: float, on: date, step: Step
) -> None:
    """A seen change comes back when it grows by the margin, or after 4 weeks without it.

    Seen at 3 a night from 1 (a change of 2): back at 4 (half as much again). An open entry
    is updated; a day reviewed again adds nothing.
    """
    assert next_step(latest, finding(recent), on, margin=0.5) is step
