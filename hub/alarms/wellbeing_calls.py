"""Scheduled well-being calls (the Italian *telecontrollo*): when due, and what follows.

Pure. A resident's schedule names weekdays and a local time ("Tuesday and Friday at 10:00");
at each such moment a call task goes into the operators' queue, below alarms. An operator
records the outcome: spoke with the person (done), or no answer, which puts the task back
after ``retry_minutes``, and after the last attempt raises a wellbeing alarm: a person who
answers neither a planned call nor its retries may need help.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum

from hub.errors import HubError

UNANSWERED = "wellbeing_call_unanswered"
"""The alarm kind raised after the last unanswered attempt."""
PRIORITY = 2


class CallState(StrEnum):
    """Where a call task is."""

    OPEN = "open"
    CLAIMED = "claimed"
    DONE = "done"
    UNANSWERED = "unanswered"
    """Every attempt went unanswered: an alarm took over."""
    SKIPPED = "skipped"
    """Not needed this time (the person is in hospital, or was just spoken to)."""


class CallOutcome(StrEnum):
    """What an attempt came to."""

    SPOKE = "spoke"
    NO_ANSWER = "no_answer"
    SKIPPED = "skipped"


class CallTaskError(HubError):
    """An outcome or claim the task's state does not allow; ``reason`` says why, for a 409."""

    def __init__(self, reason: str, code: str, params: dict[str, str] | None = None) -> None:
        """Keep the reason, and its ``code`` and ``params`` for a console's own words."""
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.params = params or {}


@dataclass(frozen=True, slots=True)
class Schedule:
    """When one resident is called."""

    weekdays: frozenset[int]
    """ISO weekdays: 1 Monday ... 7 Sunday."""
    at: time
    retry_minutes: int = 30
    attempts: int = 3


def occurrences(schedule: Schedule, zone: tzinfo, start: datetime, end: datetime) -> list[datetime]:
    """The moments in ``start < t <= end`` when a call falls due, at the home's wall-clock time."""
    moments = []
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        if day.isoweekday() in schedule.weekdays:
            moment = datetime.combine(day, schedule.at, zone)
            if start < moment <= end:
                moments.append(moment)
        day += timedelta(days=1)
    return moments


@dataclass(frozen=True, slots=True)
class AfterOutcome:
    """What recording an outcome does to the task."""

    state: CallState
    next_try_at: datetime | None
    raise_alarm: bool


def after_outcome(
    state: CallState, outcome: CallOutcome, attempts_made: int, schedule: Schedule, now: datetime
) -> AfterOutcome:
    """The task's next state once ``outcome`` is recorded, ``attempts_made`` counting this one.

    Raises:
        CallTaskError: the task is not claimed (claim it first) or already closed.
    """
    if state is not CallState.CLAIMED:
        if state is CallState.OPEN:
            raise CallTaskError("claim the call before recording its outcome", "call.claim_first")
        raise CallTaskError(
            f"the call is already {state.value}", "call.closed", {"state": state.value}
        )
    if outcome is CallOutcome.SPOKE:
        return AfterOutcome(CallState.DONE, None, raise_alarm=False)
    if outcome is CallOutcome.SKIPPED:
        return AfterOutcome(CallState.SKIPPED, None, raise_alarm=False)
    if attempts_made < schedule.attempts:
        retry = now + timedelta(minutes=schedule.retry_minutes)
        return AfterOutcome(CallState.OPEN, retry, raise_alarm=False)
    return AfterOutcome(CallState.UNANSWERED, None, raise_alarm=True)
