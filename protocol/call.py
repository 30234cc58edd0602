"""Call signalling between the operator console (through the hub) and the home's speakerphone.

The hub sends an SDP offer down; the home unit answers automatically, as social alarm units do.
ICE candidates trickle both ways; either side may hang up.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from protocol.base import PRINTABLE, HomeId, Timestamp, WireModel
from protocol.limits import MAX_SDP_LENGTH, MAX_TEXT_LENGTH


class _CallMessage(WireModel):
    home_id: HomeId
    call_id: UUID = Field(description="Chosen by the hub when it places the call.")
    ts: Timestamp


class CallOffer(_CallMessage):
    """The hub asks the home unit to take a call (``down/call``)."""

    type: Literal["offer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_LENGTH, pattern=PRINTABLE)


class CallAnswer(_CallMessage):
    """The home unit accepts the call (``up/call``)."""

    type: Literal["answer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_LENGTH, pattern=PRINTABLE)


class IceCandidate(_CallMessage):
    """A trickled ICE candidate, either way; an empty ``candidate`` ends the trickle."""

    type: Literal["ice_candidate"]
    candidate: str = Field(max_length=MAX_TEXT_LENGTH, pattern=PRINTABLE)
    sdp_mid: str | None = Field(default=None, max_length=32, pattern=PRINTABLE)
    sdp_mline_index: int | None = Field(default=None, ge=0, le=64)


class HangupReason(StrEnum):
    """Why a call ended."""

    OPERATOR = "operator"
    HOME = "home"
    TIMEOUT = "timeout"
    BUSY = "busy"
    FAILED = "failed"


class Hangup(_CallMessage):
    """Either side ends the call."""

    type: Literal["hangup"]
    reason: HangupReason


CallSignalToHome = Annotated[CallOffer | IceCandidate | Hangup, Field(discriminator="type")]
"""Payload of ``down/call``."""

CallSignalFromHome = Annotated[CallAnswer | IceCandidate | Hangup, Field(discriminator="type")]
"""Payload of ``up/call``."""
