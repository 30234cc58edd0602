"""Flood guards without I/O: each home's rate, and the sample of what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.ingest.flood import HomeRate, LetterSample
from hub.ingest.router import home_of


class Clock:
    """A clock the test moves."""

    def __init__(self, now: float = 0.0) -> None:
        """Start at ``now`` seconds."""
        self.now = now

    def __call__(self) -> float:
        """The time now."""
        return self.now


def test_a_home_gets_its_burst_then_its_rate_and_others_are_untouched() -> None:
    """A noisy home runs out; a quiet one does not notice; time refills the bucket."""
    clock = Clock()
    rate = HomeRate(per_s=10, burst=5, clock=clock)
    assert [rate.allow("noisy") for _ in range(7)] == [True] * 5 + [False] * 2
    assert rate.allow("quiet")
    clock.now = 0.25  # two and a half tokens back
    assert [rate.allow("noisy") for _ in range(3)] == [True, True, False]


def test_quiet_homes_are_forgotten() -> None:
    """A bucket that has filled up again is dropped, so ids do not pile up."""
    clock = Clock()
    rate = HomeRate(per_s=10, burst=5, clock=clock)
    rate.allow("a")
    rate.allow("b")
    clock.now = 0.05
    rate.allow("b")
    clock.now = 0.15  # "a" is full again (1 token in 0.15 s); "b" lacks one still
    assert rate.forget_full() == 1


def test_the_first_messages_of_a_minute_are_kept_and_the_rest_counted() -> None:
    """Ten a minute per home and reason are kept; the rest are counted by minute."""
    clock = Clock(120.0)
    sample = LetterSample(per_minute=10, clock=clock)
    kept = [sample.admit("flood", "unregistered_home") for _ in range(50)]
    assert kept == [True] * 10 + [False] * 40
    assert sample.admit("flood", "invalid_json")
    assert sample.admit("other", "unregistered_home")
    clock.now = 185.0
    assert sample.admit("flood", "unregistered_home")  # a new minute
    minute = datetime.fromtimestamp(120, UTC)
    assert sample.take_counts() == {(minute, "flood", "unregistered_home"): 40}
    assert sample.take_counts() == {}


def test_the_home_of_any_topic() -> None:
    """The sample's home is the topic's, however broken the rest is."""
    assert home_of("telecare/v1/homes/h-1/up/events") == "h-1"
    assert home_of("telecare/v1/homes/h-1") == "h-1"
    assert home_of("elsewhere/x") == ""
    assert len(home_of("telecare/v1/homes/" + "x" * 500 + "/up/events")) == 64
