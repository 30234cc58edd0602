"""Which events raise alarms, the lifecycle's allowed moves, and when escalation is due."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from hub.alarms.lifecycle import (
    AlarmState,
    AlarmTimer,
    IllegalTransitionError,
    check_transition,
    escalated_priority,
    escalation_due,
)
from hub.alarms.rules import trigger_for
from protocol import Event, EventKind

NOW = datetime(2026, 11, 24, 10, tzinfo=UTC)


def event(kind: EventKind, value: dict[str, Any], location: str | None = None) -> Event:
    """An event of home-1."""
    return TypeAdapter[Event](Event).validate_python(
        {
            "event_id": uuid.uuid4(),
            "home_id": "home-1",
            "device_id": "dev-1",
            "ts": NOW,
            "seq": 1,
            "location": location,
            "kind": kind,
            "value": value,
        }
    )


@pytest.mark.parametrize(
    ("kind", "value", "priority"),
    [
        (EventKind.PANIC_BUTTON, {"active": True}, 1),
        (EventKind.PULL_CORD, {"active": True}, 1),
        (EventKind.FALL, {"active": True}, 1),
        (EventKind.SMOKE, {"active": True}, 1),
        (EventKind.CO, {"active": True}, 1),
        (EventKind.FLOOD, {"active": True}, 2),
        (EventKind.TAMPER, {"active": True}, 3),
        (EventKind.MAINS_POWER, {"on": False}, 3),
        (EventKind.BATTERY_LOW, {"low": True, "percent": 9}, 4),
    ],
)
def test_alarm_kinds_raise_with_their_priority(
    kind: EventKind, value: dict[str, Any], priority: int
) -> None:
    """Each alarm and technical event raises an alarm of its kind and priority."""
    trigger = trigger_for(event(kind, value, "hall"))
    assert trigger is not None
    assert (trigger.kind, trigger.priority) == (kind, priority)
    assert trigger.reason_key == f"alarm.{kind.value}"
    assert trigger.reason_params == {"device_id": "dev-1", "location": "hall"}


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (EventKind.SMOKE, {"active": False}),
        (EventKind.MAINS_POWER, {"on": True}),
        (EventKind.BATTERY_LOW, {"low": False}),
        (EventKind.MOTION, {"detected": True}),
        (EventKind.DOOR, {"open": True}),
        (EventKind.CANCEL, {}),
        (EventKind.CHECK_IN, {}),
    ],
)
def test_restores_telemetry_and_cancels_raise_nothing(
    kind: EventKind, value: dict[str, Any]
) -> None:
    """Restores (priority 5), everyday telemetry and a cancel press raise no alarm."""
    assert trigger_for(event(kind, value)) is None


def test_the_lifecycle_allows_only_its_own_moves() -> None:
    """Raised -> claimed -> in progress -> resolved; cancel from any open state; no reopening."""
    check_transition(AlarmState.RAISED, AlarmState.CLAIMED)
    check_transition(AlarmState.CLAIMED, AlarmState.IN_PROGRESS)
    check_transition(AlarmState.IN_PROGRESS, AlarmState.RESOLVED)
    check_transition(AlarmState.CLAIMED, AlarmState.RAISED)
    for state in (AlarmState.RAISED, AlarmState.CLAIMED, AlarmState.IN_PROGRESS):
        check_transition(state, AlarmState.CANCELLED)
    with pytest.raises(IllegalTransitionError, match="already resolved"):
        check_transition(AlarmState.RESOLVED, AlarmState.CLAIMED)
    with pytest.raises(IllegalTransitionError, match="raised cannot become resolved"):
        check_transition(AlarmState.RAISED, AlarmState.RESOLVED)


def test_escalation_is_due_by_priority_and_only_while_unclaimed() -> None:
    """60 s for priority 1, longer for lower; claimed alarms and restores never escalate."""
    raised = NOW - timedelta(seconds=61)
    assert escalation_due(AlarmTimer(AlarmState.RAISED, 1, raised), NOW)
    assert not escalation_due(AlarmTimer(AlarmState.RAISED, 1, NOW - timedelta(seconds=59)), NOW)
    assert not escalation_due(AlarmTimer(AlarmState.CLAIMED, 1, raised), NOW)
    assert not escalation_due(AlarmTimer(AlarmState.RAISED, 2, raised), NOW)
    assert not escalation_due(AlarmTimer(AlarmState.RAISED, 5, NOW - timedelta(days=1)), NOW)
    again = AlarmTimer(AlarmState.RAISED, 1, raised, escalated_at=NOW - timedelta(seconds=10))
    assert not escalation_due(again, NOW)
    assert [escalated_priority(p) for p in (4, 2, 1)] == [3, 1, 1]
