"""The one place where wire messages become bytes and bytes become messages.

Every process (hub, home unit, simulator, benchmarks) encodes and decodes through here, so the
limits and the strictness are the same everywhere. JSON is parsed and validated in one pass by
pydantic-core (measured against orjson in ``bench/codec.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from pydantic import BaseModel, TypeAdapter, ValidationError

from protocol.acks import Ack
from protocol.base import FieldValueError
from protocol.call import (
    CallAnswer,
    CallOffer,
    CallSignalFromHome,
    CallSignalToHome,
    Hangup,
    IceCandidate,
)
from protocol.commands import Command, ConfigCommand, LocateCommand, SelfTestCommand
from protocol.errors import (
    InvalidMessageError,
    PayloadTooLargeError,
    RejectReason,
)
from protocol.events import ALARM_CLASS_KINDS, EventBatch, EventKind
from protocol.limits import MAX_PAYLOAD_BYTES
from protocol.presence import Heartbeat, Status
from protocol.topics import Channel, Direction, HomeTopic, parse_topic

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

Message: TypeAlias = (
    EventBatch
    | Heartbeat
    | Status
    | Ack
    | CallOffer
    | CallAnswer
    | IceCandidate
    | Hangup
    | ConfigCommand
    | SelfTestCommand
    | LocateCommand
)
"""Any payload of any channel."""

CHANNEL_PAYLOADS: Final[dict[Channel, Any]] = {
    Channel.ALARMS: EventBatch,
    Channel.EVENTS: EventBatch,
    Channel.HEARTBEAT: Heartbeat,
    Channel.STATUS: Status,
    Channel.CALL_UP: CallSignalFromHome,
    Channel.ACKS: Ack,
    Channel.CALL_DOWN: CallSignalToHome,
    Channel.COMMANDS: Command,
}
"""The payload type of each channel (a model, or a union of models told apart by a tag)."""

_ADAPTERS: Final[dict[Channel, TypeAdapter[Message]]] = {
    channel: TypeAdapter(payload) for channel, payload in CHANNEL_PAYLOADS.items()
}

# Tags of the tagged unions: pydantic puts the chosen tag into an error's location
# (events.0.panic_button.ts); people and dead-letter rows want events.0.ts.
_UNION_TAGS: Final = frozenset(
    {"offer", "answer", "ice_candidate", "hangup", "config", "test", "locate"}
    | {kind.value for kind in EventKind}
)


@dataclass(frozen=True, slots=True)
class Received:
    """A decoded message with the topic it came on."""

    topic: HomeTopic
    message: Message


def encode(message: BaseModel) -> bytes:
    """Serialise a wire message to JSON bytes.

    The message is not validated again: build it with its constructor or ``model_validate``
    (``model_copy(update=...)`` skips validation and can make bytes that :func:`decode`
    refuses).

    Raises:
        PayloadTooLargeError: the encoded message is over the protocol's payload limit (a
            sender learns this before publishing, not from a dead-letter row).
    """
    payload = message.__pydantic_serializer__.to_json(message)
    _check_size(payload)
    return payload


def decode(channel: Channel, payload: bytes | bytearray | str) -> Message:
    """Parse and validate the payload of ``channel``.

    Raises:
        PayloadTooLargeError: over the payload limit; not parsed at all.
        InvalidMessageError: not JSON, or not the channel's message (``fields`` names each
            offending field).
    """
    if isinstance(payload, str):
        try:
            payload = payload.encode()
        except UnicodeEncodeError as err:
            raise InvalidMessageError(RejectReason.INVALID_JSON, f"not UTF-8 text: {err}") from err
    _check_size(payload)
    try:
        message = _ADAPTERS[channel].validate_json(payload)
    except ValidationError as err:
        raise _invalid(err) from err
    if channel is Channel.ALARMS:
        _check_alarm_class(message)
    return message


def decode_topic(
    topic: str, payload: bytes | bytearray | str, *, direction: Direction | None = None
) -> Received:
    """Parse a topic and its payload, and check that both name the same home.

    Args:
        topic: the MQTT topic the payload arrived on.
        payload: the raw payload.
        direction: when given, a topic of the other direction is refused (the hub accepts
            only ``up``, a home unit only ``down``).

    Raises:
        TopicError: the topic is outside the v1 tree.
        ProtocolError: wrong direction, or the payload's ``home_id`` is not the topic's.
        PayloadTooLargeError, InvalidMessageError: as for :func:`decode`.
    """
    home_topic = parse_topic(topic)
    if direction is not None and home_topic.channel.direction is not direction:
        raise InvalidMessageError(
            RejectReason.WRONG_DIRECTION,
            f"{home_topic.channel.value} is not a {direction.value} channel",
        )
    message = decode(home_topic.channel, payload)
    if message.home_id != home_topic.home_id:
        raise InvalidMessageError(
            RejectReason.HOME_MISMATCH,
            f"payload home_id {message.home_id!r} differs from the topic's {home_topic.home_id!r}",
            fields=("home_id",),
        )
    return Received(topic=home_topic, message=message)


def _check_alarm_class(message: Message) -> None:
    # The alarm channel is read ahead of everything else: telemetry there would jump the
    # queue it exists to keep clear.
    assert isinstance(message, EventBatch)  # noqa: S101 - the channel's payload type
    wrong = tuple(
        f"events.{n}.kind"
        for n, event in enumerate(message.events)
        if not event.kind.is_alarm_class
    )
    if wrong:
        raise InvalidMessageError(
            RejectReason.NOT_ALARM_CLASS,
            f"{Channel.ALARMS.value} takes only alarm-class events "
            f"({', '.join(sorted(k.value for k in ALARM_CLASS_KINDS))}); send the rest on "
            f"{Channel.EVENTS.value}",
            fields=wrong,
        )


def channel_for(batch: EventBatch) -> Channel:
    """The channel a home unit sends ``batch`` on.

    ``up/alarms`` when every event in it is alarm-class, else ``up/events`` (which also takes
    alarm-class events, as units before the alarm channel send them).
    """
    if all(event.kind.is_alarm_class for event in batch.events):
        return Channel.ALARMS
    return Channel.EVENTS


def _check_size(payload: bytes | bytearray) -> None:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            RejectReason.PAYLOAD_TOO_LARGE,
            f"{len(payload)} bytes is over the limit of {MAX_PAYLOAD_BYTES}",
        )


def _invalid(err: ValidationError) -> InvalidMessageError:
    errors = err.errors(include_url=False, include_input=False)
    if any(error["type"] == "json_invalid" for error in errors):
        return InvalidMessageError(RejectReason.INVALID_JSON, errors[0]["msg"])
    described = [_describe(error) for error in errors]
    detail = "; ".join(f"{field or '(message)'}: {text}" for field, text in described)
    return InvalidMessageError(
        RejectReason.INVALID_MESSAGE, detail, fields=tuple(field for field, _ in described if field)
    )


def _describe(error: ErrorDetails) -> tuple[str, str]:
    """Say which field an error is about, and what is wrong with it, in plain words."""
    parts = _without_union_tags(error["loc"])
    ctx = error.get("ctx") or {}
    text = error["msg"]
    cause = ctx.get("error")
    if isinstance(cause, FieldValueError):
        parts.append(cause.field)
        text = cause.message
    elif isinstance(cause, ValueError):
        text = str(cause)
    elif error["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        tag = str(ctx["discriminator"]).strip("'")
        parts.append(tag)
        text = (
            f"unknown {tag} {ctx['tag']!r}"
            if error["type"] == "union_tag_invalid"
            else f"{tag} is required"
        )
    return ".".join(parts), text


def _without_union_tags(loc: tuple[int | str, ...]) -> list[str]:
    """Drop the tag pydantic inserts after a tagged union's position.

    A union is either the whole payload (call signals, commands: the tag comes first) or an
    item of a list (events: the tag follows the index). A field that merely shares a tag's
    name (an unknown key ``motion``) stays.
    """
    parts: list[str] = []
    for index, part in enumerate(loc):
        at_union = index == 0 or isinstance(loc[index - 1], int)
        if at_union and isinstance(part, str) and part in _UNION_TAGS:
            continue
        parts.append(str(part))
    return parts
