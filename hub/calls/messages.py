"""The call signalling a console and the hub exchange on the ``/api/v1/stream`` WebSocket.

The console sends its SDP offer, ICE candidates and hang-up; the hub answers with the call's
id, then relays the home unit's answer, candidates and hang-up. The hub chooses the call id
(the protocol's ``down/call`` carries it), so the console names its request with a ``ref``.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from protocol import HangupReason
from protocol.limits import MAX_SDP_LENGTH, MAX_TEXT_LENGTH


class _FromConsole(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartCall(_FromConsole):
    """Call a home: the console's SDP offer, for an alarm or (no alarm) a well-being call."""

    type: Literal["call.start"]
    ref: str = Field(min_length=1, max_length=64, description="The console's name for it.")
    home_id: str = Field(min_length=1, max_length=64)
    alarm_id: UUID | None = None
    sdp: str = Field(min_length=1, max_length=MAX_SDP_LENGTH)


class SendIce(_FromConsole):
    """A trickled ICE candidate from the console; an empty candidate ends the trickle."""

    type: Literal["call.ice"]
    call_id: UUID
    candidate: str = Field(max_length=MAX_TEXT_LENGTH)
    sdp_mid: str | None = Field(default=None, max_length=32)
    sdp_mline_index: int | None = Field(default=None, ge=0, le=64)


class HangUp(_FromConsole):
    """The operator ends the call."""

    type: Literal["call.hangup"]
    call_id: UUID


ConsoleCallMessage = Annotated[StartCall | SendIce | HangUp, Field(discriminator="type")]
"""Anything a console may send on the stream."""


class CallPlaced(BaseModel):
    """The offer went to the home; ``call_id`` names the call from now on."""

    type: Literal["call.placed"] = "call.placed"
    ref: str
    call_id: UUID


class CallRefused(BaseModel):
    """The hub did not place the call (or could not read the message), and why."""

    type: Literal["call.refused"] = "call.refused"
    ref: str | None
    error: str
    code: str = Field(description="A stable key for the reason, for the console's own words.")
    params: dict[str, str] = Field(default_factory=dict)


class CallAnswered(BaseModel):
    """The home unit's SDP answer."""

    type: Literal["call.answer"] = "call.answer"
    call_id: UUID
    sdp: str


class CallIce(BaseModel):
    """A trickled ICE candidate from the home unit."""

    type: Literal["call.ice"] = "call.ice"
    call_id: UUID
    candidate: str
    sdp_mid: str | None
    sdp_mline_index: int | None


class CallEnded(BaseModel):
    """The call is over, and who or what ended it."""

    type: Literal["call.ended"] = "call.ended"
    call_id: UUID
    reason: HangupReason
