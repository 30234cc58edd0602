"""Wire messages: examples round-trip, and every rejection names the field at fault."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from protocol import (
    MAX_BATCH_EVENTS,
    MAX_PAYLOAD_BYTES,
    Channel,
    Direction,
    EventBatch,
    EventKind,
    InvalidMessageError,
    PayloadTooLargeError,
    ProtocolError,
    RejectReason,
    TopicError,
    Trigger,
    TriggerEvent,
    channel_for,
    decode,
    decode_topic,
    encode,
    examples,
    topic,
)

HOME = examples.HOME
EVENTS_TOPIC = topic(HOME, Channel.EVENTS)

EXAMPLES: dict[Channel, list[Any]] = {
    Channel.ALARMS: [examples.ALARM_BATCH],
    Channel.EVENTS: [examples.EVENT_BATCH],
    Channel.HEARTBEAT: [examples.HEARTBEAT],
    Channel.STATUS: [examples.STATUS],
    Channel.CALL_UP: [examples.CALL_ANSWER, examples.ICE_CANDIDATE, examples.HANGUP],
    Channel.ACKS: [examples.ACK],
    Channel.CALL_DOWN: [examples.CALL_OFFER, examples.ICE_CANDIDATE, examples.HANGUP],
    Channel.COMMANDS: [
        examples.CONFIG_COMMAND,
        examples.SELF_TEST_COMMAND,
        examples.LOCATE_COMMAND,
    ],
}


def batch_dict() -> dict[str, Any]:
    """The example event batch as a JSON object, to be broken by a test."""
    batch: dict[str, Any] = json.loads(encode(examples.EVENT_BATCH))
    return batch


def refused(payload: dict[str, Any] | bytes, on: str = EVENTS_TOPIC) -> ProtocolError:
    """Decode ``payload`` on topic ``on`` and return the error it must raise."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with pytest.raises(ProtocolError) as caught:
        decode_topic(on, raw)
    return caught.value


@pytest.mark.parametrize(
    ("channel", "message"),
    [(channel, message) for channel, messages in EXAMPLES.items() for message in messages],
)
def test_every_example_message_round_trips(channel: Channel, message: Any) -> None:
    """What one process encodes, every other decodes to an equal message."""
    received = decode_topic(topic(HOME, channel), encode(message))
    assert received.message == message
    assert received.topic.home_id == HOME


def test_every_event_kind_has_a_shape() -> None:
    """The kinds the issue lists (and the extras) all exist and decode with their value."""
    required = {
        "panic_button",
        "pull_cord",
        "fall",
        "smoke",
        "co",
        "flood",
        "motion",
        "door",
        "bed",
        "chair",
        "temperature",
        "battery_low",
        "tamper",
        "mains_power",
        "cancel",
    }
    assert required <= {kind.value for kind in EventKind}
    values: dict[str, dict[str, Any]] = {
        "motion": {"detected": True},
        "door": {"open": True},
        "bed": {"occupied": False},
        "chair": {"occupied": True},
        "temperature": {"celsius": 19.5},
        "battery_low": {"low": True, "percent": 9},
        "mains_power": {"on": False},
        "cancel": {"cancels": str(examples.PRESS)},
        "check_in": {},
        "command_result": {"command_id": str(examples.COMMAND), "outcome": "ok"},
    }
    for kind in EventKind:
        payload = batch_dict()
        payload["events"] = [payload["events"][2] | {"kind": kind.value}]
        payload["events"][0]["value"] = values.get(kind.value, {"active": True})
        message = decode_topic(EVENTS_TOPIC, json.dumps(payload)).message
        assert isinstance(message, EventBatch)
        assert message.events[0].kind is kind


def test_alarm_class_kinds() -> None:
    """Alarm-raising kinds (and cancel) are alarm class; telemetry is not."""
    assert EventKind.PANIC_BUTTON.is_alarm_class
    assert EventKind.CANCEL.is_alarm_class
    assert not EventKind.MOTION.is_alarm_class
    assert not EventKind.TAMPER.is_alarm_class


def test_the_alarm_channel_takes_alarm_class_events_only() -> None:
    """Telemetry on ``up/alarms`` is refused whole, naming each event that is not an alarm.

    Alarms are still taken on ``up/events``, as older units send them.
    """
    error = refused(batch_dict(), on=topic(HOME, Channel.ALARMS))
    assert error.reason is RejectReason.NOT_ALARM_CLASS
    assert error.fields == ("events.0.kind", "events.1.kind")
    assert decode_topic(EVENTS_TOPIC, encode(examples.ALARM_BATCH)).message == (
        examples.ALARM_BATCH
    )


def test_a_unit_sends_a_batch_of_alarms_only_on_the_alarm_channel() -> None:
    """Alarms alone go on ``up/alarms``; a batch with any telemetry on ``up/events``."""
    assert channel_for(examples.ALARM_BATCH) is Channel.ALARMS
    assert channel_for(examples.EVENT_BATCH) is Channel.EVENTS


def test_naive_timestamp_is_refused() -> None:
    """A device time without a UTC offset is refused, naming the event's ts."""
    payload = batch_dict()
    payload["events"][1]["ts"] = "2026-03-14T09:26:47"
    error = refused(payload)
    assert error.reason is RejectReason.INVALID_MESSAGE
    assert error.field == "events.1.ts"
    assert "UTC offset" in error.detail


@pytest.mark.parametrize(
    "text",
    [
        "1700000000",
        "2026-03-14 09:26:53Z",
        "2026-03-14T09:26:53+0100",
        "2026-03-14T09:26Z",
        "2026-03-14t09:26:53z",
        "2026-03-14T09:26:53.1234567Z",
        "2026-02-30T09:26:53Z",
        "9999-12-31T23:59:59-23:59",
        "1969-12-31T23:59:59Z",
    ],
)
def test_times_must_be_plausible_rfc3339(text: str) -> None:
    """Unix times in strings, other layouts, impossible dates and absurd years are refused."""
    payload = batch_dict()
    payload["events"][0]["ts"] = text
    assert refused(payload).field == "events.0.ts"


def test_offsets_other_than_utc_are_kept() -> None:
    """A time with a local offset is accepted and means the same instant."""
    payload = batch_dict()
    payload["events"][0]["ts"] = "2026-03-14T10:26:40.5+01:00"
    message = decode_topic(EVENTS_TOPIC, json.dumps(payload)).message
    assert isinstance(message, EventBatch)
    assert message.events[0].ts == datetime(2026, 3, 14, 9, 26, 40, 500000, tzinfo=UTC)


@pytest.mark.parametrize("where", ["location", "device_id"])
def test_control_characters_are_refused(where: str) -> None:
    """A NUL (which PostgreSQL cannot store) or other control character is refused."""
    payload = batch_dict()
    payload["events"][0][where] = "hall\u0000"
    assert refused(payload).field == f"events.0.{where}"


def test_counters_stay_within_exact_integers() -> None:
    """A sequence number beyond 2**53 - 1 (inexact in JavaScript) is refused."""
    payload = batch_dict()
    payload["events"][0]["seq"] = 2**53
    assert refused(payload).field == "events.0.seq"


def test_an_unknown_field_named_like_a_kind_is_named() -> None:
    """An unknown key called 'motion' is reported where it is, not swallowed as a tag."""
    payload = batch_dict()
    payload["events"][0]["motion"] = True
    assert refused(payload).field == "events.0.motion"


def test_a_payload_that_is_not_an_object_names_no_field() -> None:
    """A JSON list where an object belongs is refused as a whole."""
    error = refused(b"[]")
    assert error.reason is RejectReason.INVALID_MESSAGE
    assert error.fields == ()


def test_text_that_is_not_utf8_is_invalid_json() -> None:
    """A str payload with a lone surrogate is refused, not a crash."""
    with pytest.raises(InvalidMessageError) as caught:
        decode(Channel.STATUS, "\ud800")
    assert caught.value.reason is RejectReason.INVALID_JSON


def test_unknown_kind_is_refused() -> None:
    """An event kind outside the enumeration is refused, naming kind."""
    payload = batch_dict()
    payload["events"][0]["kind"] = "earthquake"
    error = refused(payload)
    assert error.field == "events.0.kind"
    assert "earthquake" in error.detail


def test_missing_kind_is_refused() -> None:
    """An event without a kind is refused, naming kind."""
    payload = batch_dict()
    del payload["events"][0]["kind"]
    assert refused(payload).field == "events.0.kind"


def test_value_of_another_kind_is_refused() -> None:
    """A door event carrying a trigger value is refused, naming the value's field."""
    payload = batch_dict()
    payload["events"][1]["value"] = {"active": True}
    error = refused(payload)
    assert "events.1.value.open" in error.fields
    assert "events.1.value.active" in error.fields


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (lambda p: p, "surprise"),
        (lambda p: p["events"][0], "events.0.surprise"),
        (lambda p: p["events"][0]["value"], "events.0.value.surprise"),
    ],
)
def test_unknown_field_is_refused(where: Any, path: str) -> None:
    """An unknown field anywhere is refused (not dropped), naming where it was."""
    payload = batch_dict()
    where(payload)["surprise"] = 1
    assert refused(payload).field == path


def test_malformed_uuid_is_refused() -> None:
    """An event id that is not a UUID is refused, naming event_id."""
    payload = batch_dict()
    payload["events"][2]["event_id"] = "not-a-uuid"
    assert refused(payload).field == "events.2.event_id"


def test_numbers_in_strings_are_not_coerced() -> None:
    """Strictness: "42" is not a sequence number and "true" is not a boolean."""
    payload = batch_dict()
    payload["events"][0]["seq"] = "42"
    payload["events"][2]["value"]["active"] = "true"
    assert refused(payload).fields == ("events.0.seq", "events.2.value.active")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_not_a_number_is_refused(number: str) -> None:
    """A temperature of NaN or infinity is refused, naming the reading."""
    payload = batch_dict()
    payload["events"] = [payload["events"][0] | {"kind": "temperature", "value": {"celsius": 0}}]
    raw = json.dumps(payload).replace('"celsius": 0', f'"celsius": {number}').encode()
    error = refused(raw)
    assert error.field == "events.0.value.celsius"
    assert "finite" in error.detail


def test_payload_home_differing_from_topic_is_refused() -> None:
    """A batch for one home published on another home's topic is refused, naming home_id."""
    payload = batch_dict()
    error = refused(payload, on=topic("home-other", Channel.EVENTS))
    assert error.reason is RejectReason.HOME_MISMATCH
    assert error.field == "home_id"


def test_event_of_another_home_in_a_batch_is_refused() -> None:
    """Every event of a batch belongs to the batch's home."""
    payload = batch_dict()
    payload["events"][1]["home_id"] = "home-other"
    error = refused(payload)
    assert error.field == "events.1.home_id"


def test_duplicate_event_id_in_a_batch_is_refused() -> None:
    """The same event id twice in one batch is refused, naming the second one."""
    payload = batch_dict()
    payload["events"][2]["event_id"] = payload["events"][0]["event_id"]
    assert refused(payload).field == "events.2.event_id"


def test_oversized_payload_is_refused_before_parsing() -> None:
    """A payload over 64 KiB is refused as too large, whatever it holds."""
    raw = b"{" + b" " * MAX_PAYLOAD_BYTES + b"}"
    error = refused(raw)
    assert isinstance(error, PayloadTooLargeError)
    assert error.reason is RejectReason.PAYLOAD_TOO_LARGE


def test_encoding_an_oversized_message_fails_before_sending() -> None:
    """A sender learns a message is too large when encoding it, not from a dead letter."""
    event = examples.EVENT_BATCH.events[2]
    long_home = "h" * 64
    big = EventBatch(
        home_id=long_home,
        events=[
            event.model_copy(
                update={
                    "event_id": uuid.uuid4(),
                    "home_id": long_home,
                    "device_id": "d" * 64,
                    "location": "x" * 64,
                }
            )
            for _ in range(MAX_BATCH_EVENTS)
        ],
    )
    with pytest.raises(PayloadTooLargeError):
        encode(big)


def test_oversized_batch_is_refused() -> None:
    """More than the batch limit of events is refused, naming events."""
    event = batch_dict()["events"][2]
    payload = {
        "home_id": HOME,
        "events": [event | {"event_id": str(uuid.uuid4())} for _ in range(MAX_BATCH_EVENTS + 1)],
    }
    error = refused(payload)
    assert error.field == "events"
    assert str(MAX_BATCH_EVENTS) in error.detail


def test_empty_batch_is_refused() -> None:
    """A batch must hold at least one event."""
    assert refused({"home_id": HOME, "events": []}).field == "events"


def test_invalid_json_is_refused() -> None:
    """Bytes that are not JSON are refused as invalid JSON."""
    error = refused(b'{"home_id": ')
    assert error.reason is RejectReason.INVALID_JSON
    assert isinstance(error, InvalidMessageError)


def test_topic_outside_tree_is_refused_with_the_payload() -> None:
    """decode_topic refuses a topic outside the tree before looking at the payload."""
    with pytest.raises(TopicError) as caught:
        decode_topic("telecare/v1/homes/h1/up/nope", encode(examples.EVENT_BATCH))
    assert caught.value.reason is RejectReason.TOPIC_OUTSIDE_TREE


def test_direction_is_enforced_when_asked() -> None:
    """The hub accepts only up channels; an ack published up is refused."""
    with pytest.raises(InvalidMessageError) as caught:
        decode_topic(topic(HOME, Channel.ACKS), encode(examples.ACK), direction=Direction.UP)
    assert caught.value.reason is RejectReason.WRONG_DIRECTION


def test_a_home_cannot_send_an_offer_nor_receive_an_answer() -> None:
    """Offers only go down, answers only come up."""
    assert refused(encode(examples.CALL_OFFER), on=topic(HOME, Channel.CALL_UP)).field == "type"
    assert refused(encode(examples.CALL_ANSWER), on=topic(HOME, Channel.CALL_DOWN)).field == "type"


def test_ack_alarms_must_name_committed_events() -> None:
    """An ack may name an alarm only for an event it also acknowledges."""
    payload = json.loads(encode(examples.ACK))
    payload["committed"] = payload["committed"][:2]
    assert refused(payload, on=topic(HOME, Channel.ACKS)).field == "alarms.0.event_id"


@pytest.mark.parametrize("settings", [{}, {"heartbeat_interval_s": None}])
def test_empty_config_push_is_refused(settings: dict[str, Any]) -> None:
    """A config command must change at least one setting; null changes nothing."""
    payload = json.loads(encode(examples.CONFIG_COMMAND))
    payload["settings"] = settings
    assert refused(payload, on=topic(HOME, Channel.COMMANDS)).field == "settings"


def test_config_push_carries_only_what_changes() -> None:
    """Settings left out are not sent as null, so the unit keeps its current values."""
    payload = json.loads(encode(examples.CONFIG_COMMAND))
    assert payload["settings"] == {"heartbeat_interval_s": 60, "cancel_window_s": 30}


def test_heartbeat_bounds() -> None:
    """Percentages above 100 and negative outbox depths are refused by field."""
    payload = json.loads(encode(examples.HEARTBEAT))
    payload["battery_percent"] = 140
    payload["outbox_depth"] = -1
    error = refused(payload, on=topic(HOME, Channel.HEARTBEAT))
    assert error.fields == ("battery_percent", "outbox_depth")


def test_decode_takes_text_and_bytes() -> None:
    """Payloads may arrive as str or bytes."""
    text = encode(examples.STATUS).decode()
    assert decode(Channel.STATUS, text) == decode(Channel.STATUS, text.encode())


def test_models_are_immutable() -> None:
    """A decoded message cannot be changed behind another component's back."""
    event = TriggerEvent(
        event_id=uuid.uuid4(),
        home_id=HOME,
        device_id="pendant-1",
        ts=datetime.now(UTC),
        seq=0,
        kind=EventKind.FALL,
        value=Trigger(active=True),
    )
    with pytest.raises(ValueError, match="frozen"):
        event.seq = 1  # type: ignore[misc]
