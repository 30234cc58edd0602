"""What travels from the MQTT consumer to the writers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from hub.storage.dead_letters import DeadLetter
    from protocol import EventBatch, Heartbeat, Status


@dataclass(frozen=True, slots=True)
class EventsIn:
    """A valid event batch of a registered home, waiting to be stored."""

    batch: EventBatch
    received_at: datetime
    settle: Callable[[], None]
    """Acknowledges the MQTT message; called once the events are committed."""

    @property
    def size(self) -> int:
        """Events in the batch."""
        return len(self.batch.events)

    @property
    def urgent(self) -> bool:
        """Whether any event raises or cancels an alarm."""
        return any(event.kind.is_alarm_class for event in self.batch.events)


@dataclass(frozen=True, slots=True)
class PresenceIn:
    """A heartbeat or status of a registered home."""

    message: Heartbeat | Status
    received_at: datetime
    settle: Callable[[], None]
    size: int = 1


@dataclass(frozen=True, slots=True)
class RejectedIn:
    """A refused message on its way to the dead-letter table."""

    letter: DeadLetter
    settle: Callable[[], None]
    size: int = 1
