"""Commands the hub sends a home unit. Results come back as ``command_result`` events."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from protocol.base import PRINTABLE, HomeId, Timestamp, WireModel


class IceServer(WireModel):
    """A STUN or TURN server the speakerphone may use."""

    urls: list[Annotated[str, Field(pattern=r"^(stun|stuns|turn|turns):", max_length=200)]] = Field(
        min_length=1, max_length=8
    )
    username: str | None = Field(default=None, max_length=200, pattern=PRINTABLE)
    credential: str | None = Field(default=None, max_length=200, pattern=PRINTABLE)


class GatewayConfig(WireModel):
    """Settings pushed to a home unit; fields left out keep their current value.

    Only the settings that change are on the wire: ``null`` is not a value for any of them.
    """

    heartbeat_interval_s: int | None = Field(default=None, ge=10, le=3600)
    cancel_window_s: int | None = Field(
        default=None, ge=0, le=600, description="How long after an alarm a cancel press counts."
    )
    max_call_s: int | None = Field(default=None, ge=60, le=4 * 3600)
    ice_servers: list[IceServer] | None = Field(default=None, max_length=8)

    @model_validator(mode="after")
    def _not_empty(self) -> GatewayConfig:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            msg = "a config push must set at least one setting"
            raise ValueError(msg)
        return self

    @model_serializer(mode="wrap")
    def _only_what_changes(
        self, handler: SerializerFunctionWrapHandler, _info: SerializationInfo
    ) -> dict[str, object]:
        return {key: value for key, value in handler(self).items() if value is not None}


class _CommandBase(WireModel):
    home_id: HomeId
    command_id: UUID = Field(description="Echoed in the command_result event.")
    ts: Timestamp


class ConfigCommand(_CommandBase):
    """Change the home unit's settings."""

    name: Literal["config"]
    settings: GatewayConfig


class SelfTestCommand(_CommandBase):
    """Ask the home unit to test itself and its devices and report."""

    name: Literal["test"]


class LocateCommand(_CommandBase):
    """Make the home unit sound and flash so a visitor can find it."""

    name: Literal["locate"]
    duration_s: int = Field(default=30, ge=1, le=300)


Command = Annotated[ConfigCommand | SelfTestCommand | LocateCommand, Field(discriminator="name")]
"""Payload of ``down/commands``."""
