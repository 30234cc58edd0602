"""Load mode's heartbeats: each home once a minute at its own phase, or all at once on demand."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import pytest

from device_sim.heartbeats import HeartbeatSchedule
from device_sim.simulation import HEARTBEAT_CHECK_S, HEARTBEAT_S, make_homes

HOMES = 1000


def beats(schedule: HeartbeatSchedule, seconds: float) -> dict[str, list[float]]:
    """Each home's heartbeats over ``seconds`` of a run, as the emitter's checks send them."""
    sent: dict[str, list[float]] = defaultdict(list)
    for check in range(round(seconds / HEARTBEAT_CHECK_S)):
        start, end = check * HEARTBEAT_CHECK_S, (check + 1) * HEARTBEAT_CHECK_S
        for home_id in schedule.due(start, end):
            sent[home_id].append(end)
    return sent


def test_heartbeats_are_spread_over_the_minute_each_home_once_a_minute() -> None:
    """Over two minutes every home beats twice, 60 s apart; no second holds over 3% of them."""
    sent = beats(HeartbeatSchedule(make_homes(HOMES, 3, "hb"), HEARTBEAT_S), 120)
    assert len(sent) == HOMES
    for times in sent.values():
        assert len(times) == 2
        assert times[1] - times[0] == pytest.approx(HEARTBEAT_S)
    per_second = Counter(int(t) for times in sent.values() for t in times)
    assert max(per_second.values()) <= 0.03 * HOMES  # a sixtieth (1.7%) on average
    assert all(per_second[second] for second in range(120))


def test_synchronized_homes_beat_all_at_once() -> None:
    """The stress case: every home's heartbeat in the same check, at the start and a minute on."""
    schedule = HeartbeatSchedule(make_homes(50, 3, "hb", synchronized=True), HEARTBEAT_S)
    sent = beats(schedule, 120)
    assert len(sent) == 50
    for times in sent.values():
        assert times == [HEARTBEAT_CHECK_S, pytest.approx(HEARTBEAT_S + HEARTBEAT_CHECK_S)]
    assert len(schedule.due(119.9, 120.1)) == 50  # a check straddling the minute


def test_the_same_seed_gives_the_same_phases() -> None:
    """The order the homes beat in is the seed's: repeated by it, changed by another."""

    def order(seed: int) -> list[str]:
        schedule = HeartbeatSchedule(make_homes(100, seed, "hb"), HEARTBEAT_S)
        return schedule.due(0, HEARTBEAT_S - 1)

    assert order(3) == order(3)
    assert order(3) != order(4)


def test_a_stalled_loop_sends_each_heartbeat_once() -> None:
    """Checked after several minutes' stall, each home beats once, then on its phase again."""
    schedule = HeartbeatSchedule(make_homes(100, 3, "hb"), HEARTBEAT_S)
    late = schedule.due(0, 200)
    assert sorted(late) == sorted(set(late))
    assert len(late) == 100
    after = list(itertools.chain(schedule.due(200, 230), schedule.due(230, 260)))
    assert sorted(after) == sorted(late)
