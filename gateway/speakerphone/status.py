"""Where the speakerphone is in a call, and the snapshot of it the unit reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uuid import UUID

    from gateway.audio import LevelReading
    from protocol import HangupReason


class CallState(StrEnum):
    """Where the speakerphone is in a call."""

    IDLE = "idle"
    """No call since start-up."""
    ANSWERING = "answering"
    """An offer was taken; the answer is made or sent and media is connecting."""
    CONNECTED = "connected"
    """Media flows both ways."""
    ENDED = "ended"
    """The last call is over; :attr:`CallStatus.reason` says why. A new offer is welcome."""


@dataclass(frozen=True, slots=True)
class CallStatus:
    """A snapshot of the speakerphone: the current or last call and its audio levels."""

    state: CallState
    call_id: UUID | None
    reason: HangupReason | None
    """Why the call ended; None unless ``state`` is ENDED."""
    sent: LevelReading
    """What the unit's microphone sent to the operator."""
    received: LevelReading
    """What the unit played from the operator."""
