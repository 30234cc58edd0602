"""Immediate and technical rules: which events raise an alarm, of what kind and priority.

Pure. Priorities follow the common five-level scheme of social alarm services (docs:
../shared/DOMAIN.md): 1 fire, panic and medical; 2 other hazards; 3 technical faults that cut
the person off (tamper, mains lost); 4 supervision (battery low); 5 restores, which raise no
alarm of their own. The reason is a message key and its parameters, put into words by the
translation layer wherever it is shown, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol import Event, EventKind

PRIORITY_LEVELS = (1, 2, 3, 4, 5)
"""Every alarm priority, the most urgent first (the alarms table's CHECK allows just these)."""

PRIORITY: dict[EventKind, int] = {
    EventKind.PANIC_BUTTON: 1,
    EventKind.PULL_CORD: 1,
    EventKind.FALL: 1,
    EventKind.SMOKE: 1,
    EventKind.CO: 1,
    EventKind.FLOOD: 2,
    EventKind.TAMPER: 3,
    EventKind.MAINS_POWER: 3,
    EventKind.BATTERY_LOW: 4,
}
"""The priority of the alarm each kind raises (1 is the most urgent)."""

PER_DEVICE = frozenset({EventKind.TAMPER, EventKind.MAINS_POWER, EventKind.BATTERY_LOW})
"""Technical kinds whose alarms are one per device: two sensors' flat batteries are two jobs
for the technician, each done on its own."""


@dataclass(frozen=True, slots=True)
class AlarmTrigger:
    """An event that raises (or joins) an alarm of ``kind`` in its home."""

    kind: EventKind
    priority: int
    reason_key: str
    reason_params: dict[str, str] = field(default_factory=dict)
    device_id: str | None = None
    """The device the alarm belongs to (technical kinds only); None: one per home and kind."""


def trigger_for(event: Event) -> AlarmTrigger | None:
    """The alarm ``event`` raises, or None (telemetry, restores, a cancel)."""
    kind = event.kind
    priority = PRIORITY.get(kind)
    if priority is None or not _raising(event):
        return None
    params = {"device_id": event.device_id}
    if event.location:
        params["location"] = event.location
    device = event.device_id if kind in PER_DEVICE else None
    return AlarmTrigger(kind, priority, f"alarm.{kind.value}", params, device)


def _raising(event: Event) -> bool:
    value = event.value.model_dump()
    if event.kind == EventKind.MAINS_POWER:
        return value.get("on") is False
    if event.kind == EventKind.BATTERY_LOW:
        return value.get("low") is True
    return value.get("active") is True
