"""What the centre did for each home over the history: alarms answered and well-being calls.

Pure and seeded (one :class:`random.Random` per home, from the run's seed and the home's id).
The centre is the demo's (:mod:`telecare.demo_history`: its alarm rate per home and month,
kinds and priorities, outcomes, the log-normal wait before an operator's claim, the share of
call attempts answered), at a centre's scale: the rows are made here and written with COPY
rather than one transaction per change, in the shape the hub's own code writes them
(``alarms`` and its ``alarm_log`` timeline as :mod:`hub.storage.alarm_changes` does:
raised, claimed, in progress after 20-90 s, resolved 3-25 min later with its outcome; and
``call_schedules`` and ``call_tasks`` as :mod:`hub.storage.calls` does).

- **Alarms**: a Poisson count over the history at
  :data:`~telecare.demo_history.ALARMS_PER_HOME_MONTH`, each at a uniform moment, of a kind
  drawn by its share (:data:`~telecare.demo_history.KINDS`); claimed after a log-normal wait
  (median :data:`~telecare.demo_history.ANSWER_MEDIAN_S` s, sigma
  :data:`~telecare.demo_history.ANSWER_SPREAD`: about 98% within 60 s); an alarm still
  unclaimed past :data:`hub.alarms.lifecycle.ESCALATE_AFTER` of its priority escalates (one
  step, again after the new priority's time), as the hub's timer does.
- **Calls**: :data:`CALLED_SHARE` of homes have a well-being call schedule (one to three
  weekdays, a morning time, :data:`CALL_ATTEMPTS` attempts :data:`CALL_RETRY_MINUTES` apart);
  each call falls due when :func:`hub.alarms.wellbeing_calls.occurrences` says, an operator
  makes each attempt 1-12 min after it is due, the person answers with
  :data:`~telecare.demo_history.SPOKE_SHARE`; the state after each attempt is
  :func:`hub.alarms.wellbeing_calls.after_outcome`'s, and a call unanswered after its last
  attempt raises the hub's ``wellbeing_call_unanswered`` alarm, answered as the others.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, TypeVar

from hub.alarms import supervision, wellbeing_calls
from hub.alarms.lifecycle import ESCALATE_AFTER, AlarmState, escalated_priority
from hub.alarms.wellbeing_calls import CallOutcome, CallState, Schedule
from hub.storage.alarm_changes import SYSTEM
from telecare.demo_history import (
    ALARMS_PER_HOME_MONTH,
    ANSWER_MEDIAN_S,
    ANSWER_SPREAD,
    KINDS,
    OUTCOMES,
    SPOKE_SHARE,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

Row = tuple[object, ...]
T = TypeVar("T")

CALLED_SHARE = 0.3
CALL_AT = (time(9, 30), time(10, 0), time(10, 30), time(11, 0))
CALL_RETRY_MINUTES = 20
CALL_ATTEMPTS = 3
OPERATORS = 8
"""Operators answering each district."""


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm's life, as the hub would have kept it."""

    alarm_id: uuid.UUID
    kind: str
    raised_priority: int
    raised_at: datetime
    escalations: tuple[tuple[datetime, int, int], ...]
    """(when, from priority, to priority)."""
    claimed_by: str
    claimed_at: datetime
    working_at: datetime
    """When it went in progress."""
    closed_at: datetime
    outcome: str

    @property
    def priority(self) -> int:
        """The priority it ended with."""
        return self.escalations[-1][2] if self.escalations else self.raised_priority


@dataclass(frozen=True, slots=True)
class Call:
    """One well-being call task's life."""

    task_id: uuid.UUID
    planned_at: datetime
    state: CallState
    attempts: tuple[tuple[datetime, str, CallOutcome], ...]
    """(when, by whom, what came of it)."""
    alarm: Alarm | None

    @property
    def closed_at(self) -> datetime:
        """When the last attempt was recorded."""
        return self.attempts[-1][0]

    @property
    def outcome(self) -> str:
        """The outcome of the last attempt (the task's ``outcome``)."""
        return self.attempts[-1][2].value


@dataclass(slots=True)
class HomeService:
    """Everything the centre did for one home, and the counts each local day shows."""

    home_id: str
    resident_id: uuid.UUID
    schedule: tuple[uuid.UUID, Schedule] | None
    alarms: list[Alarm] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def alarms_on(self, zone: tzinfo) -> dict[date, Counter[str]]:
        """Alarms raised each local day, by kind."""
        days: dict[date, Counter[str]] = {}
        for alarm in self.alarms:
            days.setdefault(alarm.raised_at.astimezone(zone).date(), Counter())[alarm.kind] += 1
        return days

    def calls_on(self, zone: tzinfo) -> dict[date, Counter[str]]:
        """Calls closed each local day, by outcome (as :mod:`hub.storage.indicators` counts)."""
        days: dict[date, Counter[str]] = {}
        for call in self.calls:
            days.setdefault(call.closed_at.astimezone(zone).date(), Counter())[call.outcome] += 1
        return days


def new_id(rng: random.Random) -> uuid.UUID:
    """A random (version 4) id from ``rng``, so a seed gives the same ids."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def home_service(  # noqa: PLR0913 - the home, its district, the span and the seed
    home_id: str, district: str, zone: tzinfo, *, start: datetime, end: datetime, seed: int
) -> HomeService:
    """The alarms and calls of ``home_id`` raised or planned from ``start``, closed by ``end``."""
    rng = random.Random(f"{seed}:{home_id}:service")  # noqa: S311 - a simulation
    operators = [f"op-{district}-{n}" for n in range(1, OPERATORS + 1)]
    service = HomeService(home_id, new_id(rng), None)
    span = end - start
    for _ in range(_poisson(rng, ALARMS_PER_HOME_MONTH * span / timedelta(days=30))):
        kind, priority = _pick(rng, [((k, p), share) for k, p, share in KINDS])
        alarm = _alarm(rng, kind, priority, start + span * rng.random(), operators)
        if alarm.closed_at < end:
            service.alarms.append(alarm)
    if rng.random() < CALLED_SHARE:
        weekdays = frozenset(rng.sample(range(1, 8), rng.randint(1, 3)))
        schedule = Schedule(weekdays, rng.choice(CALL_AT), CALL_RETRY_MINUTES, CALL_ATTEMPTS)
        service.schedule = (new_id(rng), schedule)
        for planned in wellbeing_calls.occurrences(schedule, zone, start, end):
            call = _call(rng, planned, schedule, operators)
            if call.closed_at < end and (call.alarm is None or call.alarm.closed_at < end):
                service.calls.append(call)
                if call.alarm is not None:
                    service.alarms.append(call.alarm)
    service.alarms.sort(key=lambda a: a.raised_at)
    return service


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is fine for the small means here (a year of alarms is about 18).
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    return rng.choices([choice for choice, _ in weighted], [share for _, share in weighted])[0]


def _alarm(
    rng: random.Random, kind: str, priority: int, raised: datetime, operators: Sequence[str]
) -> Alarm:
    wait = rng.lognormvariate(math.log(ANSWER_MEDIAN_S), ANSWER_SPREAD)
    claimed = raised + timedelta(seconds=wait)
    escalations = []
    current, since = priority, raised
    while (after := ESCALATE_AFTER.get(current)) is not None and since + after < claimed:
        since += after
        escalations.append((since, current, escalated_priority(current)))
        if escalated_priority(current) == current:
            break  # the most urgent already: it escalates no further
        current = escalated_priority(current)
    working = claimed + timedelta(seconds=rng.uniform(20, 90))
    outcomes = OUTCOMES["device" if priority >= supervision.PRIORITY else "person"]
    return Alarm(
        alarm_id=new_id(rng),
        kind=kind,
        raised_priority=priority,
        raised_at=raised,
        escalations=tuple(escalations),
        claimed_by=rng.choice(operators),
        claimed_at=claimed,
        working_at=working,
        closed_at=working + timedelta(minutes=rng.uniform(3, 25)),
        outcome=_pick(rng, outcomes).value,
    )


def _call(
    rng: random.Random, planned: datetime, schedule: Schedule, operators: Sequence[str]
) -> Call:
    task_id = new_id(rng)
    attempts: list[tuple[datetime, str, CallOutcome]] = []
    state, due = CallState.OPEN, planned
    while state is CallState.OPEN:
        at = due + timedelta(minutes=rng.uniform(1, 12))
        outcome = CallOutcome.SPOKE if rng.random() < SPOKE_SHARE else CallOutcome.NO_ANSWER
        after = wellbeing_calls.after_outcome(
            CallState.CLAIMED, outcome, len(attempts) + 1, schedule, at
        )
        attempts.append((at, rng.choice(operators), outcome))
        state = after.state
        due = after.next_try_at or due
    alarm = None
    if state is CallState.UNANSWERED:
        kind, priority = wellbeing_calls.UNANSWERED, wellbeing_calls.PRIORITY
        alarm = _alarm(rng, kind, priority, attempts[-1][0], operators)
    return Call(task_id, planned, state, tuple(attempts), alarm)


def alarm_rows(home_id: str, alarms: Sequence[Alarm]) -> tuple[list[Row], list[Row]]:
    """Rows for ``alarms`` (:data:`ALARM_COLUMNS`) and ``alarm_log`` (:data:`LOG_COLUMNS`)."""
    rows: list[Row] = []
    log: list[Row] = []
    for a in alarms:
        rows.append(
            (
                a.alarm_id,
                home_id,
                a.kind,
                a.priority,
                AlarmState.RESOLVED.value,
                f"alarm.{a.kind}",
                "{}",
                a.raised_at,
                a.raised_at,
                1,
                a.escalations[-1][0] if a.escalations else None,
                a.claimed_by,
                a.claimed_at,
                a.closed_at,
                a.outcome,
                a.closed_at,
            )
        )
        log.append((a.alarm_id, a.raised_at, SYSTEM, "raised", None, "raised", "{}"))
        for at, old, new in a.escalations:
            detail = json.dumps({"from_priority": str(old), "to_priority": str(new)})
            log.append((a.alarm_id, at, SYSTEM, "escalated", "raised", "raised", detail))
        by = a.claimed_by
        log.append((a.alarm_id, a.claimed_at, by, "claimed", "raised", "claimed", "{}"))
        log.append((a.alarm_id, a.working_at, by, "in_progress", "claimed", "in_progress", "{}"))
        closing = json.dumps({"outcome": a.outcome})
        log.append((a.alarm_id, a.closed_at, by, "resolved", "in_progress", "resolved", closing))
    return rows, log


ALARM_COLUMNS = (
    "alarm_id, home_id, kind, priority, state, reason_key, reason_params, raised_at,"
    " last_trigger_at, trigger_count, escalated_at, claimed_by, claimed_at, closed_at, outcome,"
    " updated_at"
)
LOG_COLUMNS = "alarm_id, at, actor, action, from_state, to_state, detail"
SCHEDULE_COLUMNS = (
    "schedule_id, home_id, resident_id, weekdays, at, retry_minutes, attempts, created_at"
)
TASK_COLUMNS = (
    "task_id, home_id, resident_id, schedule_id, planned_at, next_try_at, state, attempts,"
    " max_attempts, retry_minutes, claimed_by, outcome, log, alarm_id, closed_at, updated_at"
)


def call_rows(service: HomeService, created_at: datetime) -> tuple[list[Row], list[Row]]:
    """Rows for ``call_schedules`` (:data:`SCHEDULE_COLUMNS`) and ``call_tasks``."""
    if service.schedule is None:
        return [], []
    schedule_id, schedule = service.schedule
    schedules: list[Row] = [
        (
            schedule_id,
            service.home_id,
            service.resident_id,
            sorted(schedule.weekdays),
            schedule.at,
            schedule.retry_minutes,
            schedule.attempts,
            created_at,
        )
    ]
    tasks: list[Row] = []
    for c in service.calls:
        attempts = [
            {"at": at.isoformat(), "by": by, "outcome": outcome.value}
            for at, by, outcome in c.attempts
        ]
        tasks.append(
            (
                c.task_id,
                service.home_id,
                service.resident_id,
                schedule_id,
                c.planned_at,
                c.closed_at,
                c.state.value,
                len(c.attempts),
                schedule.attempts,
                schedule.retry_minutes,
                None,
                c.outcome,
                json.dumps(attempts),
                None if c.alarm is None else c.alarm.alarm_id,
                c.closed_at,
                c.closed_at,
            )
        )
    return schedules, tasks
