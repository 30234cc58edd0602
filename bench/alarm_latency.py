"""How long a panic press takes to reach an operator's console, idle and under homes' traffic.

Run: ``python -m bench.alarm_latency [--homes N] [--seconds S] [--presses P] [--burst]``.

It starts a private Mosquitto and PostgreSQL (or uses ``TELECARE_MQTT_URL`` /
``TELECARE_DATABASE_URL``, as ``bench.ingest`` does, on a fresh database dropped afterwards),
registers ``homes`` homes in one district, makes an operator of that district and starts one
``telecare hub``. A console (an aiohttp session) signs in and opens ``/api/v1/stream``. Then,
twice, ``presses`` panic presses are published over ``seconds`` seconds, each at a random
moment of its own slot of ``seconds / presses``, each from a random home: a one-event
``EventBatch`` (``panic_button``, ``{"active": true}``, a new event id) on the home's
``up/events``, QoS 1, as its home unit would send it. A press is timed from just before its
publish to the arrival on the WebSocket of the alarm announcing it (``type`` ``alarm``, that
home, kind ``panic_button``, state ``raised``). First with nothing else running (``idle_*``);
then with the homes' normal running in the background: the simulator
(:class:`device_sim.simulation.Simulation` with its :class:`~device_sim.simulation.LoadEmitter`,
in a child process, at speed 1) sends every home's daily routine as it happens, one event per
message, every home's heartbeat once a minute at the home's own phase of the minute, and its
thermometer's reading every half hour at the home's own phase of the half hour (both phases
fixed by ``seed`` and the home, spread uniformly over homes, as units and battery thermometers
started at different moments are). With ``--burst`` every home is in step, the harsh case of
all units coming back at once after a broker restart: every heartbeat at the same moment each
minute, every thermometer at :00 and :30.

Open alarms: each alarm is cancelled through the API (``POST /api/v1/alarms/{id}/cancel``,
as an operator closes a test press) as soon as the console has seen it, and a press is only
made in a home with no press of its own still waiting to be announced or cancelled. So every
press raises a new alarm (a press in a home whose panic alarm is open would join it, and be
announced as an update), open alarms do not pile up, and none escalates during the run.

Progress goes to standard error; the last line of standard output is one JSON object:

- ``p50_ms``, ``p99_ms``, ``max_ms``: publish to announcement on the console, under the
  background traffic, over the presses announced within ``timeout_s``; ``missing``: presses
  not announced within ``timeout_s`` of their publish (not in the figures); ``over_target``:
  presses slower than the issue's target for the p99, 100 ms. ``idle_p50_ms``,
  ``idle_p99_ms``, ``idle_max_ms``, ``idle_missing``, ``idle_over_target``: the same,
  measured first, before the background was started;
- ``stages_ms`` (``idle_stages_ms``): where that time went, p50 and p99 of each part, from
  the hub's own times (same machine, same clock): ``to_hub`` publish until the hub took the
  message off its MQTT connection (the broker, and the messages ahead of it on the hub's one
  subscription: the event's ``received_at``); ``in_hub`` until the writer started the
  transaction raising the alarm (the urgent lane and a pool connection: the time of the
  alarm's ``raised`` entry in ``alarm_log``); ``to_console`` until the console had it
  (storing the event and the alarm, the commit, PostgreSQL's NOTIFY to the hub's listener,
  the WebSocket). ``slowest`` (``idle_slowest``): the ten slowest presses, each with
  ``at_s`` (its publish, in seconds from the phase's start), ``ms`` and its three stages;
- ``background_msgs_per_s``: messages per second the hub received from the background during
  the measured phase (its ``telecare_messages_received_total``, the presses taken out), and
  ``background_per_s_by_channel`` the same by channel; ``heartbeat_rounds``: how many times
  every home's heartbeat was received in that time. With ``--burst`` every home's heartbeat
  comes at the same moment once a minute, so ``seconds`` should be a multiple of 60 for those
  bursts to weigh in the figures as they do in its running; ``last_heartbeat_round``: the
  homes' latest heartbeats (with ``--burst`` the latest round; otherwise spread over the
  minute before the phase ended), in seconds from the phase's start: ``sent_s`` the first
  and last heartbeat's time (built by the simulator), ``taken_in_s`` when the hub took the
  first and last off MQTT (``presence.last_seen``). ``temperature_rounds``: with ``--burst``,
  how many half hours began in the phase (every simulated thermometer then reads at :00 and
  :30, all homes at once: a burst of one event per home); null without it (each home's
  thermometer reads at its own phase); ``background_unacked``: background events the hub had not
  acknowledged when the background was stopped (after the phase's last announcement);
- ``background_start_s``: from starting the background until the hub had every home's
  status (the simulator first works out each home's days, about 0.7 ms per home-day, then
  connects, a connection per thousand homes); ``settle_s``: background running before the
  presses start; ``background_nice``: the background's CPU priority (nice: the homes'
  generator shares the hub's two cores here, and is meant to take what the services leave);
- ``console_heard``: messages the console's stream brought, by type (every home coming
  online is a ``presence`` message); ``console_dropped``: times the hub closed the stream
  as too slow (it is opened again before the next phase); ``cancel_failed``: cancels not
  answered 200;
- ``cpu_percent`` (``idle_cpu_percent``): CPU used during the phase (100 = one core) by the
  hub, the broker (private only), the hub's database backends, the background process, this
  process (presses and console) and the whole machine (``machine_cores`` cores);
- ``hub``: the hub's settings that matter here (``TELECARE_*`` variables pass through);
  ``broker``, ``database``: as in ``bench.ingest``; ``homes``, ``seconds``, ``presses``,
  ``burst``, ``timeout_s``, ``seed``: the run's settings; ``wall_s``: the whole run,
  services included.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import math
import multiprocessing
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import psutil
import psycopg

from bench.ingest import (
    DISTRICT,
    HUB_FLAGS,
    BenchError,
    CpuPids,
    Crew,
    Hub,
    MqttTarget,
    connect,
    crew,
    fresh_database,
    hub_environment,
    hub_settings,
    prepare_schema,
    start_hubs,
    start_services,
)
from device_sim.home import PENDANT
from device_sim.simulation import EventLog, LoadEmitter, SimClock, Simulation, make_homes
from hub.auth import users
from protocol import Channel, EventBatch, EventKind, Trigger, TriggerEvent, encode, topic
from runtime.logs import configure_logging
from runtime.mqtt import MqttOptions
from telecare.services import ServiceError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event as ProcessEvent

    from bench.ingest import Message
    from runtime.mqtt_link import MqttLink

Report = dict[str, Any]

HOME_PREFIX = "sim"
OPERATOR = "bench-operator"
SEQ_BASE = 1_000_000_000
"""Presses' sequence numbers start here, far from the simulator's own for the same homes."""
CANCEL_REASON = "benchmark press"
READY_TIMEOUT_S = 1800.0
"""Working out 100,000 homes' days takes minutes on this machine."""
ONLINE_TIMEOUT_S = 300.0
DONE_TIMEOUT_S = 60.0
KEEPALIVE_S = 30
CONNECT_TIMEOUT_S = 30.0
PROGRESS_EVERY_S = 10.0
POLL_S = 0.05
RELEASE_POLL_S = 0.2
HALF_HOUR_S = 1800
MESSAGES_RECEIVED = "telecare_messages_received_total{"
STAGES = ("to_hub", "in_hub", "to_console")
SLOWEST = 10
TARGET_MS = 100.0
"""The issue's target for the p99, under 100,000 homes' traffic."""


def say(text: str) -> None:
    """Progress, on standard error (standard output ends with the result)."""
    stamp = time.strftime("%H:%M:%S")
    print(f"[bench.alarm_latency {stamp}] {text}", file=sys.stderr, flush=True)


# --- The background: homes' normal running (a child process) -----------------------------


@dataclass(frozen=True, slots=True)
class BackgroundJob:
    """Which homes the background runs, and where it sends."""

    target: MqttTarget
    homes: int
    seed: int
    nice: int
    burst: bool
    """Every home in step (heartbeats at once, thermometers at :00 and :30)."""


def background(job: BackgroundJob, results: Queue[Message], release: ProcessEvent) -> None:
    """Child process: run the homes live until ``release``; report ("ready", "done")."""
    try:
        configure_logging("warning")
        if job.nice:
            os.nice(job.nice)
        asyncio.run(run_background(job, results, release))
    except Exception:  # noqa: BLE001 - whatever went wrong, the parent must hear of it
        results.put(("error", 0, traceback.format_exc()))


async def run_background(
    job: BackgroundJob, results: Queue[Message], release: ProcessEvent
) -> None:
    """What :func:`background` does: days worked out, connected, then live at speed 1."""
    started = time.monotonic()
    homes = make_homes(job.homes, job.seed, HOME_PREFIX, synchronized=job.burst)
    # The first tick would work out every home's days at once, stalling the run for minutes
    # at 100,000 homes: do it before connecting, with progress.
    now = datetime.now(UTC)
    next_note = time.monotonic() + PROGRESS_EVERY_S
    for done, home in enumerate(homes, 1):
        home.readings(now, now)
        if time.monotonic() >= next_note:
            next_note += PROGRESS_EVERY_S
            say(f"background: days worked out for {done} of {len(homes)} homes")
    prepared_s = time.monotonic() - started
    options = MqttOptions(
        url=job.target.url,
        password=job.target.password,
        keepalive_s=KEEPALIVE_S,
        timeout_s=CONNECT_TIMEOUT_S,
    )
    emitter = LoadEmitter(options, EventLog(None), client_prefix=f"bench-bg-{os.getpid()}")
    await emitter.start(homes)
    simulation = Simulation(homes, emitter, SimClock(datetime.now(UTC), 1.0), seed=job.seed)
    running = asyncio.create_task(simulation.run(progress_every_s=3600.0))
    try:
        results.put(("ready", 0, {"prepared_s": prepared_s}))
        while not release.is_set():
            if running.done():
                running.result()  # raises what ended it
                raise BenchError("the simulation ended early")
            await asyncio.sleep(RELEASE_POLL_S)
        report = {
            "readings": simulation.sent_readings,
            "acked": emitter.acked,
            "unacked": emitter.pending(),
        }
        results.put(("done", 0, report))
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await emitter.stop()


# --- The console and the presses -----------------------------------------------------------


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
        where, payload = topic(home_id, Channel.EVENTS), encode(batch)
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


# --- Figures ------------------------------------------------------------------------------


def percentiles(values_ms: Sequence[float]) -> tuple[float | None, float | None]:
    """p50 and p99, rounded; None when there are too few values."""
    if len(values_ms) < 2:  # what quantiles needs
        return None, None
    cuts = statistics.quantiles(values_ms, n=100, method="inclusive")
    return round(cuts[49], 2), round(cuts[98], 2)


async def hub_times(
    database_url: str, presses: Sequence[Press]
) -> tuple[dict[uuid.UUID, float], dict[uuid.UUID, float]]:
    """The hub's own times, as epoch seconds.

    When it took each press off MQTT (the event's ``received_at``, by event id) and when the
    writer began the transaction raising each alarm (its ``raised`` entry, by alarm id).
    """
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT event_id, received_at FROM events WHERE event_id = ANY(%s)",
            ([p.event_id for p in presses],),
        )
        received = {row[0]: row[1].timestamp() for row in await cursor.fetchall()}
        cursor = await conn.execute(
            "SELECT alarm_id, at FROM alarm_log WHERE action = 'raised' AND alarm_id = ANY(%s)",
            ([p.alarm_id for p in presses if p.alarm_id is not None],),
        )
        raised = {row[0]: row[1].timestamp() for row in await cursor.fetchall()}
    return received, raised


def figures(
    presses: Sequence[Press],
    timeout_s: float,
    received: dict[uuid.UUID, float],
    raised: dict[uuid.UUID, float],
    began_wall: float,
) -> Report:
    """Latency percentiles, missing presses, the stages and the slowest presses of a phase."""
    on_time = [p for p in presses if p.latency_s is not None and p.latency_s <= timeout_s]
    latencies = sorted(1000 * (p.announced - p.sent) for p in on_time if p.announced is not None)
    p50, p99 = percentiles(latencies)
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    timed = []
    for p in on_time:
        got = received.get(p.event_id)
        began = raised.get(p.alarm_id) if p.alarm_id is not None else None
        if got is None or began is None or p.announced is None:
            continue
        announced_wall = p.sent_wall + (p.announced - p.sent)
        parts = (got - p.sent_wall, began - got, announced_wall - began)
        for name, part in zip(STAGES, parts, strict=True):
            stages[name].append(1000 * part)
        timed.append((p.announced - p.sent, p.sent_wall - began_wall, parts))
    stage_cuts = {}
    for name, values in stages.items():
        s50, s99 = percentiles(values)
        stage_cuts[name] = {"p50": s50, "p99": s99}
    slowest = [
        {
            "at_s": round(at, 2),
            "ms": round(1000 * total, 2),
            **{name: round(1000 * part, 2) for name, part in zip(STAGES, parts, strict=True)},
        }
        for total, at, parts in sorted(timed, reverse=True)[:SLOWEST]
    ]
    return {
        "p50_ms": p50,
        "p99_ms": p99,
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "missing": len(presses) - len(on_time),
        "over_target": sum(ms > TARGET_MS for ms in latencies),
        "stages_ms": stage_cuts,
        "slowest": slowest,
    }


async def last_heartbeat_round(database_url: str, began_wall: float) -> dict[str, Any]:
    """When the latest heartbeat round was sent and taken in, in seconds from ``began_wall``.

    From ``presence``: each home's last heartbeat time (the simulator's clock, when it built
    the heartbeat) and when the hub took it off MQTT (``last_seen``).
    """
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT min(heartbeat_ts), max(heartbeat_ts), min(last_seen), max(last_seen)"
            " FROM presence"
        )
        row = await cursor.fetchone()
    if row is None or row[0] is None:
        return {}
    first_sent, last_sent, first_in, last_in = (round(t.timestamp() - began_wall, 2) for t in row)
    return {"sent_s": [first_sent, last_sent], "taken_in_s": [first_in, last_in]}


def hub_received(hub: Hub) -> dict[str, float]:
    """Messages the hub has received so far, by channel."""
    by_channel = {}
    for name, value in hub.metrics().items():
        if name.startswith(MESSAGES_RECEIVED):
            channel = name[len(MESSAGES_RECEIVED) :].split('"')[1]
            by_channel[channel] = value
    return by_channel


def half_hours_between(start: float, end: float) -> int:
    """How many half hours (:00 and :30) begin in the epoch seconds [start, end)."""
    return math.ceil(end / HALF_HOUR_S) - math.ceil(start / HALF_HOUR_S)


# --- The run ------------------------------------------------------------------------------


@dataclass
class Run:
    """One run's fixed parts and what the phases found."""

    args: argparse.Namespace
    homes: list[str]
    database_url: str
    target: MqttTarget
    hub: Hub
    cpu: CpuPids
    team: Crew
    console_password: str

    def cpu_sample(self) -> dict[str, Any]:
        """CPU times now, by role, this process included."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            sample = self.cpu.sample(conn, self.team)
        mine = psutil.Process().cpu_times()
        sample["bench/self"] = mine.user + mine.system
        return sample

    def cpu_percent(self, before: dict[str, Any]) -> dict[str, float]:
        """CPU percent by role since ``before`` (the background is the crew's process)."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            shares = self.cpu.percent(before, conn, self.team)
        mine = psutil.Process().cpu_times()
        wall = time.monotonic() - before["at"]
        shares["bench"] = round(100 * (mine.user + mine.system - before["bench/self"]) / wall, 1)
        shares["background"] = shares.pop("publishers", 0.0)
        return shares

    async def phase(self, name: str, presser: Presser) -> tuple[Report, dict[str, Any]]:
        """Measure one phase: figures, and what the hub received meanwhile."""
        await presser.console.listen()
        say(f"{name}: {self.args.presses} presses over {self.args.seconds} s")
        before_msgs, before_cpu = hub_received(self.hub), self.cpu_sample()
        began, began_wall = time.monotonic(), time.time()
        presses = await presser.phase(self.args.seconds, self.args.presses, self.args.timeout)
        ended, ended_wall = time.monotonic(), time.time()
        after_msgs, cpu = hub_received(self.hub), self.cpu_percent(before_cpu)
        received, raised = await hub_times(self.database_url, presses)
        result = figures(presses, self.args.timeout, received, raised, began_wall)
        result["cpu_percent"] = cpu
        say(
            f"{name}: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms,"
            f" max {result['max_ms']} ms, missing {result['missing']}"
        )
        moved = {ch: after_msgs.get(ch, 0.0) - before_msgs.get(ch, 0.0) for ch in after_msgs}
        moved[Channel.EVENTS.value] = moved.get(Channel.EVENTS.value, 0.0) - len(presses)
        traffic = {
            "heartbeat_round": await last_heartbeat_round(self.database_url, began_wall),
            "moved": moved,
            "seconds": ended - began,
            "temperature_rounds": (
                half_hours_between(began_wall, ended_wall) if self.args.burst else None
            ),
        }
        return result, traffic

    async def start_background(self, console: Console) -> float:
        """Start the homes' normal running; wait until the hub has every home's status."""
        began = time.monotonic()
        job = BackgroundJob(
            self.target, len(self.homes), self.args.seed, self.args.nice, self.args.burst
        )
        self.team.add(background, job, self.team.results, self.team.release)
        say(f"background: starting {len(self.homes)} homes")
        ready = await asyncio.to_thread(self.team.wait_for, "ready", 1, READY_TIMEOUT_S)
        say(f"background: days worked out in {ready[0]['prepared_s']:.1f} s; connected")
        async with await psycopg.AsyncConnection.connect(
            self.database_url, autocommit=True
        ) as conn:
            deadline = time.monotonic() + ONLINE_TIMEOUT_S
            while True:
                cursor = await conn.execute("SELECT count(*) FROM presence WHERE online")
                row = await cursor.fetchone()
                online = int(row[0]) if row else 0
                if online >= len(self.homes):
                    break
                if time.monotonic() > deadline:
                    raise BenchError(f"only {online} homes online after {ONLINE_TIMEOUT_S} s")
                await asyncio.sleep(0.5)
        start_s = time.monotonic() - began
        say(f"background: every home online at the hub after {start_s:.1f} s")
        await asyncio.sleep(self.args.settle)
        if not console.listening:
            say("console: opening the stream again")
        return start_s

    async def stop_background(self) -> dict[str, Any]:
        """Release the background; what it says it sent."""
        self.team.release.set()
        done = await asyncio.to_thread(self.team.wait_for, "done", 1, DONE_TIMEOUT_S)
        report: dict[str, Any] = done[0]
        return report

    async def measure(self) -> Report:
        """Both phases, with one console and one presser link."""
        base = f"http://127.0.0.1:{self.hub.port}"
        link = await connect(self.target, f"bench-presser-{os.getpid()}")
        cookies = aiohttp.CookieJar(unsafe=True)  # the hub is on an IP address
        async with aiohttp.ClientSession(cookie_jar=cookies) as http:
            console = Console(base, http)
            try:
                await console.login(OPERATOR, self.console_password)
                rng = random.Random(self.args.seed)  # noqa: S311 - choosing homes, not secrets
                presser = Presser(link, console, self.homes, rng)
                idle, _ = await self.phase("idle", presser)
                start_s = await self.start_background(console)
                loaded, traffic = await self.phase("under background", presser)
                await console.stop_listening()
                sent = await self.stop_background()
            finally:
                await console.stop_listening()
                await link.close()
        seconds = traffic["seconds"]
        moved: dict[str, float] = traffic["moved"]
        return {
            **{f"idle_{k}": v for k, v in idle.items()},
            **loaded,
            "background_msgs_per_s": round(sum(moved.values()) / seconds, 1),
            "background_per_s_by_channel": {k: round(v / seconds, 1) for k, v in moved.items()},
            "heartbeat_rounds": round(moved.get(Channel.HEARTBEAT.value, 0.0) / len(self.homes), 2),
            "last_heartbeat_round": traffic["heartbeat_round"],
            "temperature_rounds": traffic["temperature_rounds"],
            "background_unacked": sent["unacked"],
            "background_start_s": round(start_s, 1),
            "console_dropped": console.dropped,
            "console_heard": dict(console.heard),
            "cancel_failed": console.cancel_failed,
        }


async def prepare(database_url: str, homes: Sequence[str], password: str) -> None:
    """Schema, partitions and homes (as ``bench.ingest`` does), and the operator."""
    await prepare_schema(database_url, homes)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await users.add_user(conn, OPERATOR, password, users.Role.OPERATOR, [DISTRICT])


def run(args: argparse.Namespace) -> Report:
    """Start the services and the hub, measure both phases, stop everything."""
    began = time.monotonic()
    homes = [home.home_id for home in make_homes(args.homes, args.seed, HOME_PREFIX)]
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-alarm-")))
        services = start_services(stack, workdir)
        database_url = fresh_database(stack, services.admin_url)
        password = secrets.token_urlsafe(16)
        asyncio.run(prepare(database_url, homes, password))
        say(f"{len(homes)} homes registered in district {DISTRICT!r}")
        # No hub flags here: TELECARE_* variables pass through to the hub.
        env = hub_environment(
            argparse.Namespace(**dict.fromkeys(HUB_FLAGS)), services, database_url
        )
        (hub,) = start_hubs(stack, 1, env, workdir)
        say("hub ready")
        team = stack.enter_context(crew(multiprocessing.get_context("spawn")))
        bench = Run(
            args,
            homes,
            database_url,
            services.target,
            hub,
            CpuPids([hub.process.pid], services.broker_pid),
            team,
            password,
        )
        measured = asyncio.run(bench.measure())
        return {
            "benchmark": "alarm_latency",
            "homes": args.homes,
            "seconds": args.seconds,
            "presses": args.presses,
            "burst": args.burst,
            **measured,
            "timeout_s": args.timeout,
            "settle_s": args.settle,
            "background_nice": args.nice,
            "seed": args.seed,
            "hub": hub_settings(env),
            "broker": services.broker,
            "database": services.database_kind,
            "wall_s": round(time.monotonic() - began, 1),
        }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--homes", type=int, default=10_000, help="homes registered and running")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--presses", type=int, default=200, help="panic presses per phase")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds a press may take to be announced"
    )
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds of background before the presses"
    )
    parser.add_argument("--seed", type=int, default=1, help="the simulated people and the presses")
    parser.add_argument(
        "--nice", type=int, default=10, help="the background's CPU priority (0: as the services)"
    )
    parser.add_argument(
        "--burst",
        action="store_true",
        help="every home in step: all heartbeats at once each minute, thermometers at :00 and :30",
    )
    args = parser.parse_args()
    if min(args.homes, args.seconds, args.presses, args.timeout) <= 0 or args.settle < 0:
        parser.error("every count and time must be positive")
    if not 0 <= args.nice <= 19:
        parser.error("--nice is from 0 to 19")
    configure_logging("warning")
    # SIGTERM unwinds like Ctrl-C does, so the hub, broker and database server are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        result = run(args)
    except (BenchError, ServiceError, psycopg.Error, aiohttp.ClientError) as err:
        say(f"failed: {err}")
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
