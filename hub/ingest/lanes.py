"""Two queues between the MQTT consumer and the database writers.

Alarm-class messages go in the urgent lane, which never blocks and is written on its own, so
an alarm never waits behind telemetry. The normal lane holds at most ``capacity`` events; when
it is full, putting waits, the consumer stops reading and (with manual acknowledgement) the
broker stops sending: backpressure, and nothing dropped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, Protocol, TypeVar

from hub.errors import HubError


class Sized(Protocol):
    """Something that counts as a number of events."""

    @property
    def size(self) -> int:
        """How many events this item holds."""
        ...


T = TypeVar("T", bound=Sized)


class LanesClosedError(HubError):
    """The lanes were closed: no more items are taken in."""


class Lane(Generic[T]):
    """A FIFO of items, bounded by the events they hold (unbounded when capacity is None)."""

    def __init__(self, capacity: int | None) -> None:
        """Make an empty lane."""
        self._items: deque[T] = deque()
        self._events = 0
        self._capacity = capacity
        self._arrived = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._closed = False

    @property
    def events(self) -> int:
        """Events waiting in the lane."""
        return self._events

    async def put(self, item: T) -> None:
        """Add ``item``, waiting while the lane is full.

        Raises:
            LanesClosedError: the lane was closed.
        """
        while self._capacity is not None and self._events >= self._capacity:
            if self._closed:
                raise LanesClosedError
            self._space.clear()
            await self._space.wait()
        if self._closed:
            raise LanesClosedError
        self._items.append(item)
        self._events += item.size
        self._arrived.set()

    async def take(self, max_events: int, max_wait_s: float) -> list[T]:
        """Wait for the first item, then gather more for at most ``max_wait_s`` seconds.

        Returns as soon as ``max_events`` events are gathered or the time is up; an empty
        list only once the lane is closed and empty.
        """
        while not self._items:
            if self._closed:
                return []
            self._arrived.clear()
            await self._arrived.wait()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait_s
        taken: list[T] = []
        count = 0
        while True:
            while self._items and count < max_events:
                item = self._items.popleft()
                taken.append(item)
                count += item.size
                self._events -= item.size
            self._space.set()
            remaining = deadline - loop.time()
            if count >= max_events or remaining <= 0 or self._closed:
                return taken
            self._arrived.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._arrived.wait()
            except TimeoutError:
                return taken

    def close(self) -> None:
        """Take no more items; wake every waiter so writers can drain what is left."""
        self._closed = True
        self._arrived.set()
        self._space.set()
