"""The alarm lifecycle as an explicit state machine, and when an unclaimed alarm escalates.

raised -> claimed (by one operator) -> in_progress (call, responders) -> resolved (outcome),
or cancelled by the resident from any open state (kept on record). A claimed alarm may be
released back to raised. Pure: storage applies these rules in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hub.errors import HubError


class AlarmState(StrEnum):
    """Where an alarm is in its life."""

    RAISED = "raised"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Whether someone still has to act on it."""
        return self not in {AlarmState.RESOLVED, AlarmState.CANCELLED}


OPEN_STATES = tuple(state for state in AlarmState if state.is_open)

TRANSITIONS: dict[AlarmState, frozenset[AlarmState]] = {
    AlarmState.RAISED: frozenset({AlarmState.CLAIMED, AlarmState.CANCELLED}),
    AlarmState.CLAIMED: frozenset(
        {AlarmState.RAISED, AlarmState.IN_PROGRESS, AlarmState.RESOLVED, AlarmState.CANCELLED}
    ),
    AlarmState.IN_PROGRESS: frozenset({AlarmState.RESOLVED, AlarmState.CANCELLED}),
    AlarmState.RESOLVED: frozenset(),
    AlarmState.CANCELLED: frozenset(),
}


class IllegalTransitionError(HubError):
    """A change the lifecycle does not allow; ``reason`` says why, for a 409."""

    def __init__(self, current: AlarmState, wanted: AlarmState) -> None:
        """Name both states."""
        if not current.is_open:
            reason = f"the alarm is already {current.value}"
        else:
            reason = f"an alarm that is {current.value} cannot become {wanted.value}"
        super().__init__(reason)
        self.current = current
        self.wanted = wanted
        self.reason = reason
        self.code = "alarm.closed" if not current.is_open else "alarm.cannot_become"
        """The reason as a key a console translates, with :attr:`params`."""
        self.params = {"state": current.value, "wanted": wanted.value}


def check_transition(current: AlarmState, wanted: AlarmState) -> None:
    """Raise :class:`IllegalTransitionError` unless ``current`` may become ``wanted``."""
    if wanted not in TRANSITIONS[current]:
        raise IllegalTransitionError(current, wanted)


ESCALATE_AFTER: dict[int, timedelta] = {
    1: timedelta(seconds=60),
    2: timedelta(seconds=120),
    3: timedelta(minutes=5),
    4: timedelta(minutes=15),
}
"""How long an alarm of each priority may stay unclaimed before it escalates (the monitoring
standard's 60 s for the most urgent). Priority 5 never escalates."""


@dataclass(frozen=True, slots=True)
class AlarmTimer:
    """What escalation looks at in an alarm."""

    state: AlarmState
    priority: int
    raised_at: datetime
    escalated_at: datetime | None = None


def escalation_due(
    alarm: AlarmTimer, now: datetime, policy: dict[int, timedelta] = ESCALATE_AFTER
) -> bool:
    """Whether ``alarm`` should escalate now: still unclaimed past its priority's time.

    An escalated alarm escalates again after the time of its new priority.
    """
    wait = policy.get(alarm.priority)
    if alarm.state is not AlarmState.RAISED or wait is None:
        return False
    since = alarm.escalated_at or alarm.raised_at
    return now - since >= wait


def escalated_priority(priority: int) -> int:
    """The priority after an escalation: one step more urgent, 1 at most."""
    return max(1, priority - 1)
