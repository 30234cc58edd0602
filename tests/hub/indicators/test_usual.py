"""A person's usual band: their own previous eight weeks, days away left out (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import quantiles

from hub.indicators.usual import BAND_DAYS, BAND_MIN_DAYS, bands, value


@dataclass(frozen=True)
class Day:
    """A kept day with one indicator."""

    events: int
    active_hours: float | None


def test_the_band_holds_nine_usual_days_in_ten_of_the_eight_weeks_before() -> None:
    """Each day's band is the 10th-90th percentile of the 56 days before it."""
    days = [Day(100, float((i * 7) % 13)) for i in range(150)]
    found = bands(days, "active_hours", 60)
    for offset, band in enumerate(found):
        index = 60 + offset
        history = [d.active_hours or 0.0 for d in days[index - BAND_DAYS : index]]
        deciles = quantiles(history, n=10, method="inclusive")
        assert band is not None
        assert (band.low, band.median, band.high) == (deciles[0], deciles[4], deciles[8])


def test_days_away_are_left_out_and_too_little_history_gives_no_band() -> None:
    """A fortnight away neither counts nor drags the band to zero; a new person has none."""
    days = [Day(100, 10.0)] * 30 + [Day(0, 0.0)] * 14 + [Day(100, 12.0)] * 30
    assert value(days[35], "active_hours") is None
    found = bands(days, "active_hours", 0)
    assert found[BAND_MIN_DAYS - 1] is None
    assert found[BAND_MIN_DAYS] is not None
    away_over = found[44]
    assert away_over is not None
    assert away_over.low == 10.0


def test_a_sensor_the_home_lacks_has_no_band() -> None:
    """No bathroom sensor: the indicator is None every day, and so is its band."""
    days = [Day(100, None)] * 80
    assert set(bands(days, "active_hours", 60)) == {None}
