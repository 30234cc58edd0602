r"""Field types for what the API takes in: the rule checked is the rule its document shows.

Every string, date and time of day in a request body is one of these types, so that a client
(or a fuzzer) generating what the OpenAPI document allows is accepted, and what it does not
allow is a 422 naming the field, never a 500 from the database:

- **Text** (:data:`Text`, :data:`OptionalText`) never holds NUL (U+0000): PostgreSQL's text
  and jsonb cannot store it. It is taken exactly as sent: nothing is stripped, so
  ``minLength`` and ``maxLength`` count the characters sent, and text that starts or ends
  with whitespace is refused (not silently trimmed). Whitespace is :data:`WHITESPACE`: what
  JavaScript's ``trim()``, Python's ``str.strip()`` and Unicode's White_Space property take
  off, together. Both rules are the document's ``pattern`` (:data:`TEXT_PATTERN`), and that
  pattern is what pydantic checks; the before-validator only words the common cases better.
- **Secrets** (:data:`RawText`, the password) only refuse NUL: spaces at either end belong
  to the password.
- **Times of day** (:data:`LocalTime`) are wall-clock times in the home's own time zone:
  ``HH:MM`` or ``HH:MM:SS`` (24 h, no fraction of a second) and never a UTC offset, which
  would mean nothing for a deadline that follows the home's clock (a ``time`` column drops
  it, and one past PostgreSQL's ±15:59 was a 500). Answered as ``HH:MM:SS``; the document
  says ``type: string`` with :data:`TIME_PATTERN`, not ``format: time`` (RFC 3339's
  full-time, which needs an offset).
- **Dates** (:data:`Day`) are ``YYYY-MM-DD`` strings only (pydantic alone would take the
  string ``"0"`` as 1970-01-01).

The patterns are written to mean the same in ECMA-262 (what JSON Schema names), in Rust's
``regex`` (what pydantic runs) and in Python's ``re``: ``[0-9]``, not ``\d``, and escapes
as ``\xHH`` or ``\uHHHH``. One difference remains: in Python's ``re.search`` a final ``$``
also matches before a trailing newline; JSON Schema's and pydantic's do not.

:func:`refuse_nul` and :func:`checked_text` apply the same rules to path and query
parameters, raising :class:`ValueError` with the message a 422 gives.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from collections.abc import Callable

WHITESPACE = r"\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
"""Characters refused at either end of text, as the body of a regex character class."""

TEXT_PATTERN = rf"^(?:[^\x00{WHITESPACE}](?:[^\x00]*[^\x00{WHITESPACE}])?)?$"
"""Text without NUL that neither starts nor ends with whitespace (or the empty string)."""

RAW_TEXT_PATTERN = r"^[^\x00]*$"
"""Text without NUL, whitespace allowed anywhere."""

TIME_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$"
"""A local time of day: ``HH:MM`` or ``HH:MM:SS``, without fractions or a UTC offset."""

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
"""A calendar date, ``YYYY-MM-DD``."""

NUL_MESSAGE = "must not contain the NUL character (U+0000)"
ENDS_MESSAGE = "must not start or end with whitespace (it is not trimmed)"
TIME_MESSAGE = (
    "must be a local time of day, HH:MM or HH:MM:SS, without a UTC offset"
    " (the home's time zone applies)"
)
DATE_MESSAGE = "must be a date as YYYY-MM-DD"

_AT_ENDS = re.compile(rf"[{WHITESPACE}]")
_TIME = re.compile(TIME_PATTERN.removeprefix("^").removesuffix("$"))
_DATE = re.compile(DATE_PATTERN.removeprefix("^").removesuffix("$"))


def refuse_nul(value: str) -> str:
    """``value`` if it holds no NUL character (for path and query parameters too).

    Raises:
        ValueError: it does, with the message a body's field gets.
    """
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


def checked_text(value: str) -> str:
    """``value`` if it is :data:`Text`: no NUL, no whitespace at either end.

    Raises:
        ValueError: it is not, with the message a body's field gets.
    """
    refuse_nul(value)
    if value and (_AT_ENDS.match(value[0]) or _AT_ENDS.match(value[-1])):
        raise ValueError(ENDS_MESSAGE)
    return value


def _worded(check: Callable[[str], str]) -> Callable[[object], object]:
    """A before-validator giving ``check``'s message for a string that breaks its rule.

    Anything else goes on to the pattern (which also refuses what the message names).
    """

    def validate(value: object) -> object:
        if isinstance(value, str):
            try:
                check(value)
            except ValueError as err:
                raise PydanticCustomError("text", str(err)) from None
        return value

    return validate


WORDED_TEXT = BeforeValidator(_worded(checked_text))
"""What :data:`Text` words its errors with, for a text type with its lengths inside.

A list's items cannot take ``Field(max_length=…)`` on :data:`Text` (the error would say
"items", and the document would lose the limit): they are
``Annotated[Annotated[str, StringConstraints(pattern=TEXT_PATTERN, max_length=…)],
WORDED_TEXT]``.
"""

Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN), WORDED_TEXT]
"""Text as sent: no NUL, no whitespace at either end; lengths go in ``Field``."""

OptionalText = Annotated[
    Annotated[str, StringConstraints(pattern=TEXT_PATTERN)] | None,
    BeforeValidator(_worded(checked_text)),
]
""":data:`Text` or null. (``Text | None`` with ``Field(max_length=…)`` would word a long
text's error as "items": the length must reach the string inside.)"""

RawText = Annotated[
    str, StringConstraints(pattern=RAW_TEXT_PATTERN), BeforeValidator(_worded(refuse_nul))
]
"""Text taken whole, with its spaces (a password): only NUL is refused."""


def _local_time(value: object) -> time:
    if isinstance(value, time):  # from Python: the database or code
        if value.tzinfo is not None:
            raise PydanticCustomError("local_time", TIME_MESSAGE)
        return value
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise PydanticCustomError("local_time", TIME_MESSAGE)
    return time.fromisoformat(value)


LocalTime = Annotated[
    time,
    PlainValidator(_local_time),
    PlainSerializer(lambda value: value.strftime("%H:%M:%S"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": TIME_PATTERN, "examples": ["10:00", "22:30:00"]}),
]
"""A wall-clock time of day in the home's time zone; answered as ``HH:MM:SS``."""


def _day(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):  # from Python
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise PydanticCustomError("day", DATE_MESSAGE)
    try:
        return date.fromisoformat(value)
    except ValueError as err:  # well formed but impossible, like February 30th
        raise PydanticCustomError("day", f"is not a real date: {err}") from None


Day = Annotated[
    date,
    PlainValidator(_day),
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
"""A calendar date, ``YYYY-MM-DD``; answered the same way."""


def _whole(value: object) -> object:
    """A float with no fraction, as a whole number: JSON Schema counts 2.0 as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


AS_WHOLE = BeforeValidator(_whole)
"""What :data:`WholeNumber` reads ``2.0`` with, for an integer type with bounds inside it
(an optional one: ``Annotated[Annotated[int, Field(ge=…)] | None, AS_WHOLE]``, or the
bounds would not reach the integer and the document would show them as unknown keywords)."""

WholeNumber = Annotated[int, AS_WHOLE]
"""A strict integer that also takes ``2.0`` (never ``"2"``, ``true`` or ``2.5``)."""

Weekday = Annotated[Annotated[int, Field(ge=1, le=7)], AS_WHOLE]
"""An ISO weekday, 1 Monday to 7 Sunday. (Its bounds inside, or the schema loses them.)"""
