"""Simulated people and homes: repeatable, varied, plausible, and incidents that show."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from device_sim.home import BED, DOOR, PENDANT, TEMPERATURE_EVERY, IncidentKind, SimHome
from device_sim.people import Place, day_plan, person
from protocol import EventKind

DAY = datetime(2026, 11, 24, tzinfo=UTC)


def home(index: int = 1, seed: int = 7, *, synchronized: bool = False) -> SimHome:
    """A simulated home."""
    return SimHome(f"sim-{index}", person(index, seed), seed, synchronized=synchronized)


def temperatures(sim: SimHome, days: int = 1) -> list[tuple[datetime, dict[str, Any]]]:
    """The thermometer's readings (time and value) over ``days`` from DAY."""
    readings = sim.readings(DAY, DAY + timedelta(days=days))
    return [(d.ts, d.value) for d in readings if d.kind == EventKind.TEMPERATURE]


def test_the_same_seed_gives_the_same_day_and_people_differ() -> None:
    """Repeatable by seed; two people do not live the same day."""
    assert home().readings(DAY, DAY + timedelta(days=1)) == home().readings(
        DAY, DAY + timedelta(days=1)
    )
    first = [s.start for s in day_plan(person(1, 7), DAY.date(), UTC, 7)]
    second = [s.start for s in day_plan(person(2, 7), DAY.date(), UTC, 7)]
    assert first != second


def test_days_vary_and_join_up() -> None:
    """Get-up times differ from day to day; each day's plan starts where the last ended."""
    who = person(3, 7)
    days = [day_plan(who, (DAY + timedelta(days=n)).date(), UTC, 7) for n in range(7)]
    wakes = {plan[0].start.time() for plan in days}
    assert len(wakes) == 7
    for today, tomorrow in itertools.pairwise(days):
        assert today[-1].place is Place.BED
        assert today[-1].end == tomorrow[0].start


def test_a_day_is_plausible() -> None:
    """Movement most of the day, only bathroom trips at night, the door for outings."""
    readings = home().readings(DAY, DAY + timedelta(days=1))
    motion = [d for d in readings if d.kind == EventKind.MOTION]
    assert len({d.ts.hour for d in motion if 8 <= d.ts.hour < 22}) >= 10
    assert {d.location for d in motion if 1 <= d.ts.hour < 5} <= {"bathroom"}
    assert any(d.location == "kitchen" and 11 <= d.ts.hour < 15 for d in motion)
    assert any(d.device_id == BED and d.value == {"occupied": True} for d in readings)
    doors = [d for d in readings if d.device_id == DOOR]
    assert len(doors) % 4 == 0  # out and back: open, close, open, close
    assert all(d.location for d in readings if d.kind == EventKind.MOTION)


def test_readings_split_anywhere_add_up_to_the_whole() -> None:
    """Running live in small steps gives exactly the readings of one long stretch."""
    sim = home()
    whole = sim.readings(DAY, DAY + timedelta(days=2))
    steps, moment = [], DAY
    while moment < DAY + timedelta(days=2):
        steps += sim.readings(moment, moment + timedelta(seconds=45))
        moment += timedelta(seconds=45)
    assert steps == whole


def test_incidents_show_in_the_readings() -> None:
    """A fall is reported and then nothing moves; a panic press and mains loss appear."""
    sim = home()
    fall_at = DAY + timedelta(hours=10)
    sim.add_incident(IncidentKind.FALL_WITH_PRESS, fall_at, timedelta(hours=3))
    sim.add_incident(IncidentKind.MAINS_LOSS, DAY + timedelta(hours=15))
    readings = sim.readings(DAY, DAY + timedelta(days=1))
    pendant = [(d.kind, d.ts) for d in readings if d.device_id == PENDANT]
    assert pendant == [
        (EventKind.FALL, fall_at),
        (EventKind.PANIC_BUTTON, fall_at + timedelta(seconds=20)),
    ]
    during = [
        d
        for d in readings
        if fall_at <= d.ts < fall_at + timedelta(hours=3) and d.kind == EventKind.MOTION
    ]
    assert during == []
    assert [d.value for d in readings if d.kind == EventKind.MAINS_POWER] == [
        {"on": False},
        {"on": True},
    ]


def test_each_thermometer_reads_every_half_hour_at_its_own_moment() -> None:
    """Readings of a home 30 min apart; homes' thermometers read at different moments."""
    times = [ts for ts, _ in temperatures(home(), days=2)]
    assert len(times) == 96
    assert {b - a for a, b in itertools.pairwise(times)} == {TEMPERATURE_EVERY}
    phases = {temperatures(home(n))[0][0] - DAY for n in range(1, 21)}
    assert len(phases) == 20
    assert max(phases) - min(phases) > TEMPERATURE_EVERY / 2  # spread over the half hour


def test_the_same_seed_gives_the_same_thermometer_readings() -> None:
    """Times and values repeat with the seed; another seed reads at other moments."""
    assert temperatures(home(seed=7)) == temperatures(home(seed=7))
    assert temperatures(home(seed=7))[0][0] != temperatures(home(seed=8))[0][0]


def test_synchronized_thermometers_read_on_the_hour_and_half_hour() -> None:
    """The stress case: every home's thermometer at :00 and :30, all at once."""
    for n in (1, 2, 3):
        times = [ts for ts, _ in temperatures(home(n, synchronized=True))]
        assert times == [DAY + k * TEMPERATURE_EVERY for k in range(48)]
