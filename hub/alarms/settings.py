"""Each home's wellbeing rule settings: what its person's routine makes normal.

Pure. Every rule can be switched off and every threshold changed for one home (in practice
one person: a home's unit and sensors watch whoever lives there). The defaults follow what
services use (DOMAIN.md): a night window of 22:00-06:00, out of bed for more than 45 min at
night, a room too cold or too hot for an hour, a radio device silent for a day.

They come in through the API (``PUT …/rules``) and so are strict, as its bodies are
(:mod:`hub.api.models`): times of day are local ``HH:MM[:SS]`` without an offset
(:data:`hub.fields.LocalTime`), booleans only ``true``/``false``, whole numbers only integers.
"""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.alarms.wellbeing import InactivitySettings
from hub.fields import LocalTime, WholeNumber
from protocol.base import DeviceId


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    enabled: bool = True


class InactivityRule(_Rule):
    """No movement for longer than the person's usual quiet spell at this hour."""

    default_minutes: WholeNumber = Field(
        default=360, ge=15, le=99 * 60, description="The threshold until 2 weeks of history."
    )
    minimum_minutes: WholeNumber = Field(
        default=120, ge=15, le=99 * 60, description="Never an alarm for a shorter stillness."
    )
    margin_minutes: WholeNumber = Field(
        default=60, ge=0, le=24 * 60, description="Added to the usual longest quiet spell."
    )

    def settings(self) -> InactivitySettings:
        """The rule's thresholds as :func:`hub.alarms.wellbeing.check_inactivity` takes them."""
        return InactivitySettings(
            default=timedelta(minutes=self.default_minutes),
            minimum=timedelta(minutes=self.minimum_minutes),
            margin=timedelta(minutes=self.margin_minutes),
        )


class LateRiseRule(_Rule):
    """Not up by the usual time plus a margin."""

    morning_starts: LocalTime = Field(
        default=time(5, 0), description="Activity from this local time on counts as getting up."
    )
    default_up_by: LocalTime = Field(
        default=time(10, 0), description="The usual time up until 2 weeks of history."
    )
    margin_minutes: WholeNumber = Field(default=60, ge=0, le=12 * 60)


class NightWindow(BaseModel):
    """The local hours counted as night (it may run past midnight)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    starts: LocalTime = time(22, 0)
    ends: LocalTime = time(6, 0)

    @model_validator(mode="after")
    def _not_empty(self) -> NightWindow:
        if self.starts == self.ends:
            raise ValueError("the night window starts and ends at the same time")
        return self


class NightDoorRule(_Rule):
    """A door opened in the night window (someone going out, or a stranger coming in)."""

    devices: list[DeviceId] = Field(
        default_factory=list,
        max_length=20,
        description="Door contacts watched; empty means every door contact of the home.",
    )


class OutOfBedRule(_Rule):
    """Out of bed in the night window and not back within the minutes given."""

    minutes: WholeNumber = Field(default=45, ge=5, le=6 * 60)


class TemperatureRule(_Rule):
    """A room colder or hotter than the safe range for the minutes given."""

    low_celsius: float = Field(default=16.0, ge=-10, le=30)
    high_celsius: float = Field(default=30.0, ge=15, le=50)
    minutes: WholeNumber = Field(default=60, ge=15, le=24 * 60)

    @model_validator(mode="after")
    def _ordered(self) -> TemperatureRule:
        if self.low_celsius >= self.high_celsius:
            raise ValueError("low_celsius must be below high_celsius")
        return self


class DeviceSupervisionRule(_Rule):
    """A radio device the home unit has not heard from for the hours given."""

    hours: WholeNumber = Field(default=24, ge=1, le=14 * 24)


class WellbeingSettings(BaseModel):
    """All of a home's wellbeing and supervision rule settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    inactivity: InactivityRule = InactivityRule()
    late_rise: LateRiseRule = LateRiseRule()
    night: NightWindow = NightWindow()
    night_door: NightDoorRule = NightDoorRule()
    out_of_bed: OutOfBedRule = OutOfBedRule()
    temperature: TemperatureRule = TemperatureRule()
    device_supervision: DeviceSupervisionRule = DeviceSupervisionRule()
