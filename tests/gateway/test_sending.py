"""What the home unit sends when: order, alarms first, resend with backoff, window, batches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gateway.outbox import Draft, Outbox, Pending
from gateway.sending import SendPlan
from protocol import MAX_BATCH_EVENTS, Channel, EventBatch, EventKind, channel_for

if TYPE_CHECKING:
    from pathlib import Path

TS = datetime(2026, 11, 24, 10, tzinfo=UTC)


def fill(tmp_path: Path, drafts: list[Draft]) -> list[Pending]:
    """The pending events of an outbox holding ``drafts``."""
    outbox = Outbox(tmp_path / "o.sqlite3", "home-1")
    for draft in drafts:
        outbox.add(draft)
    return outbox.pending()


def reading(device: str, kind: EventKind = EventKind.MOTION) -> Draft:
    """A reading of ``device``; a panic press when ``kind`` says so."""
    value = {"active": True} if kind == EventKind.PANIC_BUTTON else {"detected": True}
    return Draft(device, kind, value, TS)


def seqs(batches: list[EventBatch]) -> list[int]:
    """Sequence numbers in the order the batches carry them."""
    return [e.seq for batch in batches for e in batch.events]


def test_alarms_go_first_on_their_channel_then_their_devices(tmp_path: Path) -> None:
    """A panic press jumps the backlog in a batch of its own for ``up/alarms``.

    Its device's earlier events come next, ahead of the other devices', each in order.
    """
    pending = fill(
        tmp_path,
        [
            reading("pir-1"),
            reading("pendant"),
            reading("pir-2"),
            reading("pendant", EventKind.PANIC_BUTTON),
            reading("pir-1"),
        ],
    )
    batches = SendPlan("home-1").due(pending, now=0.0)
    assert seqs(batches) == [4, 2, 1, 3, 5]
    assert [channel_for(b) for b in batches] == [Channel.ALARMS, Channel.EVENTS]


def test_unacknowledged_events_are_sent_again_with_backoff(tmp_path: Path) -> None:
    """No ack: again after the timeout, then after twice that; an ack stops it."""
    pending = fill(tmp_path, [reading("pir-1"), reading("pir-2")])
    plan = SendPlan("home-1", ack_timeout_s=10, max_backoff_s=15)
    assert seqs(plan.due(pending, now=0)) == [1, 2]
    assert plan.due(pending, now=9.9) == []
    plan.acknowledged([pending[0].event.event_id])
    assert seqs(plan.due(pending[1:], now=10)) == [2]
    assert plan.next_resend() == 25  # 10 + min(20, 15)
    assert plan.due(pending[1:], now=24) == []
    assert seqs(plan.due(pending[1:], now=25)) == [2]
    plan.reconnected()
    assert seqs(plan.due(pending[1:], now=26)) == [2]


def test_the_window_and_the_batch_size_are_respected(tmp_path: Path) -> None:
    """At most ``window`` events in flight, in batches of at most 200."""
    pending = fill(tmp_path, [reading(f"pir-{n % 5}") for n in range(450)])
    plan = SendPlan("home-1", window=300)
    batches = plan.due(pending, now=0)
    assert [len(b.events) for b in batches] == [MAX_BATCH_EVENTS, 100]
    assert plan.in_flight == 300
    assert plan.due(pending, now=1) == []
    plan.acknowledged(e.event_id for b in batches for e in b.events)
    assert seqs(plan.due(pending[300:], now=2)) == list(range(301, 451))
