"""The review on simulated people: a drift is found within 14 days, a stable person never listed.

Pure, as the quality benchmark runs it (``bench/dashboards/quality.py``): a year of the
simulator's readings with the ordinary ups and downs (days away, a few days unwell, bad
nights, the seasons), through the hub's daily indicators, reviewed every night with the
default settings, a social worker reading each new entry three days later.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bench.dashboards.quality import DRIFT_INDICATORS, HomeTask, run_home
from device_sim.drifts import SIZES, Drift, DriftKind
from device_sim.people import person

SEED = 3
START = date(2026, 7, 6)


def often_out(seed: int) -> int:
    """A person who goes out on most days.

    For someone who rarely does, ten or fourteen days in are not unusual enough
    (docs/social-work.md).
    """
    return next(n for n in range(1, 100) if person(n, seed).outing_chance >= 0.6)


@pytest.mark.parametrize("kind", list(DriftKind))
def test_a_drift_is_found_within_14_days(kind: DriftKind) -> None:
    """Each kind of drift is listed for its indicator within 14 days of its start.

    At the smallest size the benchmark draws, overnight; nothing else is listed before.
    """
    index = often_out(SEED) if kind is DriftKind.STAYS_IN else 11
    drift = Drift(kind, START, 1, SIZES[kind][0])
    outcome = run_home(HomeTask(index, SEED, drift))
    assert outcome.found_on is not None, kind
    assert outcome.found_on - START <= timedelta(days=14)
    assert outcome.false_entries == ()
    assert DRIFT_INDICATORS[kind]  # the indicator it is found by


@pytest.mark.parametrize("index", [1, 2, 3, 4])
def test_a_stable_person_is_never_listed(index: int) -> None:
    """A year of ordinary ups and downs and no drift: no entry, not one."""
    outcome = run_home(HomeTask(index, SEED, None))
    assert (outcome.false_entries, outcome.days_counted) == ((), 365)
