"""Early signs of decline: a person's last two weeks against their own previous eight.

Pure: a home's daily indicators in, the changes worth a social worker's look out
(:func:`review`). The method, its thresholds and its limits are in docs/social-work.md
("Early signs of decline"); in short, for each watched indicator:

- the **recent** value is the last :data:`RECENT_DAYS` days' median (or, for counts, their
  trimmed mean), the **usual** value the same of the :data:`BASELINE_DAYS` days before, and
  the **spread** the usual days' median absolute deviation scaled to a standard deviation
  (for counts, their standard deviation);
- a change counts when the recent value is past the district's threshold (a quarter fewer
  active hours, bathroom visits doubled...) **and** past the usual value by at least
  :data:`SPREADS` spreads, and the last :data:`LAST_WEEK` days on their own are past it too
  (the fortnight as a whole need only be past :data:`FORTNIGHT_SHARE` of the threshold, so
  a change that grew over the two weeks counts): the change must last, so one bad night or
  a few days unwell (a cold) are not a finding;
- going out is a run: no outing on the last days at home, for at least the district's days
  and as long as it takes for such a run to be unlikely for this person
  (:func:`needed_run`);
- days with no activity at home at all (away on holiday, at a relative's, in hospital, the
  unit off) are left out of both windows, and so are the days either side of them (half
  days of leaving and coming back); a window needs :data:`MIN_RECENT_DAYS` and
  :data:`MIN_BASELINE_DAYS` days at home left, or the person is not reviewed that night.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from hub.review.settings import DropRule, LaterRule, RiseRule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from hub.review.settings import ReviewSettings

RECENT_DAYS = 14
BASELINE_DAYS = 56
HISTORY_DAYS = RECENT_DAYS + BASELINE_DAYS
"""The days a review reads: the recent fortnight and the eight weeks before it."""
LAST_WEEK = 7
MIN_RECENT_DAYS = 10
"""Days at home needed in the recent fortnight (so after ten days back from a holiday)."""
MIN_LAST_WEEK_DAYS = 4
MIN_BASELINE_DAYS = 28
"""Days at home needed in the eight weeks before: four weeks of history at the least."""
SPREADS = 1.5
"""A change must also be this many of the person's usual day-to-day spreads."""
FORTNIGHT_SHARE = 0.5
"""The share of the threshold the whole fortnight must pass; the last week must pass all of
it. A decline that grew over the fortnight has only half of it in the first week, so the
fortnight's centre is past about half the change that the last week shows."""
MAD_TO_SD = 1.4826
"""The median absolute deviation of normal values times this is their standard deviation."""
TRIM = 0.1
"""The share of the highest and of the lowest days a trimmed mean leaves out."""
UNLIKELY = 1e-3
"""A run of days without going out counts once a day starting it is this unlikely for the
person: their usual chance of a day in, to the power of the run's length. One in 1,000 (a
false entry about once in ten years a person, on the simulated people) rather than one in
10,000, which cannot find in time someone out on under about half of their days who stops."""
FEWER_UNLIKELY = 1e-4
"""Going out less (a week without any, and few days out in the fortnight) counts when so few
days out are this unlikely for the person. Kept stricter than a run: it is found before the
district's days without any outing have passed."""


class Direction(StrEnum):
    """Which way an indicator moved."""

    UP = "up"
    DOWN = "down"


class Indicator(StrEnum):
    """The indicators watched: names of :class:`hub.indicators.daily.DailyIndicators` fields."""

    ACTIVE_HOURS = "active_hours"
    NIGHT_BATHROOM_VISITS = "night_bathroom_visits"
    OUTINGS = "outings"
    RISE_MIN = "rise_min"
    NIGHT_OUT_OF_BED_MINUTES = "night_out_of_bed_minutes"
    KITCHEN_VISITS = "kitchen_visits"


class DayValues(Protocol):
    """One kept day of a home: what the review reads of :class:`DailyIndicators`."""

    @property
    def day(self) -> date:
        """The local day."""
        ...

    @property
    def events(self) -> int:
        """Activity readings that day (none: nobody at home, or the unit off)."""
        ...

    @property
    def active_hours(self) -> float:
        """Hours with activity at home."""
        ...

    @property
    def rise_min(self) -> int | None:
        """Getting up, minutes after local midnight."""
        ...

    @property
    def outings(self) -> int:
        """Times out of home."""
        ...

    @property
    def night_bathroom_visits(self) -> int | None:
        """Bathroom visits the night before."""
        ...

    @property
    def night_out_of_bed_minutes(self) -> int | None:
        """Minutes out of bed the night before."""
        ...

    @property
    def kitchen_visits(self) -> int | None:
        """Uses of the kitchen."""
        ...


@dataclass(frozen=True, slots=True)
class Finding:
    """A change in one indicator worth a social worker's look.

    ``reason_key`` and ``reason_params`` word it in the console's languages
    ("review.night_bathroom_visits.up": "bathroom at night {recent} times a night over {days}
    days; usually {usual}").
    """

    indicator: Indicator
    direction: Direction
    recent: float
    """The recent fortnight's value (outings: a day, over the run without any)."""
    usual: float
    """The eight weeks before (outings: a day)."""
    spread: float
    """The usual day-to-day spread (outings: the usual share of days with an outing)."""
    days: int
    """Days at home counted in the recent value (outings: the run's length)."""
    change: float
    """How far it went, in the indicator's unit: recent minus usual the way it moved, or for
    outings the days without any. A change seen comes back when this grows."""
    reason_key: str
    reason_params: dict[str, str]

    def change_from(self, usual: float) -> float:
        """The change measured from another usual value (the one a social worker saw)."""
        if self.indicator is Indicator.OUTINGS:
            return self.change
        sign = 1.0 if self.direction is Direction.UP else -1.0
        return (self.recent - usual) * sign


@dataclass(frozen=True, slots=True)
class _Level:
    """How one indicator is watched for a change of level."""

    indicator: Indicator
    direction: Direction
    centre: Callable[[Sequence[float]], float]
    spread: Callable[[Sequence[float]], float]
    floor: float
    """The least spread assumed: a person whose days are all alike is not flagged for a
    change smaller than this."""
    show: Callable[[float], str]


def trimmed_mean(values: Sequence[float]) -> float:
    """The mean without the highest and lowest :data:`TRIM` of ``values`` (one bad night)."""
    kept = _trimmed(values)
    return math.fsum(kept) / len(kept)


def _trimmed(values: Sequence[float]) -> list[float]:
    ordered = sorted(values)
    cut = int(len(ordered) * TRIM)
    return ordered[cut : len(ordered) - cut] if cut else ordered


def sd(values: Sequence[float]) -> float:
    """The standard deviation of ``values``, the odd bad night in it.

    For counts: their median absolute deviation jumps between 0 and 1 as a small count's
    median does; and a count that is sometimes much higher is that noisy (the guard against
    a fortnight of chance must know it).
    """
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def mad_sd(values: Sequence[float]) -> float:
    """The median absolute deviation of ``values``, scaled to a standard deviation."""
    middle = _median(values)
    return MAD_TO_SD * _median([abs(v - middle) for v in values])


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _one_decimal(value: float) -> str:
    return f"{value:.1f}"


def _whole(value: float) -> str:
    return f"{value:.0f}"


def clock(minutes: float) -> str:
    """Minutes after midnight as ``HH:MM``."""
    whole = round(minutes) % (24 * 60)
    return f"{whole // 60:02d}:{whole % 60:02d}"


LEVELS = (
    _Level(Indicator.ACTIVE_HOURS, Direction.DOWN, _median, mad_sd, 0.5, _one_decimal),
    _Level(Indicator.NIGHT_BATHROOM_VISITS, Direction.UP, trimmed_mean, sd, 0.5, _one_decimal),
    _Level(Indicator.RISE_MIN, Direction.UP, _median, mad_sd, 15.0, clock),
    _Level(Indicator.NIGHT_OUT_OF_BED_MINUTES, Direction.UP, trimmed_mean, sd, 10.0, _whole),
    _Level(Indicator.KITCHEN_VISITS, Direction.DOWN, trimmed_mean, sd, 0.5, _one_decimal),
)


def review(days: Iterable[DayValues], on: date, settings: ReviewSettings) -> list[Finding]:
    """The changes in a home's days up to ``on``, against the eight weeks before.

    Args:
        days: the home's kept days (those outside the :data:`HISTORY_DAYS` up to ``on`` are
            ignored; missing days count as days away).
        on: the last day to review (yesterday, in the nightly run).
        settings: the district's thresholds.
    """
    first = on - timedelta(days=HISTORY_DAYS - 1)
    kept = {d.day: d for d in days if first <= d.day <= on}
    home = _days_at_home(kept, first, on)
    recent_from = on - timedelta(days=RECENT_DAYS - 1)
    week_from = on - timedelta(days=LAST_WEEK - 1)
    recent = [d for d in home if d.day >= recent_from]
    baseline = [d for d in home if d.day < recent_from]
    if len(recent) < MIN_RECENT_DAYS or len(baseline) < MIN_BASELINE_DAYS:
        return []
    found = []
    for level in LEVELS:
        rule = getattr(settings, level.indicator.value)
        if rule.enabled:
            finding = _level(level, rule, baseline, recent, week_from)
            if finding is not None:
                found.append(finding)
    if settings.outings.enabled:
        finding = _outings(settings.outings.days, home, baseline, recent)
        if finding is not None:
            found.append(finding)
    return found


def _days_at_home(kept: Mapping[date, DayValues], first: date, on: date) -> list[DayValues]:
    """The days counted, oldest first: at home, and not next to a day away."""
    # Before the first kept day the home was not watched yet, and after the window nothing
    # is known: neither is taken as a day away.
    first = max(first, min(kept, default=first))

    def away(day: date) -> bool:
        if day < first or day > on:
            return False
        found = kept.get(day)
        return found is None or found.events == 0

    one = timedelta(days=1)
    return [
        kept[day]
        for day in sorted(kept)
        if not away(day) and not away(day - one) and not away(day + one)
    ]


def _values(days: Iterable[DayValues], name: str) -> list[float]:
    found = (getattr(d, name) for d in days)
    return [float(v) for v in found if v is not None]


def _level(
    level: _Level,
    rule: DropRule | RiseRule | LaterRule,
    baseline: Sequence[DayValues],
    recent: Sequence[DayValues],
    week_from: date,
) -> Finding | None:
    name = level.indicator.value
    usual_values = _values(baseline, name)
    recent_values = _values(recent, name)
    week_values = _values((d for d in recent if d.day >= week_from), name)
    if (
        len(usual_values) < MIN_BASELINE_DAYS
        or len(recent_values) < MIN_RECENT_DAYS
        or len(week_values) < MIN_LAST_WEEK_DAYS
    ):
        return None  # a sensor added lately, or one that stopped reporting
    usual = level.centre(usual_values)
    spread = max(level.spread(usual_values), level.floor)
    now = level.centre(recent_values)
    if not (
        _past(rule, usual, spread, now, FORTNIGHT_SHARE)
        and _past(rule, usual, spread, level.centre(week_values))
    ):
        return None
    direction = level.direction
    change = now - usual if direction is Direction.UP else usual - now
    return Finding(
        indicator=level.indicator,
        direction=direction,
        recent=now,
        usual=usual,
        spread=spread,
        days=len(recent_values),
        change=change,
        reason_key=f"review.{level.indicator.value}.{direction.value}",
        reason_params={
            "recent": level.show(now),
            "usual": level.show(usual),
            "days": str(len(recent_values)),
        },
    )


def _past(
    rule: DropRule | RiseRule | LaterRule,
    usual: float,
    spread: float,
    now: float,
    share: float = 1.0,
) -> bool:
    """Whether ``now`` is past ``share`` of the rule's threshold from ``usual``.

    And past the least change of :data:`SPREADS` spreads.
    """
    least = SPREADS * spread
    if isinstance(rule, DropRule):
        return usual - now >= max(share * usual * rule.share, least)
    if isinstance(rule, RiseRule):
        return now - usual >= max(share * max(usual * (rule.ratio - 1), rule.at_least), least)
    return now - usual >= max(share * rule.minutes, least)


def needed_run(days: int, share_out: float) -> int | None:
    """Days in a row without going out that count, for a person out on ``share_out`` of days.

    At least ``days``; longer when a day in is common for the person, until a run starting
    on a given day is :data:`UNLIKELY`. None for someone never out in their usual weeks.
    """
    if share_out <= 0:
        return None
    if share_out >= 1:
        return days
    return max(days, math.ceil(math.log(UNLIKELY) / math.log(1 - share_out)))


def binomial_cdf(k: int, n: int, p: float) -> float:
    """The chance of at most ``k`` days out of ``n`` for someone out on ``p`` of days."""
    return math.fsum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def _outings(
    days: int,
    home: Sequence[DayValues],
    baseline: Sequence[DayValues],
    recent: Sequence[DayValues],
) -> Finding | None:
    share = sum(1 for d in baseline if d.outings > 0) / len(baseline)
    needed = needed_run(days, share)
    if needed is None:
        return None
    run = 0
    previous: date | None = None
    for day in reversed(home):
        # A day away (or next to one) ends the run: leaving for days is going out.
        if day.outings > 0 or (previous is not None and previous - day.day > timedelta(days=1)):
            break
        run += 1
        previous = day.day
    out_days = sum(1 for d in recent if d.outings > 0)
    found = Finding(
        indicator=Indicator.OUTINGS,
        direction=Direction.DOWN,
        recent=0.0,
        usual=share,
        spread=math.sqrt(share * (1 - share)),
        days=run,
        change=float(run),
        reason_key="review.outings.none",
        reason_params={"days": str(run), "usual_share": f"{share * 100:.0f}"},
    )
    if run >= needed:
        return found
    # Going out less and less: hardly out this fortnight, and not at all the last week.
    if run >= LAST_WEEK and binomial_cdf(out_days, len(recent), share) <= FEWER_UNLIKELY:
        return replace(
            found,
            recent=out_days / len(recent),
            days=len(recent),
            reason_key="review.outings.down",
            reason_params={
                "out_days": str(out_days),
                "days": str(len(recent)),
                "usual_share": f"{share * 100:.0f}",
            },
        )
    return None
