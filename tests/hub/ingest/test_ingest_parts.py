"""The pure parts of ingest: lanes (batching, backpressure, closing) and receipts."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from hub.ingest.lanes import Lane, LanesClosedError
from hub.ingest.receipts import receipts
from protocol import MAX_ACK_EVENTS


@dataclass(frozen=True)
class Item:
    """Something holding ``size`` events."""

    name: str
    size: int = 1


async def test_take_returns_at_the_event_limit() -> None:
    """A writer takes up to max_events at once, without waiting for the time limit."""
    lane: Lane[Item] = Lane(None)
    for n in range(5):
        await lane.put(Item(f"i{n}", size=2))
    taken = await lane.take(max_events=4, max_wait_s=3600)
    assert [i.name for i in taken] == ["i0", "i1"]
    assert lane.events == 6


async def test_take_waits_for_more_until_the_time_limit() -> None:
    """An item that arrives within max_wait joins the batch; the batch then goes."""
    lane: Lane[Item] = Lane(None)
    await lane.put(Item("first"))

    async def later() -> None:
        await asyncio.sleep(0.01)
        await lane.put(Item("second"))

    adding = asyncio.create_task(later())
    taken = await lane.take(max_events=100, max_wait_s=0.5)
    await adding
    assert [i.name for i in taken] == ["first", "second"]


async def test_a_full_lane_makes_the_producer_wait() -> None:
    """Backpressure: put waits while the lane holds its capacity, and resumes after a take."""
    lane: Lane[Item] = Lane(3)
    await lane.put(Item("a", size=3))
    blocked = asyncio.create_task(lane.put(Item("b")))
    await asyncio.sleep(0.01)
    assert not blocked.done()
    assert [i.name for i in await lane.take(10, 0)] == ["a"]
    await asyncio.wait_for(blocked, 5)
    assert lane.events == 1


async def test_closing_lets_writers_drain_then_stop() -> None:
    """After close, what is queued is still taken; then take returns nothing; put refuses."""
    lane: Lane[Item] = Lane(10)
    await lane.put(Item("left"))
    lane.close()
    assert [i.name for i in await lane.take(10, 1)] == ["left"]
    assert await lane.take(10, 1) == []
    with pytest.raises(LanesClosedError):
        await lane.put(Item("late"))


async def test_closing_wakes_an_idle_writer() -> None:
    """A writer waiting on an empty lane returns when the lane closes."""
    lane: Lane[Item] = Lane(10)
    waiting = asyncio.create_task(lane.take(10, 1))
    await asyncio.sleep(0.01)
    lane.close()
    assert await asyncio.wait_for(waiting, 5) == []


def test_receipts_group_by_home_in_order_without_repeats() -> None:
    """One ack per home, ids in arrival order, a redelivered id named once."""
    a1, a2, b1 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime(2026, 11, 24, tzinfo=UTC)
    acks = receipts([("a", a1), ("b", b1), ("a", a2), ("a", a1)], now)
    assert [(ack.home_id, ack.committed) for ack in acks] == [("a", [a1, a2]), ("b", [b1])]
    assert all(ack.ts == now for ack in acks)


def test_receipts_split_at_the_protocol_limit() -> None:
    """A home with more committed ids than one ack may name gets several acks."""
    ids = [uuid.uuid4() for _ in range(MAX_ACK_EVENTS + 5)]
    acks = receipts([("a", i) for i in ids], datetime.now(UTC))
    assert [len(ack.committed) for ack in acks] == [MAX_ACK_EVENTS, 5]
    assert [i for ack in acks for i in ack.committed] == ids
