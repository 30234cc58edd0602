"""The operator's console, signed in and listening, and the panic presses it waits for."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from bench.alarm_latency import say
from bench.common.output import BenchError
from device_sim.home import PENDANT
from protocol import EventBatch, EventKind, Trigger, TriggerEvent, channel_for, encode, topic

if TYPE_CHECKING:
    import random
    from collections.abc import Sequence

    from runtime.mqtt_link import MqttLink

SEQ_BASE = 1_000_000_000
"""Presses' sequence numbers start here, far from the simulator's own for the same homes."""
CANCEL_REASON = "benchmark press"
POLL_S = 0.05


@dataclass(slots=True)
class Press:
    """One panic press, and when the console heard of it."""

    home_id: str
    event_id: uuid.UUID
    sent: float
    """``time.perf_counter()`` just before the publish."""
    sent_wall: float
    """``time.time()`` at the same moment, to compare with the hub's times."""
    announced: float | None = None
    alarm_id: uuid.UUID | None = None

    @property
    def latency_s(self) -> float | None:
        """Publish to announcement, if announced."""
        return None if self.announced is None else self.announced - self.sent


@dataclass
class Console:
    """An operator's browser: signed in, listening to the stream, cancelling each press."""

    base: str
    http: aiohttp.ClientSession
    csrf: str = ""
    waiting: dict[str, Press] = field(default_factory=dict)
    """Presses not announced yet, by home."""
    busy: set[str] = field(default_factory=set)
    """Homes with a press not yet announced or cancelled."""
    dropped: int = 0
    cancel_failed: int = 0
    heard: collections.Counter[str] = field(default_factory=collections.Counter)
    """Stream messages received, by type."""
    _closing: bool = False
    _socket: aiohttp.ClientWebSocketResponse | None = None
    _reading: asyncio.Task[None] | None = None
    _cancels: set[asyncio.Task[None]] = field(default_factory=set)

    async def login(self, username: str, password: str) -> None:
        """Sign in; keep the CSRF token for the cancels."""
        async with self.http.post(
            f"{self.base}/api/v1/auth/login", json={"username": username, "password": password}
        ) as response:
            if response.status != 200:
                raise BenchError(f"sign-in answered {response.status}: {await response.text()}")
            self.csrf = (await response.json())["csrf_token"]

    @property
    def listening(self) -> bool:
        """Whether the stream is open."""
        return self._reading is not None and not self._reading.done()

    async def listen(self) -> None:
        """Open the stream (again, if the hub closed it)."""
        if self.listening:
            return
        self._closing = False
        self._socket = await self.http.ws_connect(f"{self.base}/api/v1/stream")
        self._reading = asyncio.create_task(self._read(self._socket))

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        with contextlib.suppress(aiohttp.ClientError):
            async for message in socket:
                now = time.perf_counter()
                if message.type is aiohttp.WSMsgType.TEXT:
                    self._note(json.loads(message.data), now)
        if not self._closing:
            self.dropped += 1
            say(f"the hub closed the console's stream ({socket.close_code})")

    def _note(self, message: dict[str, Any], now: float) -> None:
        self.heard[str(message.get("type"))] += 1
        if message.get("type") != "alarm":
            return
        alarm = message["alarm"]
        if alarm.get("state") != "raised" or alarm.get("kind") != EventKind.PANIC_BUTTON.value:
            return
        press = self.waiting.pop(str(alarm.get("home_id")), None)
        if press is None:
            return
        press.announced = now
        press.alarm_id = uuid.UUID(alarm["alarm_id"])
        task = asyncio.create_task(self._cancel(press))
        self._cancels.add(task)
        task.add_done_callback(self._cancels.discard)

    async def _cancel(self, press: Press) -> None:
        try:
            async with self.http.post(
                f"{self.base}/api/v1/alarms/{press.alarm_id}/cancel",
                json={"reason": CANCEL_REASON},
                headers={"X-CSRF-Token": self.csrf},
            ) as response:
                await response.read()
                ok = response.status == 200
        except aiohttp.ClientError:
            ok = False
        if ok:
            self.busy.discard(press.home_id)
        else:
            self.cancel_failed += 1  # the home stays busy: its alarm may still be open

    def expect(self, press: Press) -> None:
        """Wait for the announcement of ``press``."""
        self.waiting[press.home_id] = press
        self.busy.add(press.home_id)

    async def cancels_done(self) -> None:
        """Wait for the cancels under way."""
        if self._cancels:
            await asyncio.gather(*self._cancels, return_exceptions=True)

    async def stop_listening(self) -> None:
        """Close the stream."""
        self._closing = True
        if self._socket is not None:
            await self._socket.close()
        if self._reading is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
        self._socket = self._reading = None


@dataclass
class Presser:
    """Publishes panic presses from random free homes and waits for the console to see them."""

    link: MqttLink
    console: Console
    homes: Sequence[str]
    rng: random.Random
    seq: int = SEQ_BASE

    async def free_home(self) -> str:
        """A random home without a press of its own under way."""
        while True:
            for _ in range(100):
                home = self.rng.choice(self.homes)
                if home not in self.console.busy:
                    return home
            free = [home for home in self.homes if home not in self.console.busy]
            if free:
                return self.rng.choice(free)
            await asyncio.sleep(POLL_S)

    def press(self, home_id: str) -> Press:
        """Publish one panic press from ``home_id``, as its home unit would."""
        self.seq += 1
        event_id = uuid.uuid4()
        batch = EventBatch(
            home_id=home_id,
            events=[
                TriggerEvent(
                    event_id=event_id,
                    home_id=home_id,
                    device_id=PENDANT,
                    ts=datetime.now(UTC),
                    seq=self.seq,
                    kind=EventKind.PANIC_BUTTON,
                    value=Trigger(active=True),
                )
            ],
        )
        where, payload = topic(home_id, channel_for(batch)), encode(batch)
        press = Press(home_id, event_id, time.perf_counter(), time.time())
        self.console.expect(press)
        self.link.publish(where, payload, qos=1)
        return press

    async def phase(self, seconds: float, count: int, timeout_s: float) -> list[Press]:
        """``count`` presses over ``seconds``; then wait for the announcements and cancels."""
        slot = seconds / count
        start = time.perf_counter()
        presses = []
        for k in range(count):
            due = start + (k + self.rng.random()) * slot
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            presses.append(self.press(await self.free_home()))
        deadline = time.perf_counter() + timeout_s
        while self.console.waiting and time.perf_counter() < deadline:  # noqa: ASYNC110 - the console counts, it does not signal
            await asyncio.sleep(POLL_S)
        await self.console.cancels_done()
        if self.link.refused_publishes:
            raise BenchError(f"the broker refused {self.link.refused_publishes} presses")
        return presses
