"""Test home units: publish events as gateways do and keep track of the hub's receipts."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Self

import aiomqtt

from protocol import (
    Ack,
    Channel,
    EventBatch,
    EventKind,
    Motion,
    MotionEvent,
    Trigger,
    TriggerEvent,
    channel_for,
    decode_topic,
    encode,
    topic,
)
from runtime.mqtt import MqttOptions, make_client

if TYPE_CHECKING:
    from types import TracebackType

ACK_FILTER = "telecare/v1/homes/+/down/acks"


def motion(home_id: str, seq: int) -> EventBatch:
    """A one-event batch: the PIR in the hall saw movement."""
    return EventBatch(
        home_id=home_id,
        events=[
            MotionEvent(
                event_id=uuid.uuid4(),
                home_id=home_id,
                device_id="pir-hall",
                ts=datetime.now(UTC),
                seq=seq,
                location="hall",
                kind=EventKind.MOTION,
                value=Motion(detected=True),
            )
        ],
    )


def panic(home_id: str, seq: int) -> EventBatch:
    """A one-event batch: the pendant was pressed."""
    return EventBatch(
        home_id=home_id,
        events=[
            TriggerEvent(
                event_id=uuid.uuid4(),
                home_id=home_id,
                device_id="pendant-1",
                ts=datetime.now(UTC),
                seq=seq,
                kind=EventKind.PANIC_BUTTON,
                value=Trigger(active=True),
            )
        ],
    )


class Fleet:
    """Many homes over one connection: sends batches, collects acks, resends what is unacked.

    Resending after a lost connection is what a real gateway's outbox does; the hub must
    absorb the duplicates.
    """

    def __init__(self, options: MqttOptions, name: str) -> None:
        """Connect as ``name`` (not yet)."""
        self._options = options
        self._name = name
        self._client: aiomqtt.Client | None = None
        self._reader: asyncio.Task[None] | None = None
        self.sent: dict[uuid.UUID, EventBatch] = {}
        self.acked: set[uuid.UUID] = set()
        self.ack_order: list[uuid.UUID] = []
        """Event ids in the order their first ack arrived."""
        self.refused: set[tuple[uuid.UUID, str, str | None]] = set()
        """(event id, reason, field) of each event the hub refused for good."""
        self._changed = asyncio.Event()
        self._seq = itertools.count()

    async def __aenter__(self) -> Self:
        """Connect and listen for acks."""
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Disconnect."""
        await self.disconnect()

    async def connect(self) -> None:
        """(Re)connect with a persistent session and subscribe to every home's acks."""
        client = make_client(self._options, identifier=self._name, session_expiry_s=300)
        await client.__aenter__()
        await client.subscribe(ACK_FILTER, qos=1)
        self._client = client
        self._reader = asyncio.create_task(self._read(client))

    async def disconnect(self) -> None:
        """Drop the connection (the session stays at the broker)."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await self._reader
        if self._client is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await self._client.__aexit__(None, None, None)
        self._client = self._reader = None

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            ack = decode_topic(message.topic.value, bytes(message.payload)).message
            assert isinstance(ack, Ack)
            self.ack_order.extend(i for i in ack.committed if i not in self.acked)
            self.acked.update(ack.committed)
            self.refused.update((r.event_id, r.reason, r.field) for r in ack.refused)
            self._changed.set()

    def next_seq(self) -> int:
        """A fresh sequence number."""
        return next(self._seq)

    async def send(self, batch: EventBatch, channel: Channel | None = None) -> None:
        """Publish ``batch`` and remember it until acked.

        On ``up/alarms`` when it holds only alarm-class events, as a unit does, else on
        ``up/events``; ``channel`` overrides (``Channel.EVENTS`` for an older unit's alarm).
        """
        for event in batch.events:
            self.sent[event.event_id] = batch
        assert self._client is not None
        where = topic(batch.home_id, channel or channel_for(batch))
        await self._client.publish(where, encode(batch), qos=1)

    async def send_raw(self, where: str, payload: bytes) -> None:
        """Publish anything anywhere (for bad input)."""
        assert self._client is not None
        await self._client.publish(where, payload, qos=1)

    def unacked(self) -> list[EventBatch]:
        """Batches with an event the hub has not acknowledged yet (each once)."""
        batches = {id(b): b for e, b in self.sent.items() if e not in self.acked}
        return list(batches.values())

    async def wait_acked(
        self, event_ids: set[uuid.UUID], timeout_s: float = 60, resend_after_s: float | None = None
    ) -> None:
        """Wait until every id in ``event_ids`` was acknowledged.

        With ``resend_after_s``, unacknowledged batches are published again each time that
        long passes without the last one arriving, as a gateway's outbox does.
        """
        async with asyncio.timeout(timeout_s):
            while not event_ids <= self.acked:
                self._changed.clear()
                try:
                    async with asyncio.timeout(resend_after_s):
                        await self._changed.wait()
                except TimeoutError:
                    for batch in self.unacked():
                        await self.send(batch)
