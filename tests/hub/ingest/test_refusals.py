"""Which events of a refused message the unit is told are refused for good."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from hub.ingest.refusals import refusal
from hub.storage.dead_letters import DeadLetter
from protocol import Channel, encode, examples, topic

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
IDS = [e.event_id for e in examples.EVENT_BATCH.events]


def letter(
    reason: str, fields: tuple[str, ...] = (), channel: Channel = Channel.EVENTS
) -> DeadLetter:
    """The example batch dead-lettered for ``reason`` with ``fields`` at fault."""
    return DeadLetter(
        NOW, topic(examples.HOME, channel), encode(examples.EVENT_BATCH), reason, fields, "bad"
    )


def test_only_the_events_at_fault_are_refused() -> None:
    """A bad kind in the second event refuses that event; the others are sent again."""
    ack = refusal(letter("invalid_message", ("events.1.kind", "events.1.value")), NOW)
    assert ack is not None
    assert ack.home_id == examples.HOME
    assert ack.committed == []
    assert [(r.event_id, r.reason, r.field) for r in ack.refused] == [
        (IDS[1], "invalid_message", "events.1.kind")
    ]


def test_a_batch_refused_as_a_whole_refuses_every_event() -> None:
    """Another home's id in the payload: none of its events will ever be stored."""
    ack = refusal(letter("home_mismatch", ("home_id",)), NOW)
    assert ack is not None
    assert [(r.event_id, r.field) for r in ack.refused] == [(i, None) for i in IDS]


def test_telemetry_on_the_alarm_channel_is_refused_event_by_event() -> None:
    """Each non-alarm event of a batch on up/alarms is named; the press is not."""
    fields = ("events.0.kind", "events.1.kind")
    ack = refusal(letter("not_alarm_class", fields, Channel.ALARMS), NOW)
    assert ack is not None
    assert [r.event_id for r in ack.refused] == IDS[:2]


def test_what_may_still_be_stored_later_is_not_refused() -> None:
    """An unregistered home may be registered; a hub fault may be fixed: keep resending."""
    assert refusal(letter("unregistered_home", ("home_id",)), NOW) is None
    assert refusal(letter("internal_error"), NOW) is None


def test_nothing_is_refused_without_readable_event_ids() -> None:
    """Not JSON, not a batch, ids that are not UUIDs, or not an events channel."""
    where = topic(examples.HOME, Channel.EVENTS)
    bad_ids = json.dumps({"events": [{"event_id": "nope"}, "x", 3]}).encode()
    for payload in (b"{not json", b"[]", b'{"events": 3}', bad_ids):
        assert refusal(DeadLetter(NOW, where, payload, "invalid_json", (), ""), NOW) is None
    status = DeadLetter(NOW, topic(examples.HOME, Channel.STATUS), b"{}", "invalid_message", (), "")
    assert refusal(status, NOW) is None
    outside = DeadLetter(
        NOW, "elsewhere/x", encode(examples.EVENT_BATCH), "topic_outside_tree", (), ""
    )
    assert refusal(outside, NOW) is None


def test_an_ack_without_refusals_is_what_older_units_read() -> None:
    """Receipts of stored events carry no ``refused`` key; a refusal-only ack decodes."""
    assert b"refused" not in encode(examples.ACK)
    ack = refusal(letter("storage_refused"), NOW)
    assert ack is not None
    assert b'"refused"' in encode(ack)
    assert uuid.UUID(str(ack.refused[0].event_id)) == IDS[0]
