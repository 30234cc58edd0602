"""The end-to-end receipt: the hub names the events it has committed to storage."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, model_validator

from protocol.base import FieldValueError, HomeId, Timestamp, WireModel
from protocol.limits import MAX_ACK_EVENTS


class RaisedAlarm(WireModel):
    """An alarm the hub raised (or joined) from one of the acknowledged events."""

    event_id: UUID
    alarm_id: UUID


class Ack(WireModel):
    """Payload of ``down/acks`` (QoS 1).

    Every id in ``committed`` is durably stored; the home unit may delete those events from its
    outbox. An id may be acknowledged more than once (a redelivered event is acked again).
    """

    home_id: HomeId
    ts: Timestamp
    committed: list[UUID] = Field(min_length=1, max_length=MAX_ACK_EVENTS)
    alarms: list[RaisedAlarm] = Field(default_factory=list, max_length=MAX_ACK_EVENTS)

    @model_validator(mode="after")
    def _alarms_name_committed_events(self) -> Ack:
        committed = set(self.committed)
        for index, alarm in enumerate(self.alarms):
            if alarm.event_id not in committed:
                raise FieldValueError(
                    f"alarms.{index}.event_id", f"{alarm.event_id} is not in committed"
                )
        return self
