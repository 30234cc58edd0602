"""Events: what happened at a home, sent up in batches and stored by the hub exactly once."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, model_validator

from protocol.base import (
    PRINTABLE,
    Counter,
    DeviceId,
    FieldValueError,
    HomeId,
    Percent,
    Text,
    Timestamp,
    WireModel,
)
from protocol.limits import MAX_BATCH_EVENTS, MAX_ID_LENGTH


class EventKind(StrEnum):
    """Every kind of event a home unit may report."""

    PANIC_BUTTON = "panic_button"
    PULL_CORD = "pull_cord"
    FALL = "fall"
    SMOKE = "smoke"
    CO = "co"
    FLOOD = "flood"
    CANCEL = "cancel"
    MOTION = "motion"
    DOOR = "door"
    BED = "bed"
    CHAIR = "chair"
    TEMPERATURE = "temperature"
    BATTERY_LOW = "battery_low"
    TAMPER = "tamper"
    MAINS_POWER = "mains_power"
    CHECK_IN = "check_in"
    COMMAND_RESULT = "command_result"

    @property
    def is_alarm_class(self) -> bool:
        """Whether this kind must never wait behind telemetry or be dropped by an outbox."""
        return self in ALARM_CLASS_KINDS


ALARM_CLASS_KINDS = frozenset(
    {
        EventKind.PANIC_BUTTON,
        EventKind.PULL_CORD,
        EventKind.FALL,
        EventKind.SMOKE,
        EventKind.CO,
        EventKind.FLOOD,
        EventKind.CANCEL,
    }
)
"""Kinds that raise or cancel an alarm: sent first, stored first, never dropped."""


class Trigger(WireModel):
    """Value of an alarm sensor: ``active`` true when it fires, false when it restores."""

    active: bool


class CancelValue(WireModel):
    """Value of a cancel press: which alarm event it cancels, when the unit knows."""

    cancels: UUID | None = Field(
        default=None, description="event_id of the alarm event this press cancels."
    )


class Motion(WireModel):
    """Value of a PIR sensor."""

    detected: bool


class Contact(WireModel):
    """Value of a door (or cupboard, fridge) contact."""

    open: bool


class Occupancy(WireModel):
    """Value of a bed or chair pad."""

    occupied: bool


class Temperature(WireModel):
    """Value of a room thermometer."""

    celsius: float = Field(ge=-50, le=100)


class BatteryLow(WireModel):
    """Value of a device's battery report: ``low`` false means the battery was replaced."""

    low: bool
    percent: Percent | None = None


class MainsPower(WireModel):
    """Value of the home unit's power report: ``on`` false means running on its battery."""

    on: bool


class CheckIn(WireModel):
    """Value of an "I'm OK" press; the press itself is the information."""


class CommandOutcome(StrEnum):
    """How a home unit finished a command."""

    OK = "ok"
    FAILED = "failed"
    UNSUPPORTED = "unsupported"


class CommandResult(WireModel):
    """Value of a ``command_result`` event: the home unit's answer to a command.

    Results travel as events so they reach the hub at-least-once, are acknowledged, and stay on
    the home's record (EN 50134-7 wants tests and maintenance kept).
    """

    command_id: UUID
    outcome: CommandOutcome
    detail: Text | None = None


class _EventBase(WireModel):
    event_id: UUID = Field(description="Made by the gateway; the hub stores each id once.")
    home_id: HomeId
    device_id: DeviceId
    ts: Timestamp = Field(description="When the device saw it (device clock).")
    seq: Counter = Field(description="The gateway's sequence number, one more per event.")
    location: str | None = Field(
        default=None,
        max_length=MAX_ID_LENGTH,
        pattern=PRINTABLE,
        description="Room or place in the home.",
    )


class TriggerEvent(_EventBase):
    """An alarm sensor fired or restored."""

    kind: Literal[
        EventKind.PANIC_BUTTON,
        EventKind.PULL_CORD,
        EventKind.FALL,
        EventKind.SMOKE,
        EventKind.CO,
        EventKind.FLOOD,
        EventKind.TAMPER,
    ]
    value: Trigger


class CancelEvent(_EventBase):
    """The resident pressed cancel after an alarm."""

    kind: Literal[EventKind.CANCEL]
    value: CancelValue


class MotionEvent(_EventBase):
    """A PIR sensor saw movement (or its occupancy cleared)."""

    kind: Literal[EventKind.MOTION]
    value: Motion


class DoorEvent(_EventBase):
    """A contact opened or closed."""

    kind: Literal[EventKind.DOOR]
    value: Contact


class OccupancyEvent(_EventBase):
    """Someone got into or out of bed or a chair."""

    kind: Literal[EventKind.BED, EventKind.CHAIR]
    value: Occupancy


class TemperatureEvent(_EventBase):
    """A room temperature reading."""

    kind: Literal[EventKind.TEMPERATURE]
    value: Temperature


class BatteryLowEvent(_EventBase):
    """A device's battery went low, or was replaced."""

    kind: Literal[EventKind.BATTERY_LOW]
    value: BatteryLow


class MainsPowerEvent(_EventBase):
    """The home unit lost or regained mains power."""

    kind: Literal[EventKind.MAINS_POWER]
    value: MainsPower


class CheckInEvent(_EventBase):
    """The resident pressed "I'm OK"."""

    kind: Literal[EventKind.CHECK_IN]
    value: CheckIn


class CommandResultEvent(_EventBase):
    """The home unit finished a command sent on ``down/commands``."""

    kind: Literal[EventKind.COMMAND_RESULT]
    value: CommandResult


Event = Annotated[
    TriggerEvent
    | CancelEvent
    | MotionEvent
    | DoorEvent
    | OccupancyEvent
    | TemperatureEvent
    | BatteryLowEvent
    | MainsPowerEvent
    | CheckInEvent
    | CommandResultEvent,
    Field(discriminator="kind"),
]
"""One event; ``kind`` decides the shape of ``value``."""


class EventBatch(WireModel):
    """Payload of ``up/events``: one or more events of one home, in the gateway's order."""

    home_id: HomeId
    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)

    @model_validator(mode="after")
    def _one_home_unique_ids(self) -> EventBatch:
        seen: set[UUID] = set()
        for index, event in enumerate(self.events):
            if event.home_id != self.home_id:
                raise FieldValueError(
                    f"events.{index}.home_id", f"{event.home_id!r} is not the batch's home"
                )
            if event.event_id in seen:
                raise FieldValueError(
                    f"events.{index}.event_id", f"{event.event_id} appears twice in the batch"
                )
            seen.add(event.event_id)
        return self
