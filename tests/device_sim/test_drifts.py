"""Simulated people who drift in known ways, and the ordinary ups and downs of everybody.

The drifts are checked through the hub's own daily indicators, so that what the review list
is measured on is what the simulator says it made.
"""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from bench.dashboards.quality import as_readings
from device_sim.drifts import Drift, DriftKind, Life, Spell, ordinary_life
from device_sim.home import DOOR, SimHome
from device_sim.people import USUAL, person
from hub.indicators.daily import DailyIndicators, compute, window

if TYPE_CHECKING:
    from collections.abc import Callable

ROME = ZoneInfo("Europe/Rome")
START = date(2026, 3, 2)


def home(life: Life | None = None, index: int = 4) -> SimHome:
    """A simulated home on Italian time, its days shaped by ``life``."""
    sim = SimHome(f"sim-{index}", person(index, 7), 7, tz=ROME)
    if life is not None:
        sim.shaping = life
    return sim


def days(sim: SimHome, first: date, count: int) -> list[DailyIndicators]:
    """The home's days in numbers, as the nightly run works them out."""
    made = []
    for n in range(count):
        day = first + timedelta(days=n)
        lo, hi = window(day, ROME)
        made.append(compute(day, ROME, as_readings(sim.readings(lo, hi, temperatures=False))))
    return made


def mean(found: list[DailyIndicators], indicator: str) -> float:
    """The mean of an indicator over days (unknown days left out)."""
    return statistics.fmean(v for d in found if (v := getattr(d, indicator)) is not None)


def test_a_life_without_departures_changes_nothing() -> None:
    """No drift, no noise: every day has the usual shape, and the readings are the usual."""
    assert Life()(START) is USUAL
    lo, hi = window(START, ROME)
    assert home(Life()).readings(lo, hi + timedelta(days=3)) == home().readings(
        lo, hi + timedelta(days=3)
    )


@pytest.mark.parametrize(
    ("kind", "size", "indicator", "moved"),
    [
        (DriftKind.LESS_ACTIVE, 0.4, "active_hours", lambda b, a: a < 0.7 * b),
        (DriftKind.NIGHT_BATHROOM, 3.0, "night_bathroom_visits", lambda b, a: a >= 2 * b + 1),
        (DriftKind.STAYS_IN, 1.0, "outings", lambda b, a: b > 0 == a),
        (DriftKind.LATER_RISE, 150.0, "rise_min", lambda b, a: a - b >= 120),
        (DriftKind.RESTLESS_NIGHTS, 90.0, "night_out_of_bed_minutes", lambda b, a: a - b >= 60),
    ],
)
def test_each_drift_moves_its_indicator_from_its_start(
    kind: DriftKind, size: float, indicator: str, moved: Callable[[float, float], bool]
) -> None:
    """Three weeks as usual, then three weeks drifted (overnight): the indicator moved."""
    changed = START + timedelta(days=21)
    found = days(home(Life(drifts=(Drift(kind, changed, 1, size),))), START, 42)
    before, after = mean(found[:21], indicator), mean(found[21:], indicator)
    assert moved(before, after), (before, after)
    assert days(home(), START, 21) == found[:21]  # nothing changed before the start


def test_a_drift_grows_over_its_ramp() -> None:
    """Over a fortnight: a seventh of the way after two days, all of it after fourteen."""
    drift = Drift(DriftKind.LATER_RISE, START, 14, 140.0)
    assert [drift.done(START + timedelta(days=n)) for n in (-1, 0, 1, 13, 30)] == [
        0.0,
        1 / 14,
        2 / 14,
        1.0,
        1.0,
    ]
    assert Life(drifts=(drift,))(START + timedelta(days=1)).wake_later_min == 20.0


def test_days_away_leave_the_home_silent_but_for_the_door() -> None:
    """Away from the 10th to the 14th: the door when leaving and when back, nothing between."""
    away = Spell(START + timedelta(days=9), START + timedelta(days=13))
    sim = home(Life(away=(away,)))
    found = days(sim, START + timedelta(days=8), 7)
    assert [d.events == 0 for d in found] == [False, False, True, True, True, False, False]
    assert 0 < found[1].active_hours < 6  # up, breakfast, gone
    assert 0 < found[5].active_hours < 9  # back in the afternoon
    lo, _ = window(away.first, ROME)
    _, hi = window(away.last, ROME)
    doors = [d.ts for d in sim.readings(lo, hi) if d.device_id == DOOR and d.value["open"]]
    leaving = [t for t in doors if t.astimezone(ROME).date() == away.first]
    back = [t for t in doors if t.astimezone(ROME).date() == away.last]
    assert (len(leaving), len(back)) == (1, 1)
    assert [t for t in doors if leaving[0] < t < back[0]] == []


def test_a_bad_night_and_a_late_morning_after() -> None:
    """Bathroom trips and an hour up in the night, then up later than usual."""
    night = START + timedelta(days=3)  # the 5th
    usual = days(home(), night, 2)
    bad = days(home(Life(bad_nights=frozenset({night}))), night, 2)
    # The night after the 5th is the 6th's.
    assert (bad[1].night_out_of_bed_minutes or 0) >= (usual[1].night_out_of_bed_minutes or 0) + 50
    assert (bad[1].rise_min or 0) >= (usual[1].rise_min or 0) + 45


def test_ordinary_life_is_seeded_and_ordinary() -> None:
    """The same key, the same year; a year has some days away, spells unwell and bad nights."""
    first, last = date(2026, 1, 1), date(2026, 12, 31)
    lives = [ordinary_life(f"7:sim-{n}", first, last) for n in range(40)]
    assert lives[0] == ordinary_life("7:sim-0", first, last)
    assert lives[0] != lives[1]
    away = [s for life in lives for s in life.away]
    assert 30 <= len(away) <= 90  # about 1.5 a year each
    assert {(s.last - s.first).days + 1 for s in away} <= set(range(2, 15))
    nights = statistics.mean(len(life.bad_nights) for life in lives)
    assert 10 <= nights <= 20  # one in 25
