"""The demo centre's past: alarms answered and well-being calls made over the history's days.

The history's events are written straight into the database (``device_sim.backfill``), so no
hub saw them raise alarms or plan calls. This writes what the centre would have done, through
the hub's own storage (the same lifecycle, timeline and answer times as live work), so that
the district's monthly report has a full month and each person's page its alarms and calls:
a few alarms per home a month, of the kinds a service sees, claimed by the demo's operators
after a delay most often under a minute, and each scheduled call made and answered (or not,
then tried again).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.alarms import checkin, supervision, wellbeing
from hub.alarms.lifecycle import AlarmState
from hub.alarms.rules import PRIORITY
from hub.alarms.wellbeing_calls import CallOutcome, CallState
from hub.api.models import Outcome
from hub.storage import alarm_changes, calls
from protocol import EventKind

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from psycopg import AsyncConnection

ALARMS_PER_HOME_MONTH = 1.5
"""About what a service sees: most alarms are pendant presses, many of them everyday needs."""

KINDS: tuple[tuple[str, int, float], ...] = (
    (EventKind.PANIC_BUTTON.value, PRIORITY[EventKind.PANIC_BUTTON], 0.45),
    (EventKind.FALL.value, PRIORITY[EventKind.FALL], 0.10),
    (EventKind.SMOKE.value, PRIORITY[EventKind.SMOKE], 0.02),
    (checkin.MISSED_CHECK_IN, checkin.PRIORITY, 0.15),
    (wellbeing.INACTIVITY, wellbeing.PRIORITY, 0.08),
    (EventKind.BATTERY_LOW.value, PRIORITY[EventKind.BATTERY_LOW], 0.12),
    (supervision.UNIT_OFFLINE, supervision.PRIORITY, 0.08),
)
"""Alarm kinds, their priority and their share of the alarms."""

OUTCOMES: dict[str, tuple[tuple[Outcome, float], ...]] = {
    "person": (
        (Outcome.RESOLVED_BY_PHONE, 0.45),
        (Outcome.RELATIVE_CONTACTED, 0.22),
        (Outcome.RESPONDER_SENT, 0.08),
        (Outcome.EMERGENCY_SERVICES, 0.10),
        (Outcome.FALSE_ALARM, 0.15),
    ),
    "device": ((Outcome.TECHNICAL_FIXED, 0.85), (Outcome.FALSE_ALARM, 0.15)),
}
ANSWER_MEDIAN_S = 18.0
ANSWER_SPREAD = 0.6
"""Claims come after a log-normal wait: median 18 s, about 98% within 60 s."""
SPOKE_SHARE = 0.85
"""Of the call attempts, the share the person answers."""


@dataclass(frozen=True, slots=True)
class CentrePast:
    """What the centre did in the history."""

    alarms: int
    calls: int


async def write_centre_past(  # noqa: PLR0913 - the homes, the span, who works, the seed
    conn: AsyncConnection[Any],
    home_ids: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    operators: Sequence[str],
    seed: int,
) -> CentrePast:
    """Alarms answered and calls made for ``home_ids`` from ``start`` to ``end``."""
    rng = random.Random(f"{seed}:centre-past")  # noqa: S311 - a simulation, not secrets
    alarms = 0
    span = end - start
    expected = ALARMS_PER_HOME_MONTH * span / timedelta(days=30)
    for home_id in home_ids:
        for _ in range(_poisson(rng, expected)):
            at = start + span * rng.random()
            if await _alarm(conn, rng, home_id, at, operators):
                alarms += 1
    made = await _calls(conn, rng, start, end, operators)
    return CentrePast(alarms=alarms, calls=made)


async def _alarm(
    conn: AsyncConnection[Any],
    rng: random.Random,
    home_id: str,
    at: datetime,
    operators: Sequence[str],
) -> bool:
    kind, priority = _pick(rng, [((k, p), share) for k, p, share in KINDS])
    async with conn.transaction():
        alarm_id = await alarm_changes.raise_by_rule(
            conn, home_id, kind, priority, {"past": "demo"}, now=at
        )
        if alarm_id is None:
            return False
        operator = rng.choice(operators)
        wait = rng.lognormvariate(math.log(ANSWER_MEDIAN_S), ANSWER_SPREAD)
        claimed = at + timedelta(seconds=wait)
        await alarm_changes.claim(conn, alarm_id, operator, claimed)
        working = claimed + timedelta(seconds=rng.uniform(20, 90))
        await alarm_changes.transition(
            conn, alarm_id, AlarmState.IN_PROGRESS, actor=operator, now=working
        )
        outcomes = OUTCOMES["device" if priority >= supervision.PRIORITY else "person"]
        outcome = _pick(rng, list(outcomes))
        await alarm_changes.transition(
            conn,
            alarm_id,
            AlarmState.RESOLVED,
            actor=operator,
            now=working + timedelta(minutes=rng.uniform(3, 25)),
            detail={"outcome": outcome.value},
        )
    return True


async def _calls(
    conn: AsyncConnection[Any],
    rng: random.Random,
    start: datetime,
    end: datetime,
    operators: Sequence[str],
) -> int:
    """Plan the scheduled calls day by day, and make each one (again, after no answer)."""
    made = 0
    moment = start
    while moment < end:
        moment = min(moment + timedelta(hours=6), end)
        for task_id in await calls.plan_due(conn, moment):
            made += await _make_call(conn, rng, task_id, operators)
    return made


async def _make_call(
    conn: AsyncConnection[Any], rng: random.Random, task_id: UUID, operators: Sequence[str]
) -> int:
    attempts = 0
    while True:
        task = await calls.get_call(conn, task_id)
        if task is None or task.state != CallState.OPEN:
            return attempts
        operator = rng.choice(operators)
        at = task.next_try_at + timedelta(minutes=rng.uniform(1, 12))
        outcome = CallOutcome.SPOKE if rng.random() < SPOKE_SHARE else CallOutcome.NO_ANSWER
        async with conn.transaction():
            await calls.claim(conn, task_id, operator, at)
            await calls.record_outcome(
                conn, task_id, outcome, actor=operator, overrides=False, notes=None, now=at
            )
        attempts += 1


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:  # noqa: ANN401
    choices, weights = zip(*weighted, strict=True)
    return rng.choices(choices, weights)[0]


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
