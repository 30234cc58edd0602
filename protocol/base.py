"""The base of every wire message and the constrained types messages share."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

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
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""Earliest time accepted: a unit whose clock was reset still gets its events through."""
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Latest time accepted; beyond it a time is a corrupt value, not a clock error."""

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


def _rfc3339_text(value: object) -> object:
    """Read date-time text only when it is RFC 3339 with seconds and an offset.

    pydantic alone would also take unix times in strings, spaces for ``T`` and ``+0100``.
    """
    if not isinstance(value, str):
        return value
    if not _RFC3339.fullmatch(value):
        msg = "must be an RFC 3339 date-time with a UTC offset, like 2026-03-14T09:26:53Z"
        raise ValueError(msg)
    try:
        return datetime.fromisoformat(value)
    except ValueError as err:  # well formed but impossible, like February 30th
        raise ValueError(f"is not a real date-time: {err}") from err


def _plausible(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        msg = f"must be from {EARLIEST:%Y} to {LATEST:%Y}"
        raise ValueError(msg)
    return value


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_text),
    Field(description="RFC 3339 date-time with a UTC offset; times without one are refused."),
]
"""Any moment written in RFC 3339 with its offset: a bound of a range asked for, say."""

Timestamp = Annotated[
    Instant,
    AfterValidator(_plausible),
    Field(description="RFC 3339 date-time with a UTC offset; times without one are refused."),
]

PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Text without NUL or other control characters (tab, CR and LF are allowed)."""

Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH, pattern=PRINTABLE)]
Percent = Annotated[int, Field(ge=0, le=100)]
Counter = Annotated[int, Field(ge=0, le=2**53 - 1)]
"""A count or sequence number: never negative, and exact in JavaScript and in bigint."""


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
