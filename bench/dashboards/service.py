"""What the centre did for each home over the history: alarms answered and well-being calls.

Pure and seeded (one :class:`random.Random` per home, from the run's seed and the home's id).
The rows it makes have the shape the hub's own code writes (``alarms`` and its ``alarm_log``
timeline as :mod:`hub.storage.alarm_changes` writes them, ``call_schedules`` and
``call_tasks`` as :mod:`hub.storage.calls` does), so the district's month and the person's
page read them as they would read a real centre's.

**Incidents.** Each home has alarms at the yearly rates of :data:`ALARM_RATES` (a Poisson
count over the history, each at a uniform moment, at the local hours of its kind). Their kinds
and priorities are the hub's (:data:`hub.alarms.rules.PRIORITY` and the wellbeing and
supervision rules' own).

**Answers.** An operator claims an alarm after a wait drawn from a log-normal distribution per
priority (:data:`ANSWER_WAIT`: median and the spread's sigma, in seconds); an alarm still
unclaimed past :data:`hub.alarms.lifecycle.ESCALATE_AFTER` of its priority escalates (one
step, again after the new priority's time), as the hub's timer does. :data:`CANCELLED_SHARE`
of panic presses are cancelled by the resident within a minute, before any claim. A claimed
alarm is resolved after a handling time (log-normal, median :data:`HANDLING_MEDIAN_S`, longer
when help was sent) with an outcome drawn from its kind's :data:`OUTCOMES`.

**Calls.** :data:`CALLED_SHARE` of homes have a well-being call schedule (one to three
weekdays, a morning time, three attempts twenty minutes apart); each call falls due at the
moments :func:`hub.alarms.wellbeing_calls.occurrences` gives, and each attempt is answered
with :data:`ANSWERED` (or the call is skipped, :data:`SKIPPED`); the state after each attempt
is :func:`hub.alarms.wellbeing_calls.after_outcome`'s, and a call unanswered after its last
attempt raises the hub's ``wellbeing_call_unanswered`` alarm.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from hub.alarms import checkin, late_rise, night, supervision, wellbeing, wellbeing_calls
from hub.alarms.lifecycle import ESCALATE_AFTER, AlarmState, escalated_priority
from hub.alarms.rules import PRIORITY
from hub.alarms.wellbeing_calls import CallOutcome, CallState, Schedule
from hub.storage.alarm_changes import RESIDENT, SYSTEM
from protocol import EventKind

if TYPE_CHECKING:
    from collections.abc import Sequence

Row = tuple[object, ...]

ALARM_RATES: dict[str, float] = {
    EventKind.PANIC_BUTTON.value: 3.0,
    EventKind.FALL.value: 0.6,
    EventKind.SMOKE.value: 0.05,
    EventKind.MAINS_POWER.value: 0.4,
    EventKind.BATTERY_LOW.value: 2.0,
    supervision.UNIT_OFFLINE: 1.0,
    supervision.DEVICE_SILENT: 0.5,
    wellbeing.INACTIVITY: 0.5,
    late_rise.LATE_RISE: 0.4,
    night.NIGHT_DOOR: 0.3,
    night.OUT_OF_BED: 0.3,
}
"""Alarms per home and year, by kind (``wellbeing_call_unanswered`` comes from the calls)."""
KIND_PRIORITY: dict[str, int] = {
    **{kind.value: priority for kind, priority in PRIORITY.items()},
    supervision.UNIT_OFFLINE: supervision.PRIORITY,
    supervision.DEVICE_SILENT: supervision.DEVICE_PRIORITY,
    wellbeing.INACTIVITY: wellbeing.PRIORITY,
    late_rise.LATE_RISE: late_rise.PRIORITY,
    night.NIGHT_DOOR: night.PRIORITY,
    night.OUT_OF_BED: night.PRIORITY,
    checkin.MISSED_CHECK_IN: checkin.PRIORITY,
    wellbeing_calls.UNANSWERED: wellbeing_calls.PRIORITY,
}
"""The priority the hub raises each kind at."""
KIND_HOURS: dict[str, tuple[float, float]] = {
    wellbeing.INACTIVITY: (10.0, 20.0),
    late_rise.LATE_RISE: (9.0, 11.5),
    night.NIGHT_DOOR: (0.0, 5.0),
    night.OUT_OF_BED: (0.5, 5.0),
}
"""Local hours an alarm of the kind can be raised at (others: any time of day)."""
ANSWER_WAIT: dict[int, tuple[float, float]] = {
    1: (25.0, 0.7),
    2: (45.0, 0.8),
    3: (120.0, 0.9),
    4: (300.0, 1.0),
}
"""Seconds from raised to the first claim, by priority as raised: (median, sigma of the log).
Priority 1: p90 about 61 s, 1 in 100 past 130 s."""
CANCELLED_SHARE = 0.15
HANDLING_MEDIAN_S = 360.0
HANDLING_SIGMA = 0.6
HELP_SENT_FACTOR = 6.0
"""Handling takes this much longer when someone was sent or called to the home."""
HELP_SENT = frozenset({"responder_sent", "emergency_services", "relative_contacted"})
_PERSON = (
    ("resolved_by_phone", 0.6),
    ("relative_contacted", 0.2),
    ("responder_sent", 0.12),
    ("emergency_services", 0.05),
    ("false_alarm", 0.03),
)
_TECHNICAL = (("technical_fixed", 0.85), ("resolved_by_phone", 0.15))
OUTCOMES: dict[str, tuple[tuple[str, float], ...]] = {
    EventKind.PANIC_BUTTON.value: (
        ("false_alarm", 0.45),
        ("resolved_by_phone", 0.3),
        ("relative_contacted", 0.12),
        ("responder_sent", 0.08),
        ("emergency_services", 0.05),
    ),
    EventKind.FALL.value: (
        ("relative_contacted", 0.3),
        ("responder_sent", 0.3),
        ("emergency_services", 0.25),
        ("resolved_by_phone", 0.1),
        ("false_alarm", 0.05),
    ),
    EventKind.SMOKE.value: (("false_alarm", 0.7), ("emergency_services", 0.3)),
    EventKind.MAINS_POWER.value: _TECHNICAL,
    EventKind.BATTERY_LOW.value: _TECHNICAL,
    supervision.UNIT_OFFLINE: _TECHNICAL,
    supervision.DEVICE_SILENT: _TECHNICAL,
}
"""Outcomes of a claimed alarm by kind, with their shares (the wellbeing kinds: ``_PERSON``)."""
CALLED_SHARE = 0.3
CALL_AT = (time(9, 30), time(10, 0), time(10, 30), time(11, 0))
CALL_RETRY_MINUTES = 20
CALL_ATTEMPTS = 3
ANSWERED = 0.8
"""The chance each attempt of a call is answered."""
SKIPPED = 0.03
"""The chance a call is skipped (the person is away, or was just spoken to)."""
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
    claimed_by: str | None
    claimed_at: datetime | None
    state: AlarmState
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
    attempts: tuple[tuple[datetime, CallOutcome], ...]
    claimed_by: str
    alarm: Alarm | None

    @property
    def closed_at(self) -> datetime:
        """When the last attempt was recorded."""
        return self.attempts[-1][0]

    @property
    def outcome(self) -> str:
        """The outcome of the last attempt (the task's ``outcome``)."""
        return self.attempts[-1][1].value


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
    years = (end - start) / timedelta(days=365)
    for kind, rate in ALARM_RATES.items():
        for _ in range(_poisson(rng, rate * years)):
            raised = _moment(rng, kind, zone, start, end)
            alarm = _alarm(rng, kind, raised, operators)
            if alarm.closed_at < end:
                service.alarms.append(alarm)
    if rng.random() < CALLED_SHARE:
        weekdays = frozenset(rng.sample(range(1, 8), rng.randint(1, 3)))
        schedule = Schedule(weekdays, rng.choice(CALL_AT), CALL_RETRY_MINUTES, CALL_ATTEMPTS)
        service.schedule = (new_id(rng), schedule)
        for planned in wellbeing_calls.occurrences(schedule, zone, start, end):
            call = _call(rng, planned, schedule, operators)
            if call.closed_at < end:
                service.calls.append(call)
                if call.alarm is not None:
                    service.alarms.append(call.alarm)
    service.alarms.sort(key=lambda a: a.raised_at)
    return service


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is fine for the small means here; a year of panic presses is about 3.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _moment(
    rng: random.Random, kind: str, zone: tzinfo, start: datetime, end: datetime
) -> datetime:
    at = start + (end - start) * rng.random()
    hours = KIND_HOURS.get(kind)
    if hours is None:
        return at
    local_day = at.astimezone(zone).date()
    moment = datetime.combine(local_day, time(0), zone) + timedelta(hours=rng.uniform(*hours))
    return min(max(moment, start), end)


def _pick(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    names, weights = zip(*shares, strict=True)
    return str(rng.choices(names, weights)[0])


def _alarm(rng: random.Random, kind: str, raised: datetime, operators: Sequence[str]) -> Alarm:
    priority = KIND_PRIORITY[kind]
    alarm_id = new_id(rng)
    if kind == EventKind.PANIC_BUTTON.value and rng.random() < CANCELLED_SHARE:
        closed = raised + timedelta(seconds=rng.uniform(5, 60))
        return Alarm(
            alarm_id,
            kind,
            priority,
            raised,
            (),
            None,
            None,
            AlarmState.CANCELLED,
            closed,
            "cancelled",
        )
    median, sigma = ANSWER_WAIT[priority]
    claimed = raised + timedelta(seconds=median * math.exp(rng.gauss(0, sigma)))
    escalations = []
    current, since = priority, raised
    while (wait := ESCALATE_AFTER.get(current)) is not None and since + wait < claimed:
        since += wait
        escalations.append((since, current, escalated_priority(current)))
        current = escalated_priority(current)
        if current == escalations[-1][1]:
            break  # at the top already: it escalates no further
    outcome = _pick(rng, OUTCOMES.get(kind, _PERSON))
    handling = HANDLING_MEDIAN_S * math.exp(rng.gauss(0, HANDLING_SIGMA))
    if outcome in HELP_SENT:
        handling *= HELP_SENT_FACTOR
    return Alarm(
        alarm_id,
        kind,
        priority,
        raised,
        tuple(escalations),
        rng.choice(operators),
        claimed,
        AlarmState.RESOLVED,
        claimed + timedelta(seconds=handling),
        outcome,
    )


def _call(
    rng: random.Random, planned: datetime, schedule: Schedule, operators: Sequence[str]
) -> Call:
    task_id = new_id(rng)
    operator = rng.choice(operators)
    attempts: list[tuple[datetime, CallOutcome]] = []
    state = CallState.OPEN
    moment = planned
    while state in {CallState.OPEN, CallState.CLAIMED}:
        moment += timedelta(minutes=rng.uniform(1, 8))  # the operator gets to it
        if rng.random() < SKIPPED and not attempts:
            outcome = CallOutcome.SKIPPED
        elif rng.random() < ANSWERED:
            outcome = CallOutcome.SPOKE
        else:
            outcome = CallOutcome.NO_ANSWER
        made = len(attempts) + (0 if outcome is CallOutcome.SKIPPED else 1)
        after = wellbeing_calls.after_outcome(CallState.CLAIMED, outcome, made, schedule, moment)
        attempts.append((moment, outcome))
        state = after.state
        if after.next_try_at is not None:
            moment = after.next_try_at
    alarm = None
    if state is CallState.UNANSWERED:
        alarm = _alarm(rng, wellbeing_calls.UNANSWERED, moment, operators)
    return Call(task_id, planned, state, tuple(attempts), operator, alarm)


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
                a.state.value,
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
        if a.state is AlarmState.CANCELLED:
            log.append(
                (a.alarm_id, a.closed_at, RESIDENT, "cancelled", "raised", "cancelled", "{}")
            )
            continue
        log.append((a.alarm_id, a.claimed_at, a.claimed_by, "claimed", "raised", "claimed", "{}"))
        closing = json.dumps({"outcome": a.outcome})
        log.append(
            (a.alarm_id, a.closed_at, a.claimed_by, "resolved", "claimed", "resolved", closing)
        )
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
            {"at": at.isoformat(), "by": c.claimed_by, "outcome": outcome.value}
            for at, outcome in c.attempts
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
                sum(1 for _, outcome in c.attempts if outcome is not CallOutcome.SKIPPED),
                schedule.attempts,
                schedule.retry_minutes,
                c.claimed_by,
                c.outcome,
                json.dumps(attempts),
                None if c.alarm is None else c.alarm.alarm_id,
                c.closed_at,
                c.closed_at,
            )
        )
    return schedules, tasks
