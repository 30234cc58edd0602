"""The base of every wire message and the constrained types messages share."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from protocol.limits import MAX_ID_LENGTH, MAX_TEXT_LENGTH
from protocol.topics import SAFE_ID_PATTERN

HomeId = Annotated[
    str,
    Field(
        pattern=SAFE_ID_PATTERN,
        max_length=MAX_ID_LENGTH,
        description="The home's id, also its gateway's MQTT username.",
        examples=["home-0042"],
    ),
]
DeviceId = Annotated[
    str,
    Field(
        pattern=SAFE_ID_PATTERN,
        max_length=MAX_ID_LENGTH,
        description="A device's id, unique within its home.",
        examples=["pendant-1"],
    ),
]
Timestamp = Annotated[
    AwareDatetime,
    Field(description="RFC 3339 date-time with a UTC offset; times without one are refused."),
]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]
Percent = Annotated[int, Field(ge=0, le=100)]


class FieldValueError(ValueError):
    """A cross-field rule broken by one field; the codec reports ``field`` as the culprit.

    Attributes:
        field: dotted path of the offending field, relative to the model that raised.
        message: what is wrong with it.
    """

    def __init__(self, field: str, message: str) -> None:
        """Name the field at fault and say what is wrong with it."""
        super().__init__(message)
        self.field = field
        self.message = message


class WireModel(BaseModel):
    """A message (or part of one) on the wire: strict, closed and immutable.

    Strict means no coercion (a number is never read from a string) and no NaN or infinity;
    closed means an unknown field is an error rather than silently dropped; immutable so a
    decoded message can be passed around without copies.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)
