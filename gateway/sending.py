"""Which waiting events the home unit sends now: pure rules, no I/O.

- Alarm-class events go first, in batches of their own for the ``up/alarms`` channel, which
  the hub reads on a connection of its own: a panic press never waits behind a backlog of
  telemetry, at the unit, at the broker or in the hub.
- The rest go in ``seq`` order, except that the devices with an alarm-class event waiting go
  first (each device's own events still in order), so what led to an alarm (the fall
  detector's last readings) is not behind the backlog either.
- A sent event is in flight until the hub's ack names it; without an ack it is sent again
  after ``ack_timeout_s``, doubling each time up to ``max_backoff_s``.
- At most ``window`` events are in flight, so a unit back from a long outage does not flood
  the hub; batches hold at most :data:`protocol.MAX_BATCH_EVENTS` events and fit in a payload.
- After a reconnect everything unacknowledged is due at once (:meth:`SendPlan.reconnected`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from protocol import MAX_BATCH_EVENTS, MAX_PAYLOAD_BYTES, EventBatch, encode
from protocol.limits import ACK_TIMEOUT_S, MAX_RESEND_INTERVAL_S

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from uuid import UUID

    from gateway.outbox import Pending
    from protocol import Event

PAYLOAD_MARGIN = 1024
"""Room left under the payload limit for the batch's own fields."""


@dataclass
class _Flight:
    resend_at: float
    attempts: int


@dataclass
class SendPlan:
    """The in-flight bookkeeping of one home unit."""

    home_id: str
    ack_timeout_s: float = ACK_TIMEOUT_S
    max_backoff_s: float = MAX_RESEND_INTERVAL_S
    window: int = 1000
    _flights: dict[UUID, _Flight] = field(default_factory=dict)

    @property
    def in_flight(self) -> int:
        """Events sent and not yet acknowledged."""
        return len(self._flights)

    def due(self, pending: Sequence[Pending], now: float) -> list[EventBatch]:
        """The batches to publish at ``now``, each event marked as sent."""
        chosen: list[Event] = []
        room = self.window - sum(1 for f in self._flights.values() if f.resend_at > now)
        for item in _alarm_devices_first(pending):
            if len(chosen) >= room:
                break
            flight = self._flights.get(item.event.event_id)
            if flight is None or flight.resend_at <= now:
                chosen.append(item.event)
        for event in chosen:
            attempts = (
                self._flights[event.event_id].attempts if event.event_id in self._flights else 0
            )
            backoff = min(self.ack_timeout_s * 2**attempts, self.max_backoff_s)
            self._flights[event.event_id] = _Flight(now + backoff, attempts + 1)
        alarms = [e for e in chosen if e.kind.is_alarm_class]
        rest = [e for e in chosen if not e.kind.is_alarm_class]
        return self._batches(alarms) + self._batches(rest)

    def next_resend(self) -> float | None:
        """When the earliest in-flight event is due again (None if nothing is in flight)."""
        return min((f.resend_at for f in self._flights.values()), default=None)

    def acknowledged(self, event_ids: Iterable[UUID]) -> None:
        """Forget events the hub has acknowledged."""
        for event_id in event_ids:
            self._flights.pop(event_id, None)

    def reconnected(self) -> None:
        """A new connection: whatever was in flight may have been lost; send it all again."""
        self._flights.clear()

    def _batches(self, events: Sequence[Event]) -> list[EventBatch]:
        batches: list[EventBatch] = []
        current: list[Event] = []
        size = 0
        for event in events:
            event_size = len(encode(event))
            full = len(current) >= MAX_BATCH_EVENTS
            if current and (full or size + event_size > MAX_PAYLOAD_BYTES - PAYLOAD_MARGIN):
                batches.append(EventBatch(home_id=self.home_id, events=current))
                current, size = [], 0
            current.append(event)
            size += event_size + 1
        if current:
            batches.append(EventBatch(home_id=self.home_id, events=current))
        return batches


def _alarm_devices_first(pending: Sequence[Pending]) -> list[Pending]:
    alarm_devices = {p.event.device_id for p in pending if p.alarm_class}
    first = [p for p in pending if p.event.device_id in alarm_devices]
    rest = [p for p in pending if p.event.device_id not in alarm_devices]
    return first + rest
