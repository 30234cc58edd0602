"""The review list's quality on simulated people: drifts found in time, and false entries.

Run alone: ``python -m bench.dashboards.quality [--homes 2000] [--seed 1] [--processes 2]``
(progress on standard error, one JSON object as the last line of standard output);
``python -m bench.dashboards`` calls :func:`measure_quality` for its ``recall`` and
``false_positives_per_1000_person_weeks``.

No database: everything here is pure, so a year of 2,000 homes takes minutes, not hours.

- **Homes.** ``homes`` simulated people (:func:`device_sim.people.person`), living on Italian
  time (daylight-saving changes included) from :data:`WARM_UP_DAYS` before :data:`FIRST_DAY`
  to a year after it, each with the ordinary noise of :func:`device_sim.drifts.ordinary_life`
  (days away, a few days unwell, bad nights, the seasons). :data:`DRIFTING` of them (5%)
  drift besides: the kinds of :class:`device_sim.drifts.DriftKind` in turn, each at each of
  the speeds in :data:`RAMP_DAYS` in turn (full size overnight, over a week, over a
  fortnight), size drawn from :data:`device_sim.drifts.SIZES`, from a day drawn in the year
  (at least 14 days before its end). Every choice comes from ``seed``.
- **Indicators.** Each home's activity readings (the simulator's, the thermometer left out)
  go through the hub's own pure function, :func:`hub.indicators.daily.compute`, a local day
  at a time, as the nightly run does from stored events.
- **The nightly review.** Each day of the year, :func:`hub.review.method.review` with the
  default :class:`~hub.review.settings.ReviewSettings`, and each finding through
  :func:`hub.review.followup.next_step`, as :mod:`hub.review.nightly` does: a home's open
  entry is updated, not opened again. A social worker marks each new entry as seen
  :data:`SEEN_AFTER_DAYS` days after it was opened; it comes back only if the change grows.
- **Counted.** A drift is *found* when an entry for its indicator
  (:data:`DRIFT_INDICATORS`) is opened or updated on a day from its start to 14 days after
  it. A *false entry* is an entry opened at a home that is not drifting, or at a drifting
  home before its drift starts; the person-weeks are those days, over 7. Entries at a
  drifting home after its drift started are neither (its routine is changing: another
  indicator moving with it is no false alarm). ``recall`` is found / drifts.

The JSON: ``recall``, ``false_positives_per_1000_person_weeks``, ``seed``, ``seconds``,
``homes``, ``days``, ``drifts``, ``found``, ``false_entries``, ``person_weeks``,
``recall_by_kind``, ``recall_by_ramp_days``, ``days_to_find`` (median and max, of the drifts
found), ``false_entries_by_indicator``, ``processes``.
"""

from __future__ import annotations

import argparse
import bisect
import multiprocessing
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bench.common.output import Report, progress, run_and_print
from device_sim.drifts import Drift, DriftKind, ordinary_life, random_drift
from device_sim.home import SimHome
from device_sim.people import person
from hub.indicators.daily import ACTIVITY_KINDS, DailyIndicators, Reading, compute, window
from hub.review.followup import EntryState, Latest, Step, next_step
from hub.review.method import HISTORY_DAYS, Indicator, review
from hub.review.settings import ReviewSettings
from protocol import EventKind, Room

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from gateway.outbox import Draft

say = progress("bench.dashboards.quality")

ZONE = ZoneInfo("Europe/Rome")
FIRST_DAY = date(2026, 1, 1)
YEAR_DAYS = 365
WARM_UP_DAYS = HISTORY_DAYS - 1
"""Days lived before the year, so that its first day already has the history a review reads."""
DRIFTING = 0.05
RAMP_DAYS = (1, 7, 14)
"""The drifts' speeds: days to full size."""
FOUND_WITHIN_DAYS = 14
SEEN_AFTER_DAYS = 3
DRIFT_INDICATORS = {
    DriftKind.LESS_ACTIVE: {Indicator.ACTIVE_HOURS},
    DriftKind.NIGHT_BATHROOM: {Indicator.NIGHT_BATHROOM_VISITS},
    DriftKind.STAYS_IN: {Indicator.OUTINGS},
    DriftKind.LATER_RISE: {Indicator.RISE_MIN},
    DriftKind.RESTLESS_NIGHTS: {Indicator.NIGHT_OUT_OF_BED_MINUTES},
}
"""The indicator(s) whose entry counts as finding each kind of drift."""
_ON = {
    EventKind.MOTION: "detected",
    EventKind.DOOR: "open",
    EventKind.BED: "occupied",
    EventKind.CHAIR: "occupied",
}
"""The field of each activity reading that says it is on (as the nightly run's query reads)."""
_KINDS = {kind: kind.value for kind in EventKind if kind.value in ACTIVITY_KINDS}


@dataclass(frozen=True, slots=True)
class HomeTask:
    """One simulated home to live through the year."""

    index: int
    seed: int
    drift: Drift | None


@dataclass(frozen=True, slots=True)
class HomeOutcome:
    """What the nightly review did at one home over the year."""

    drift: Drift | None
    found_on: date | None
    """The first day an entry for the drift's indicator was opened or updated in time."""
    false_entries: tuple[Indicator, ...]
    days_counted: int
    """Days on which a new entry would have been false (the person-weeks' days)."""


def plan(homes: int, seed: int) -> list[HomeTask]:
    """The homes of a run: which drift, how, from when."""
    rng = random.Random(f"{seed}:quality-plan")  # noqa: S311 - a simulation, not secrets
    drifting = sorted(rng.sample(range(1, homes + 1), round(homes * DRIFTING)))
    kinds = list(DriftKind)
    drifts: dict[int, Drift] = {}
    for n, index in enumerate(drifting):
        kind = kinds[n % len(kinds)]
        ramp = RAMP_DAYS[(n // len(kinds)) % len(RAMP_DAYS)]
        start = FIRST_DAY + timedelta(days=rng.randrange(YEAR_DAYS - FOUND_WITHIN_DAYS))
        drifts[index] = random_drift(rng, kind, start, ramp)
    return [HomeTask(i, seed, drifts.get(i)) for i in range(1, homes + 1)]


def live(task: HomeTask) -> list[DailyIndicators]:
    """The home's days in numbers, from the warm-up's first day to the year's last."""
    first = FIRST_DAY - timedelta(days=WARM_UP_DAYS)
    last = FIRST_DAY + timedelta(days=YEAR_DAYS - 1)
    home_id = f"quality-{task.index:05d}"
    life = ordinary_life(f"{task.seed}:{home_id}", first, last)
    if task.drift is not None:
        life = life.with_drift(task.drift)
    sim = SimHome(home_id, person(task.index, task.seed), task.seed, tz=ZONE, shaping=life)
    start, _ = window(first, ZONE)
    _, end = window(last, ZONE)
    readings = as_readings(sim.readings(start, end, temperatures=False))
    moments = [r.ts for r in readings]
    days = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        lo, hi = window(day, ZONE)
        part = readings[bisect.bisect_left(moments, lo) : bisect.bisect_left(moments, hi)]
        days.append(compute(day, ZONE, part))
    return days


def as_readings(drafts: Sequence[Draft]) -> list[Reading]:
    """Simulated readings as the nightly run reads stored events: activity, room, on or off."""
    rooms: dict[str | None, Room] = {}
    found = []
    for draft in drafts:
        kind = _KINDS.get(draft.kind)
        if kind is None:
            continue
        room = rooms.get(draft.location)
        if room is None:
            room = rooms[draft.location] = Room.of_location(draft.location) or Room.OTHER
        field = _ON.get(draft.kind)
        on = field is None or bool(draft.value.get(field, False))  # a check-in is always on
        found.append(Reading(draft.ts.astimezone(UTC), kind, room, on))
    return found


def run_home(task: HomeTask, settings: ReviewSettings | None = None) -> HomeOutcome:
    """Live the home's year and run the nightly review on each of its days."""
    return review_year(task.drift, live(task), settings or ReviewSettings())


def review_year(
    drift: Drift | None, days: Sequence[DailyIndicators], settings: ReviewSettings
) -> HomeOutcome:
    """The nightly review over the year of ``days``, with a social worker who reads the list."""
    latest: dict[Indicator, Latest] = {}
    opened: dict[Indicator, date] = {}
    false_entries: list[Indicator] = []
    found_on: date | None = None
    counted = 0
    wanted = set() if drift is None else DRIFT_INDICATORS[drift.kind]
    for n in range(WARM_UP_DAYS, len(days)):
        on = days[n].day
        drifting = drift is not None and on >= drift.start
        counted += not drifting
        for indicator, day in list(opened.items()):
            if on - day >= timedelta(days=SEEN_AFTER_DAYS):
                entry = latest[indicator]
                latest[indicator] = Latest(
                    EntryState.SEEN, entry.last_found_on, entry.usual, entry.change
                )
                del opened[indicator]
        for finding in review(days[n - HISTORY_DAYS + 1 : n + 1], on, settings):
            indicator = finding.indicator
            before = latest.get(indicator)
            step = next_step(before, finding, on, settings.comes_back_margin)
            if step is Step.GOES_ON and before is not None:
                latest[indicator] = Latest(before.state, on, before.usual, before.change)
                continue
            latest[indicator] = Latest(
                EntryState.OPEN, on, finding.usual, finding.change_from(finding.usual)
            )
            if step is Step.OPEN:
                opened[indicator] = on
                if not drifting:
                    false_entries.append(indicator)
            if (
                drift is not None
                and found_on is None
                and indicator in wanted
                and drift.start <= on <= drift.start + timedelta(days=FOUND_WITHIN_DAYS)
            ):
                found_on = on
    return HomeOutcome(drift, found_on, tuple(false_entries), counted)


def measure_quality(
    homes: int = 2000,
    seed: int = 1,
    processes: int = 2,
    say: Callable[[str], None] = say,
) -> Report:
    """Simulate, review and count (see the module's description); the figures as JSON."""
    started = time.monotonic()
    tasks = plan(homes, seed)
    say(f"{homes} homes, {sum(t.drift is not None for t in tasks)} drifting, seed {seed}")
    outcomes: list[HomeOutcome] = []
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for outcome in pool.imap_unordered(run_home, tasks, chunksize=4):
            outcomes.append(outcome)
            if len(outcomes) % 200 == 0:
                say(f"{len(outcomes)} homes done, {time.monotonic() - started:.0f} s")
    return summarise(outcomes, seed, time.monotonic() - started) | {"processes": processes}


def summarise(outcomes: Sequence[HomeOutcome], seed: int, seconds: float) -> Report:
    """The figures of a run's outcomes."""
    drifted = [o for o in outcomes if o.drift is not None]
    found = [o for o in drifted if o.found_on is not None]
    false_entries = [i for o in outcomes for i in o.false_entries]
    person_weeks = sum(o.days_counted for o in outcomes) / 7

    def recall_by(key: Callable[[Drift], object]) -> dict[str, float]:
        groups: dict[str, list[HomeOutcome]] = {}
        for o in drifted:
            assert o.drift is not None  # noqa: S101 - drifted holds drifting homes only
            groups.setdefault(str(key(o.drift)), []).append(o)
        return {
            k: round(sum(o.found_on is not None for o in group) / len(group), 3)
            for k, group in sorted(groups.items())
        }

    delays = [(o.found_on - o.drift.start).days for o in found if o.found_on and o.drift]
    return {
        "recall": round(len(found) / len(drifted), 3) if drifted else None,
        "false_positives_per_1000_person_weeks": round(len(false_entries) / person_weeks * 1000, 2),
        "seed": seed,
        "seconds": round(seconds, 1),
        "homes": len(outcomes),
        "days": YEAR_DAYS,
        "drifts": len(drifted),
        "found": len(found),
        "false_entries": len(false_entries),
        "person_weeks": round(person_weeks),
        "recall_by_kind": recall_by(lambda d: d.kind.value),
        "recall_by_ramp_days": recall_by(lambda d: d.ramp_days),
        "days_to_find": {
            "median": statistics.median(delays) if delays else None,
            "max": max(delays, default=None),
        },
        "false_entries_by_indicator": dict(Counter(i.value for i in false_entries)),
    }


def main() -> None:
    """``python -m bench.dashboards.quality``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboards.quality",
        description="The review list's recall and false entries on simulated drifting people.",
    )
    parser.add_argument("--homes", type=int, default=2000, help="simulated homes (2000)")
    parser.add_argument("--seed", type=int, default=1, help="the same seed, the same year (1)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (2)")
    args = parser.parse_args()
    run_and_print(say, lambda: measure_quality(args.homes, args.seed, args.processes))


if __name__ == "__main__":
    main()
