"""Errors raised when bytes or topics do not satisfy the wire contract."""

from __future__ import annotations

from enum import StrEnum


class RejectReason(StrEnum):
    """Why a message was refused; a small fixed set, so it can label a metric."""

    TOPIC_OUTSIDE_TREE = "topic_outside_tree"
    INVALID_HOME_ID = "invalid_home_id"
    WRONG_DIRECTION = "wrong_direction"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    INVALID_JSON = "invalid_json"
    INVALID_MESSAGE = "invalid_message"
    HOME_MISMATCH = "home_mismatch"
    NOT_ALARM_CLASS = "not_alarm_class"


class ProtocolError(ValueError):
    """A topic or payload that breaks the wire contract.

    Attributes:
        reason: the fixed reason code (for dead-letter rows and metric labels).
        fields: dotted path of every offending field (``events.0.ts``), in the order they
            were found; empty when the message as a whole is at fault.
        field: the first of ``fields``, or None.
        detail: a sentence for people.
    """

    def __init__(self, reason: RejectReason, detail: str, *, fields: tuple[str, ...] = ()) -> None:
        """Build the error from its reason code, a readable detail and the fields at fault."""
        self.reason = reason
        self.fields = fields
        self.field = fields[0] if fields else None
        self.detail = detail
        where = f" (fields: {', '.join(fields)})" if fields else ""
        super().__init__(f"{reason.value}: {detail}{where}")


class TopicError(ProtocolError):
    """A topic outside the v1 tree, or one whose home id is not a safe identifier."""


class PayloadTooLargeError(ProtocolError):
    """A payload over the protocol's byte limit; it is refused before it is parsed."""


class InvalidMessageError(ProtocolError):
    """A payload the codec refused after reading it.

    It is not JSON, does not match its message model, names another home than its topic, or
    came on a channel of the wrong direction.
    """
