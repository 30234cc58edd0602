"""The end-to-end receipt: the hub names the events it has committed, and those it refused."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from protocol.base import FieldValueError, HomeId, Timestamp, WireModel
from protocol.limits import MAX_ACK_EVENTS


class RaisedAlarm(WireModel):
    """An alarm the hub raised (or joined) from one of the acknowledged events."""

    event_id: UUID
    alarm_id: UUID


class RefusedEvent(WireModel):
    """An event the hub will never store: the home unit stops sending it and counts it."""

    event_id: UUID
    reason: str = Field(
        pattern=r"^[a-z][a-z_]{0,63}$",
        description="A stable reason code (docs/protocol.md lists them; a unit must accept "
        "codes it does not know).",
        examples=["invalid_message"],
    )
    field: str | None = Field(
        default=None,
        max_length=200,
        description="The first offending field of the event, as a dotted path from the "
        "batch (events.1.kind); null when the batch as a whole was refused.",
    )


class Ack(WireModel):
    """Payload of ``down/acks`` (QoS 1).

    Every id in ``committed`` is durably stored; the home unit may delete those events from its
    outbox. An id may be acknowledged more than once (a redelivered event is acked again).
    Every id in ``refused`` was refused for good (the message it came in is kept in the hub's
    dead letters): the unit deletes it too, without resending, and counts it by reason. The
    other events of a refused batch are in neither list, and the unit sends them again.
    ``refused`` is left out of the JSON when empty, so units made before it read every
    receipt of events stored.
    """

    home_id: HomeId
    ts: Timestamp
    committed: list[UUID] = Field(default_factory=list, max_length=MAX_ACK_EVENTS)
    alarms: list[RaisedAlarm] = Field(default_factory=list, max_length=MAX_ACK_EVENTS)
    refused: list[RefusedEvent] = Field(default_factory=list, max_length=MAX_ACK_EVENTS)

    @model_serializer(mode="wrap")
    def _without_empty_refused(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not data.get("refused"):
            data.pop("refused", None)
        return data

    @model_validator(mode="after")
    def _names_some_event(self) -> Ack:
        if not self.committed and not self.refused:
            raise FieldValueError("committed", "an ack names at least one committed or refused")
        return self

    @model_validator(mode="after")
    def _alarms_name_committed_events(self) -> Ack:
        committed = set(self.committed)
        for index, alarm in enumerate(self.alarms):
            if alarm.event_id not in committed:
                raise FieldValueError(
                    f"alarms.{index}.event_id", f"{alarm.event_id} is not in committed"
                )
        return self
