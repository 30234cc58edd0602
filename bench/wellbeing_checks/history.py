"""What a centre has on record before the moments: saved rules, past alarms, weeks of habits."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING, Any, TypeAlias

from bench.common.services import OPERATOR
from bench.wellbeing_checks.people import DOOR, NIGHT_VISIT_SHARE, Row, at, minutes, new_id
from hub.alarms import supervision
from hub.alarms.settings import InactivityRule, NightDoorRule, NightWindow, OutOfBedRule
from hub.storage import events
from hub.zones import DEFAULT_TIME_ZONE

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from bench.wellbeing_checks.people import Home

HourRow: TypeAlias = tuple[str, datetime, str, int]
"""A row of the hourly rollup: home, hour, kind, events."""

RULES_SHARE = 0.10
ALARMS_PER_HOME = 1.0
ALARM_HISTORY_DAYS = 60
HISTORY_DAYS = 28
PAST_KINDS = {
    "panic_button": (1, 0.3),
    "battery_low": (4, 0.25),
    "unit_offline": (3, 0.15),
    "inactivity": (2, 0.1),
    "night_door": (2, 0.05),
    "out_of_bed": (2, 0.05),
    "device_silent": (4, 0.05),
    "room_temperature": (3, 0.05),
}
"""Kinds of the closed alarms of the last weeks: (priority, share)."""


def rules_rows(people: Sequence[Home], seed: int) -> list[Row]:
    """Saved rules for :data:`RULES_SHARE` of the homes."""
    rng = random.Random(f"{seed}:rules")  # noqa: S311 - settings, not secrets
    changes: list[dict[str, Any]] = [
        {"out_of_bed": OutOfBedRule(minutes=30).model_dump(mode="json")},
        {"inactivity": InactivityRule(enabled=False).model_dump(mode="json")},
        {"night": NightWindow(starts=clock(23), ends=clock(7)).model_dump(mode="json")},
        {"night_door": NightDoorRule(devices=[DOOR]).model_dump(mode="json")},
    ]
    rows: list[Row] = []
    for home in people:
        if rng.random() >= RULES_SHARE:
            continue
        if rng.random() < 0.5:
            rows.append((home.home_id, DEFAULT_TIME_ZONE, clock(10), "{}"))
        else:
            rows.append((home.home_id, DEFAULT_TIME_ZONE, None, json.dumps(rng.choice(changes))))
    return rows


def history_rows(home_id: str, day: date, rng: random.Random) -> list[HourRow]:
    """Four weeks of one person's hourly rollup before ``day``: (home, hour, kind, events)."""
    wakes, beds = rng.uniform(6.0, 7.75), rng.uniform(21.5, 23.0)
    naps = rng.random() < 0.4
    counts: Counter[tuple[datetime, str]] = Counter()
    for back in range(1, HISTORY_DAYS + 1):
        offset = -24.0 * back
        wake = wakes + rng.gauss(0, 0.4)
        bed = beds + rng.gauss(0, 0.3)
        for hour in range(int(wake), min(24, int(bed) + 1)):
            skipped = (naps and hour in {14, 15} and rng.random() < 0.7) or rng.random() < 0.08
            if not skipped:
                counts[at(day, offset + hour), "motion"] += rng.randint(1, 30)
        counts[at(day, offset + int(wake)), "bed"] += 1
        counts[at(day, offset + int(bed)), "bed"] += 1
        for _ in range(rng.randint(1, 3)):
            counts[at(day, offset + rng.randint(9, 19)), "door"] += 2
        if rng.random() < NIGHT_VISIT_SHARE:
            hour = rng.randint(1, 4)
            counts[at(day, offset + hour), "bed"] += 2
            counts[at(day, offset + hour), "motion"] += 2
        for hour in range(24):
            counts[at(day, offset + hour), "temperature"] += 2
    return [(home_id, hour, kind, n) for (hour, kind), n in counts.items()]


def active_hours(rows: Iterable[HourRow]) -> set[datetime]:
    """The hours ``refresh_baselines`` reads from these rollup rows."""
    return {hour for _, hour, kind, n in rows if kind in events.ACTIVITY_KINDS and n > 0}


def past_alarms(people: Sequence[Home], night: datetime, seed: int) -> list[Row]:
    """Closed alarms of the last weeks, and the open ``unit_offline`` of units gone now."""
    rng = random.Random(f"{seed}:alarms")  # noqa: S311 - history, not secrets
    kinds = list(PAST_KINDS)
    weights = [share for _, share in PAST_KINDS.values()]
    rows: list[Row] = []
    for _ in range(round(len(people) * ALARMS_PER_HOME)):
        home = rng.choice(people)
        kind = rng.choices(kinds, weights)[0]
        raised = night - timedelta(days=rng.uniform(0.1, ALARM_HISTORY_DAYS))
        claimed = raised + timedelta(seconds=rng.uniform(10, 120))
        cancelled = kind == "panic_button" and rng.random() < 0.3
        rows.append(
            (
                new_id(rng),
                home.home_id,
                kind,
                PAST_KINDS[kind][0],
                "cancelled" if cancelled else "resolved",
                f"alarm.{kind}",
                "{}",
                raised,
                raised,
                OPERATOR,
                claimed,
                claimed + minutes(rng.uniform(2, 40)),
                None if cancelled else "bench",
            )
        )
    for home in people:
        if home.offline_since is not None:
            raised = home.offline_since + timedelta(seconds=150)
            rows.append(
                (
                    new_id(rng),
                    home.home_id,
                    supervision.UNIT_OFFLINE,
                    supervision.PRIORITY,
                    "raised",
                    f"alarm.{supervision.UNIT_OFFLINE}",
                    "{}",
                    raised,
                    raised,
                    None,
                    None,
                    None,
                    None,
                )
            )
    return rows
