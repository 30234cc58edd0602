"""How fast the hub takes events from MQTT into PostgreSQL, against the broker's and COPY's limits.

Run: ``python -m bench.ingest [--seconds S] [--homes N] [--publishers P] [--replicas R]``.
Progress goes to standard error; the last line of standard output is one JSON object:

- ``events_per_s``: events committed in the ``events`` table per second, one event per MQTT
  message (as homes send them in normal running), from the first publish until
  ``SELECT count(*) FROM events`` reaches ``events_total``. ``publishers`` processes publish
  pre-encoded payloads for ``homes`` home topics as fast as they can (QoS 1, at most
  ``window`` unacknowledged each) to ``replicas`` hub processes in one MQTT share group;
  ``events_total`` is about ``seconds`` worth, from a warm-up run of ``warmup_events``
  (whose rate is ``warmup_events_per_s``). ``publish_s`` is how long the publishers took to
  hand every event to the broker, ``ingest_s`` how long until the last one was committed;
- ``messages_per_s``: MQTT messages the hubs received on ``up/events`` in that time, from
  their ``telecare_messages_received_total`` counters (summed over replicas); from the same
  phase and the hubs' metrics, ``mean_batch_events`` (events per database write),
  ``acks_per_event`` (receipt messages published per event stored) and ``flush_share``
  (seconds the writers spent storing batches, per second of the phase: how busy the database
  side of the hubs kept, above 1 with writers in parallel);
- ``ack_p50_ms``, ``ack_p99_ms``: publish to receipt (``down/acks`` naming the event) as seen
  by the publisher, with the publishers paced together at half of ``events_per_s``
  (``paced_per_s``, the rate achieved) for ``seconds``; ``acks_received`` events were acked,
  ``acks_missing`` were not within ``ack_grace_s`` of the last publish,
  ``acks_duplicate`` were acked more than once;
- ``broker_limit_per_s``: messages per second the broker delivered to one plain subscriber
  (QoS 1, ``receive_maximum`` like the hub's, acknowledging on arrival) while the same
  publishers published as fast as they could for ``seconds``, before any hub was started;
- ``copy_limit_per_s``: rows per second psycopg's COPY (``write_row``) puts straight into
  ``events`` in transactions of ``copy_chunk_rows`` rows (building the rows is not timed);
- ``ratio`` = events_per_s / min(broker_limit_per_s, copy_limit_per_s);
- ``naive_events_per_s``: rows per second stored with one INSERT (and so one commit) each
  on an autocommit connection, for at most 5 seconds;
- ``hub``: the hub settings that matter here (set them with the flags or ``TELECARE_*``
  variables, which are passed through to the hubs);
- ``broker``: its kind (``mosquitto``: private, with the settings listed; ``external``:
  ``TELECARE_MQTT_URL``); ``database``: the server's kind (``private``, ``pgserver`` or
  ``external``: ``TELECARE_DATABASE_URL``); each run makes a fresh database on it and drops it;
- ``cpu_percent``: CPU used during the ``events_per_s`` phase (100 = one core) by the hubs,
  the broker (private only), the hubs' database backends, the publishers, and the whole
  machine (``machine_cores`` cores); ``dead_letters``: messages the hubs refused (should be 0);
- ``wall_s``: the whole run, services included.

The publishers and the plain subscriber are :class:`runtime.mqtt_link.MqttLink` connections
(MQTT 5 over the compiled ``mqtt5`` codec), one per process, each on its own event loop: a
few microseconds of Python per message, so that the load generator is not what limits the
figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import multiprocessing
import os
import pwd
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import psutil
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from hub.config import HubSettings
from hub.storage import homes as home_register
from hub.storage import migrate, partitions
from protocol import ROOT, Channel, EventBatch, EventKind, Motion, MotionEvent, encode, topic
from runtime.logs import configure_logging
from runtime.mqtt import MqttOptions, parse_mqtt_url
from runtime.mqtt_link import MAX_PACKET_ID, MqttLink
from telecare.services import (
    ServiceError,
    broker_kind,
    free_port,
    postgres_kind,
    start_postgres,
    wait_for_listener,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from multiprocessing.context import SpawnContext, SpawnProcess
    from multiprocessing.queues import Queue
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Event as ProcessEvent

EVENTS_FILTER = f"{ROOT}/+/{Channel.EVENTS.value}"
DISTRICT = "bench"
DEVICE, LOCATION, MOTION_JSON = "pir-hall", "hall", '{"detected": true}'

BROKER_MAX_INFLIGHT = 4000
"""Mosquitto's in-flight limit per client, as in deploy/mosquitto: the default 20 would
throttle the hub, which asks for 4000 unacknowledged messages (MQTT 5 Receive Maximum)."""
BROKER_MAX_QUEUED = 0
"""No limit on messages queued per client: the publishers run ahead of the hub on purpose, and
a queue limit would make Mosquitto drop the backlog silently."""
SUBSCRIBER_RECEIVE_MAXIMUM = 4000
"""The plain subscriber asks for as many unacknowledged messages as the hub does by default."""

CONNECT_TIMEOUT_S = 30.0
KEEPALIVE_S = 30
READY_TIMEOUT_S = 180.0
"""Publishers build their payloads before they say ready; a big phase takes a while."""
PUBACK_TIMEOUT_S = 60.0
WINDOW_POLL_S = 0.001
START_POLL_S = 0.002
"""How late a publisher may start after the others (the blast phase counts from the first)."""
RELEASE_POLL_S = 0.05
PHASE_TIMEOUT_S = 600.0
STALL_S = 30.0
"""A phase fails when nothing moves for this long."""
ACK_GRACE_S = 10.0
HUB_READY_TIMEOUT_S = 60.0
HUB_STOP_TIMEOUT_S = 30.0
TIMED_DISTINCT_PAYLOADS = 5000
"""Payloads each publisher cycles through in the broker-limit phase (ids need not be new)."""
COPY_CHUNK_ROWS = 10_000
NAIVE_CHUNK_ROWS = 1000
NAIVE_MAX_S = 5.0
SUBSCRIBE_CHUNK = 100
MIN_EVENTS, MAX_EVENTS = 1000, 5_000_000

COPY_EVENTS = (
    "COPY events (event_id, ts, received_at, home_id, device_id, kind, seq, location, value)"
    " FROM STDIN"
)
INSERT_EVENT = (
    "INSERT INTO events (event_id, ts, received_at, home_id, device_id, kind, seq, location,"
    " value) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
HUB_FLAGS = ("batch_max_events", "batch_max_wait_ms", "event_writers")
COUNTERS = {
    f'telecare_messages_received_total{{channel="{Channel.EVENTS.value}"}}': "messages",
    "telecare_acks_sent_total": "acks",
    "telecare_batch_events_sum": "batched_events",
    "telecare_batch_events_count": "batches",
    "telecare_flush_seconds_sum": "flush_s",
}
"""Hub metrics read before and after a phase (by prefix: flush time is summed over lanes)."""
REPORTED_SETTINGS = (
    *HUB_FLAGS,
    "queue_capacity_events",
    "mqtt_receive_maximum",
    "db_pool_size",
)

Mode = Literal["blast", "timed", "paced"]
Report = dict[str, Any]
Message = tuple[str, int, Any]
"""What a child process sends back: ("ready" | "done" | "error", its index, details)."""


class BenchError(RuntimeError):
    """The benchmark could not complete a phase."""


def say(text: str) -> None:
    """Progress, on standard error (standard output ends with the result)."""
    print(f"[bench.ingest {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- MQTT links (used in the child processes) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class MqttTarget:
    """Where the publishers and the plain subscriber connect, and as whom."""

    url: str
    username: str
    password: str | None


async def connect(
    target: MqttTarget, client_id: str, *, receive_maximum: int = MAX_PACKET_ID
) -> MqttLink:
    """An open MQTT 5 link (clean start) to ``target``."""
    options = MqttOptions(
        url=target.url,
        password=target.password,
        keepalive_s=KEEPALIVE_S,
        timeout_s=CONNECT_TIMEOUT_S,
    )
    return await MqttLink.open(
        options,
        client_id=client_id,
        username=target.username,
        receive_maximum=receive_maximum,
    )


async def subscribe(link: MqttLink, topic_filters: Sequence[str]) -> None:
    """Subscribe (QoS 1) to ``topic_filters``, at most SUBSCRIBE_CHUNK per SUBSCRIBE."""
    chunks = [
        topic_filters[i : i + SUBSCRIBE_CHUNK]
        for i in range(0, len(topic_filters), SUBSCRIBE_CHUNK)
    ]
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await asyncio.gather(*(link.subscribe(chunk, qos=1) for chunk in chunks))
    except TimeoutError:
        raise BenchError(f"no SUBACK in {CONNECT_TIMEOUT_S} s") from None


async def wait_event(event: ProcessEvent, timeout_s: float, poll_s: float) -> bool:
    """Whether ``event`` is set within ``timeout_s``.

    Polled rather than waited for in a thread: the loop keeps serving the link meanwhile
    (keepalive, receipts), and a thread blocked in ``wait`` would hold up the loop's shutdown
    after an error, and with it the error's report.
    """
    deadline = time.monotonic() + timeout_s
    while not event.is_set():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(poll_s)
    return True


class Window:
    """Publishes QoS 1 on a link with at most ``size`` messages waiting for their PUBACK."""

    def __init__(self, link: MqttLink, size: int) -> None:
        """Publish on ``link``."""
        self._link = link
        self._size = size
        self.sent = 0

    async def publish(self, where: str, payload: bytes) -> None:
        """Publish once fewer than ``size`` messages are unacknowledged."""
        if self._link.inflight >= self._size:
            await self._room()
        self._link.publish(where, payload, qos=1)
        self.sent += 1

    async def _room(self) -> None:
        # The link wakes nobody per PUBACK, so poll. A window's worth of PUBACKs takes tens of
        # milliseconds to come back at these rates, so the window never runs dry meanwhile.
        deadline = time.monotonic() + PUBACK_TIMEOUT_S
        while self._link.inflight >= self._size:
            if not self._link.is_open:
                await self._link.closed()  # raises, saying why
            if time.monotonic() > deadline:
                raise BenchError(f"no PUBACK for {PUBACK_TIMEOUT_S} s")
            await asyncio.sleep(WINDOW_POLL_S)

    async def drain(self) -> None:
        """Wait until every message sent has its PUBACK.

        Raises:
            BenchError: PUBACKs are missing after PUBACK_TIMEOUT_S, or the broker refused
                messages (they would never reach the hub, and the phase would stall).
            LinkClosedError: the connection closed first.
        """
        try:
            async with asyncio.timeout(PUBACK_TIMEOUT_S):
                await self._link.drained()
        except TimeoutError:
            raise BenchError(f"{self._link.inflight} PUBACKs missing") from None
        if not self._link.is_open:
            await self._link.closed()
        if self._link.refused_publishes:
            raise BenchError(f"the broker refused {self._link.refused_publishes} messages")


class AckTracker:
    """Publish times of events, and when the receipt naming each one arrived."""

    def __init__(self, expected: int) -> None:
        """Nothing sent yet; ``expected`` events will be."""
        self.sent: dict[str, float] = {}
        self.latency_s: dict[str, float] = {}
        self.duplicates = 0
        self.unknown = 0
        self._expected = expected
        self._all_acked = asyncio.Event()

    async def follow(self, link: MqttLink) -> None:
        """Note and acknowledge every receipt ``link`` receives, until cancelled."""
        while True:
            packets = await link.received()
            now = time.perf_counter()
            for packet in packets:
                self.note(packet.payload, now)
                link.ack(packet.packet_id)

    def note(self, payload: bytes, now: float) -> None:
        """Note the first receipt of every event id the ack names."""
        try:
            committed = json.loads(payload)["committed"]
        except (ValueError, KeyError, TypeError):
            self.unknown += 1
            return
        for event_id in committed:
            sent_at = self.sent.get(event_id)
            if sent_at is None:
                self.unknown += 1
            elif event_id in self.latency_s:
                self.duplicates += 1
            else:
                self.latency_s[event_id] = now - sent_at
        if len(self.latency_s) >= self._expected:
            self._all_acked.set()

    async def wait(self, timeout_s: float) -> None:
        """Wait until every expected event is acked, for at most ``timeout_s``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._all_acked.wait()


# --- Publisher and subscriber processes ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublisherJob:
    """What one publisher process does in one phase."""

    index: int
    phase: str
    target: MqttTarget
    homes: tuple[str, ...]
    mode: Mode
    """blast: ``events`` new events as fast as allowed; timed: cycle through ``events``
    payloads for ``seconds``; paced: ``events`` new events at ``rate`` per second."""
    events: int
    seconds: float = 0.0
    rate: float = 0.0
    window: int = 1000
    seq_base: int = 0


def build_payloads(job: PublisherJob) -> list[tuple[str, bytes, str]]:
    """(topic, encoded one-event batch, event id) for every event of ``job``, homes in turn."""
    items = []
    count = len(job.homes)
    for k in range(job.events):
        home = job.homes[k % count]
        event_id = uuid.uuid4()
        batch = EventBatch(
            home_id=home,
            events=[
                MotionEvent(
                    event_id=event_id,
                    home_id=home,
                    device_id=DEVICE,
                    ts=datetime.now(UTC),
                    seq=job.seq_base + k // count,
                    location=LOCATION,
                    kind=EventKind.MOTION,
                    value=Motion(detected=True),
                )
            ],
        )
        items.append((topic(home, Channel.EVENTS), encode(batch), str(event_id)))
    return items


def publisher(
    job: PublisherJob, results: Queue[Message], start: ProcessEvent, release: ProcessEvent
) -> None:
    """Child process: build, connect, say ready, publish on ``start``, report, wait ``release``."""
    try:
        items = build_payloads(job)
        asyncio.run(publish_job(job, items, results, start, release))
    except Exception:  # noqa: BLE001 - whatever went wrong, the parent must hear of it
        results.put(("error", job.index, traceback.format_exc()))


async def publish_job(
    job: PublisherJob,
    items: Sequence[tuple[str, bytes, str]],
    results: Queue[Message],
    start: ProcessEvent,
    release: ProcessEvent,
) -> None:
    """What :func:`publisher` does once the payloads are built, on one link."""
    link = await connect(job.target, f"bench-{job.phase}-{job.index}-{os.getpid()}")
    try:
        # In a task group, so that a reader that fails fails the phase.
        async with asyncio.TaskGroup() as tasks:
            tracker = AckTracker(len(items))
            reading = None
            if job.mode == "paced":
                await subscribe(link, [topic(home, Channel.ACKS) for home in job.homes])
                reading = tasks.create_task(tracker.follow(link))
            window = Window(link, job.window)
            results.put(("ready", job.index, None))
            if not await wait_event(start, READY_TIMEOUT_S, START_POLL_S):
                raise BenchError("no start signal")
            if job.mode == "blast":
                report = await blast(window, items)
            elif job.mode == "timed":
                report = await timed(window, items, job.seconds)
            else:
                report = await paced(window, items, job.rate, tracker)
            results.put(("done", job.index, report))
            await wait_event(release, PHASE_TIMEOUT_S, RELEASE_POLL_S)
            if reading is not None:
                reading.cancel()
    finally:
        await link.close()


async def blast(window: Window, items: Sequence[tuple[str, bytes, str]]) -> Report:
    """Publish every item as fast as the window allows; wait for the PUBACKs."""
    first = time.monotonic()
    for where, payload, _ in items:
        await window.publish(where, payload)
    await window.drain()
    return {"published": window.sent, "first": first, "done": time.monotonic()}


async def timed(window: Window, items: Sequence[tuple[str, bytes, str]], seconds: float) -> Report:
    """Publish the items over and over, as fast as the window allows, for ``seconds``."""
    first = time.monotonic()
    deadline, n = first + seconds, 0
    while time.monotonic() < deadline:
        for _ in range(256):
            where, payload, _event_id = items[n % len(items)]
            await window.publish(where, payload)
            n += 1
    await window.drain()
    return {"published": window.sent, "first": first, "done": time.monotonic()}


async def paced(
    window: Window, items: Sequence[tuple[str, bytes, str]], rate: float, tracker: AckTracker
) -> Report:
    """Publish at ``rate`` per second, noting each publish time; wait for the acks."""
    first = time.perf_counter()
    for n, (where, payload, event_id) in enumerate(items):
        # Yield even when behind schedule: the link writes and reads only while we wait.
        await asyncio.sleep(max(0.0, first + n / rate - time.perf_counter()))
        tracker.sent[event_id] = time.perf_counter()
        await window.publish(where, payload)
    last = time.perf_counter()
    await window.drain()
    await tracker.wait(last + ACK_GRACE_S - time.perf_counter())
    return {
        "published": window.sent,
        "rate": len(items) / (last - first) if last > first else 0.0,
        "latency_ms": [s * 1000 for s in tracker.latency_s.values()],
        "missing": len(items) - len(tracker.latency_s),
        "duplicates": tracker.duplicates,
        "unknown": tracker.unknown,
    }


def plain_subscriber(
    target: MqttTarget,
    results: Queue[Message],
    received: Synchronized[int],
    last_at: Synchronized[float],
    release: ProcessEvent,
) -> None:
    """Child process: count messages on every home's events topic, acknowledging each."""
    try:
        asyncio.run(count_deliveries(target, results, received, last_at, release))
    except Exception:  # noqa: BLE001 - whatever went wrong, the parent must hear of it
        results.put(("error", -1, traceback.format_exc()))


async def count_deliveries(
    target: MqttTarget,
    results: Queue[Message],
    received: Synchronized[int],
    last_at: Synchronized[float],
    release: ProcessEvent,
) -> None:
    """What :func:`plain_subscriber` does, on one link."""
    link = await connect(
        target, f"bench-plain-{os.getpid()}", receive_maximum=SUBSCRIBER_RECEIVE_MAXIMUM
    )
    try:
        await subscribe(link, [EVENTS_FILTER])
        async with asyncio.TaskGroup() as tasks:
            counting = tasks.create_task(count_into(link, received, last_at))
            results.put(("ready", -1, None))
            await wait_event(release, PHASE_TIMEOUT_S, RELEASE_POLL_S)
            counting.cancel()
    finally:
        await link.close()


async def count_into(
    link: MqttLink, received: Synchronized[int], last_at: Synchronized[float]
) -> None:
    """Acknowledge every message ``link`` receives and count it, until cancelled."""
    count = 0
    while True:
        packets = await link.received()
        for packet in packets:
            link.ack(packet.packet_id)
        count += len(packets)
        # Once per batch: each shared value takes a lock between processes.
        received.value = count
        last_at.value = time.monotonic()


class Crew:
    """The child processes of one phase: started together, stopped in any case."""

    def __init__(self, context: SpawnContext) -> None:
        """No processes yet."""
        self.results: Queue[Message] = context.Queue()
        self.start = context.Event()
        self.release = context.Event()
        self.processes: list[SpawnProcess] = []
        self._context = context

    def add(self, target: Any, *args: object) -> None:  # noqa: ANN401 - any process function
        """Start a process running ``target(*args, results, ...)``."""
        process = self._context.Process(target=target, args=args, daemon=True)
        process.start()
        self.processes.append(process)

    def wait_for(self, kind: str, count: int, timeout_s: float) -> dict[int, Any]:
        """Wait for ``count`` messages of ``kind``; a child's error or death fails the phase."""
        got: dict[int, Any] = {}
        deadline = time.monotonic() + timeout_s
        while len(got) < count:
            if time.monotonic() > deadline:
                raise BenchError(f"only {len(got)} of {count} children {kind} in {timeout_s} s")
            try:
                what, index, details = self.results.get(timeout=0.2)
            except queue.Empty:
                dead = [p.exitcode for p in self.processes if p.exitcode is not None]
                if dead:
                    raise BenchError(f"a child process exited early ({dead})") from None
                continue
            if what == "error":
                raise BenchError(f"child {index} failed:\n{details}")
            if what == kind:
                got[index] = details
        return got

    def go(self) -> float:
        """Let the publishers start; the time they were let go."""
        started = time.monotonic()
        self.start.set()
        return started

    def stop(self) -> None:
        """Release every child, then make sure each has ended."""
        self.release.set()
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
        self.results.close()


@contextlib.contextmanager
def crew(context: SpawnContext) -> Iterator[Crew]:
    """A :class:`Crew` stopped on the way out."""
    team = Crew(context)
    try:
        yield team
    finally:
        team.stop()


# --- Services -----------------------------------------------------------------------------


@dataclass
class Services:
    """Where the broker and the database are, and what they are."""

    target: MqttTarget
    hub_mqtt_url: str
    broker: dict[str, object]
    broker_pid: int | None
    database_kind: str
    admin_url: str


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = HUB_STOP_TIMEOUT_S) -> None:
    """SIGTERM, then SIGKILL if it does not end in ``timeout_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout_s)


def start_mosquitto(stack: contextlib.ExitStack, workdir: Path) -> tuple[int, int]:
    """A private Mosquitto with this benchmark's settings: (port, pid)."""
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    config, log = workdir / "mosquitto.conf", workdir / "mosquitto.log"
    for attempt in range(3):
        port = free_port()
        # As in telecare.services: run as whoever runs this, even as root.
        config.write_text(
            f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
            f"listener {port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            f"max_inflight_messages {BROKER_MAX_INFLIGHT}\n"
            f"max_queued_messages {BROKER_MAX_QUEUED}\n"
            "set_tcp_nodelay true\n"  # as deploy/mosquitto/mosquitto.conf
            "log_type error\nlog_type warning\nlog_type notice\n"
            "log_dest stdout\n"
        )
        with log.open("ab") as out:
            process = subprocess.Popen(
                [mosquitto, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT, cwd=workdir
            )
        stack.callback(stop_process, process)
        try:
            wait_for_listener(port, process, log)
        except ServiceError:
            stop_process(process)
            if attempt == 2:
                raise
        else:
            return port, process.pid
    raise BenchError("unreachable")


def start_services(stack: contextlib.ExitStack, workdir: Path) -> Services:
    """The broker and database server named by the environment, or private ones."""
    external_mqtt = os.environ.get("TELECARE_MQTT_URL")
    if external_mqtt:
        endpoint = parse_mqtt_url(external_mqtt)
        if endpoint.tls:
            raise BenchError("mqtts:// is not supported by this benchmark")
        target = MqttTarget(
            external_mqtt,
            endpoint.username or "telecare-bench",
            os.environ.get("TELECARE_MQTT_PASSWORD"),
        )
        hub_url, broker_pid = external_mqtt, None
        broker: dict[str, object] = {"kind": "external"}
    else:
        if broker_kind() != "mosquitto":
            raise BenchError("needs Mosquitto (MQTT 5 shared subscriptions) or TELECARE_MQTT_URL")
        port, broker_pid = start_mosquitto(stack, workdir)
        target = MqttTarget(f"mqtt://127.0.0.1:{port}", "telecare-bench", None)
        hub_url = f"mqtt://telecare-hub@127.0.0.1:{port}"
        broker = {
            "kind": "mosquitto",
            "max_inflight_messages": BROKER_MAX_INFLIGHT,
            "max_queued_messages": BROKER_MAX_QUEUED,
            "persistence": False,
            "set_tcp_nodelay": True,
        }
        say(f"mosquitto on port {port}")
    external_db = os.environ.get("TELECARE_DATABASE_URL")
    if external_db:
        admin_url, db_kind = external_db, "external"
    else:
        server = start_postgres(postgres_kind(), workdir / "pgserver")
        stack.callback(server.stop)
        admin_url, db_kind = server.admin_url, server.kind
        say(f"postgresql ({db_kind}) at {admin_url}")
    return Services(target, hub_url, broker, broker_pid, db_kind, admin_url)


def fresh_database(stack: contextlib.ExitStack, admin_url: str) -> str:
    """Make a database for this run (dropped on the way out); its connection string."""
    name = f"bench_ingest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    stack.callback(drop)
    return make_conninfo(admin_url, dbname=name)


async def prepare_schema(database_url: str, homes: Sequence[str]) -> None:
    """Migrate, make the partitions and register the homes, as the hub and operators do."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await partitions.create_ahead(conn, date.today())  # noqa: DTZ011 - as the hub does
        await home_register.register(conn, homes, DISTRICT)


# --- Hubs ---------------------------------------------------------------------------------


def http_get(port: int, path: str) -> tuple[int, str]:
    """Status and body of ``GET http://127.0.0.1:port/path``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@dataclass
class Hub:
    """One ``telecare hub`` process."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def wait_ready(self) -> None:
        """Wait for ``/readyz`` to say 200."""
        deadline = time.monotonic() + HUB_READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"hub exited with {self.process.returncode}:\n{self.tail()}")
            with contextlib.suppress(OSError):
                if http_get(self.port, "/readyz")[0] == 200:
                    return
            time.sleep(0.1)
        raise BenchError(f"hub not ready in {HUB_READY_TIMEOUT_S} s:\n{self.tail()}")

    def metrics(self) -> dict[str, float]:
        """The samples of its ``/metrics``: name with labels, as written there, to value."""
        status, body = http_get(self.port, "/metrics")
        if status != 200:
            raise BenchError(f"/metrics answered {status}")
        samples = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                samples[name] = float(value)
        return samples

    def tail(self) -> str:
        """The end of its log."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        return "(no log)"


def hub_counters(hubs: Sequence[Hub]) -> dict[str, float]:
    """The counters this benchmark reads, summed over the hubs."""
    totals = dict.fromkeys(COUNTERS.values(), 0.0)
    for hub in hubs:
        for name, value in hub.metrics().items():
            for prefix, key in COUNTERS.items():
                if name.startswith(prefix):
                    totals[key] += value
    return totals


def hub_environment(
    args: argparse.Namespace, services: Services, database_url: str
) -> dict[str, str]:
    """The hubs' environment: ours (TELECARE_* passes through), the flags, then the fixed part."""
    env = dict(os.environ)
    for name in HUB_FLAGS:
        value = getattr(args, name)
        if value is not None:
            env[f"TELECARE_{name.upper()}"] = str(value)
    env.update(
        TELECARE_DATABASE_URL=database_url,
        TELECARE_MQTT_URL=services.hub_mqtt_url,
        TELECARE_MQTT_PROTOCOL="5",
        TELECARE_HTTP_HOST="127.0.0.1",
        TELECARE_LOG_FORMAT="json",
        TELECARE_LOG_LEVEL="warning",
    )
    return env


def hub_settings(env: dict[str, str]) -> dict[str, object]:
    """The settings the hubs run with, as they read them from ``env``."""
    prefix = "TELECARE_"
    values = {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}
    settings = HubSettings.model_validate(values)
    return {name: getattr(settings, name) for name in REPORTED_SETTINGS}


def start_hubs(
    stack: contextlib.ExitStack, replicas: int, env: dict[str, str], workdir: Path
) -> list[Hub]:
    """Start ``replicas`` hubs in one share group and wait until each is ready."""
    telecare = Path(sys.executable).with_name("telecare")
    group = f"bench-{uuid.uuid4().hex[:8]}"
    hubs = []
    for index in range(replicas):
        port, log = free_port(), workdir / f"hub-{index}.log"
        own = {
            **env,
            "TELECARE_MQTT_CLIENT_ID": f"{group}-{index}",
            "TELECARE_MQTT_SHARE_GROUP": group,
            "TELECARE_HTTP_PORT": str(port),
        }
        with log.open("ab") as out:
            process = subprocess.Popen(
                [str(telecare), "hub"], env=own, stdout=out, stderr=out, cwd=workdir
            )
        stack.callback(stop_process, process)
        hubs.append(Hub(port, process, log))
    for hub in hubs:
        hub.wait_ready()
    return hubs


# --- Measurements -------------------------------------------------------------------------


def event_rows(homes: Sequence[str], count: int, seq_base: int) -> list[tuple[object, ...]]:
    """``count`` rows for ``events``, with new ids, homes in turn."""
    now = datetime.now(UTC)
    home_count = len(homes)
    return [
        (
            uuid.uuid4(),
            now,
            now,
            homes[k % home_count],
            DEVICE,
            EventKind.MOTION.value,
            seq_base + k,
            LOCATION,
            MOTION_JSON,
        )
        for k in range(count)
    ]


def copy_limit(database_url: str, homes: Sequence[str], seconds: float) -> float:
    """Rows per second of COPY into ``events``, one transaction per chunk."""
    rows_done, spent = 0, 0.0
    with psycopg.connect(database_url) as conn:
        while spent < seconds:
            rows = event_rows(homes, COPY_CHUNK_ROWS, rows_done)
            started = time.perf_counter()
            with conn.cursor() as cursor, cursor.copy(COPY_EVENTS) as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            spent += time.perf_counter() - started
            rows_done += len(rows)
    return rows_done / spent


def naive_rate(database_url: str, homes: Sequence[str], seconds: float) -> float:
    """Rows per second with one INSERT and commit each."""
    rows_done, spent = 0, 0.0
    with psycopg.connect(database_url, autocommit=True) as conn, conn.cursor() as cursor:
        while spent < seconds:
            rows = event_rows(homes, NAIVE_CHUNK_ROWS, rows_done)
            started = time.perf_counter()
            for row in rows:
                cursor.execute(INSERT_EVENT, row)
            spent += time.perf_counter() - started
            rows_done += len(rows)
    return rows_done / spent


def count_events(conn: psycopg.Connection[Any]) -> int:
    """Rows in ``events`` now."""
    row = conn.execute("SELECT count(*) FROM events").fetchone()
    return int(row[0]) if row else 0


@dataclass
class Bench:
    """One run's fixed parts: where things are, who publishes what."""

    args: argparse.Namespace
    context: SpawnContext
    target: MqttTarget
    homes: list[str]
    database_url: str
    phases: int = 0

    def jobs(
        self, mode: Mode, events: int, *, seconds: float = 0.0, rate: float = 0.0
    ) -> list[PublisherJob]:
        """One job per publisher for a new phase, ``events`` split evenly between them."""
        self.phases += 1
        count = self.args.publishers
        return [
            PublisherJob(
                index=i,
                phase=f"{self.phases}{mode}",
                target=self.target,
                homes=tuple(self.homes[i::count]),
                mode=mode,
                events=events // count + (1 if i < events % count else 0),
                window=self.args.window,
                seconds=seconds,
                rate=rate,
                seq_base=self.phases * 10_000_000,
            )
            for i in range(count)
        ]

    def launch(self, team: Crew, jobs: Sequence[PublisherJob]) -> None:
        """Start the publishers of ``jobs`` and wait until they are ready."""
        for job in jobs:
            team.add(publisher, job, team.results, team.start, team.release)
        team.wait_for("ready", len(jobs), READY_TIMEOUT_S)

    def broker_limit(self) -> float:
        """Messages per second delivered to one plain subscriber while publishers blast."""
        with crew(self.context) as team:
            received = self.context.Value("q", 0)
            last_at = self.context.Value("d", 0.0)
            team.add(plain_subscriber, self.target, team.results, received, last_at, team.release)
            team.wait_for("ready", 1, READY_TIMEOUT_S)
            seconds = self.args.seconds
            jobs = self.jobs(
                "timed", TIMED_DISTINCT_PAYLOADS * self.args.publishers, seconds=seconds
            )
            self.launch(team, jobs)
            team.go()
            reports = team.wait_for("done", len(jobs), seconds + PHASE_TIMEOUT_S)
            published = sum(r["published"] for r in reports.values())
            first = min(r["first"] for r in reports.values())
            seen, moved = received.value, time.monotonic()
            while received.value < published and time.monotonic() - moved < 5:
                time.sleep(0.05)
                if received.value != seen:
                    seen, moved = received.value, time.monotonic()
            got = received.value
            say(f"broker: {published} published, {got} delivered to the plain subscriber")
            if not got:
                raise BenchError("the plain subscriber received nothing")
            return float(got / (last_at.value - first))

    def hub_blast(self, events: int, hubs: Sequence[Hub], *, cpu_pids: CpuPids | None) -> Report:
        """Publish ``events`` as fast as allowed; time until all are rows in ``events``."""
        with (
            psycopg.connect(self.database_url, autocommit=True) as conn,
            crew(self.context) as team,
        ):
            base = count_events(conn)
            jobs = self.jobs("blast", events)
            self.launch(team, jobs)
            before = hub_counters(hubs)
            cpu_before = cpu_pids.sample(conn, team) if cpu_pids else None
            released = team.go()
            done_at = wait_for_rows(conn, base + events, released)
            cpu = cpu_pids.percent(cpu_before, conn, team) if cpu_pids and cpu_before else {}
            reports = team.wait_for("done", len(jobs), PHASE_TIMEOUT_S)
            first = min(r["first"] for r in reports.values())
            elapsed = done_at - first
            after = hub_counters(hubs)
            moved = {key: after[key] - before[key] for key in after}
            return {
                "events_per_s": events / elapsed,
                "messages_per_s": moved["messages"] / elapsed,
                "acks_per_event": moved["acks"] / events,
                "mean_batch_events": moved["batched_events"] / max(1.0, moved["batches"]),
                "flush_share": moved["flush_s"] / elapsed,
                "ingest_s": elapsed,
                "publish_s": max(r["done"] for r in reports.values()) - first,
                "cpu_percent": cpu,
            }

    def latency(self, rate: float) -> Report:
        """Ack latency with the publishers paced together at ``rate`` events per second."""
        seconds = self.args.seconds
        per_publisher = rate / self.args.publishers
        events = math.ceil(per_publisher * seconds) * self.args.publishers
        with crew(self.context) as team:
            jobs = self.jobs("paced", events, rate=per_publisher)
            self.launch(team, jobs)
            team.go()
            reports = team.wait_for("done", len(jobs), seconds + ACK_GRACE_S + PHASE_TIMEOUT_S)
        latencies = sorted(ms for r in reports.values() for ms in r["latency_ms"])
        enough = len(latencies) >= 2  # what quantiles needs
        cuts = statistics.quantiles(latencies, n=100, method="inclusive") if enough else []
        return {
            "ack_p50_ms": round(cuts[49], 2) if cuts else None,
            "ack_p99_ms": round(cuts[98], 2) if cuts else None,
            "paced_per_s": round(sum(r["rate"] for r in reports.values())),
            "acks_received": len(latencies),
            "acks_missing": sum(r["missing"] for r in reports.values()),
            "acks_duplicate": sum(r["duplicates"] for r in reports.values()),
        }


def wait_for_rows(conn: psycopg.Connection[Any], target: int, since: float) -> float:
    """Poll ``count(*)`` until it reaches ``target``; the time it did."""
    seen, moved = count_events(conn), time.monotonic()
    first = seen
    while True:
        now = time.monotonic()
        rows = count_events(conn)
        if rows >= target:
            return time.monotonic()
        if rows != seen:
            seen, moved = rows, now
        if now - moved > STALL_S or now - since > PHASE_TIMEOUT_S:
            raise BenchError(f"stuck at {rows} of {target} rows in events")
        # Poll often near the end, rarely before: count(*) is work for the database too.
        rate = (rows - first) / (now - since) if rows > first else 0.0
        left = (target - rows) / rate if rate else 0.25
        time.sleep(min(0.25, max(0.005, left / 4)))


@dataclass
class CpuPids:
    """Which processes to charge CPU time to, by role."""

    hubs: list[int]
    broker: int | None

    def sample(self, conn: psycopg.Connection[Any], team: Crew) -> dict[str, Any]:
        """CPU seconds used so far by each role's processes, and the machine's busy time."""
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
        roles: dict[str, list[int]] = {
            "hubs": self.hubs,
            "broker": [self.broker] if self.broker else [],
            "db_backends": [int(row[0]) for row in rows],
            "publishers": [p.pid for p in team.processes if p.pid is not None],
        }
        used: dict[str, Any] = {}
        for role, pids in roles.items():
            for pid in pids:
                with contextlib.suppress(psutil.Error):
                    times = psutil.Process(pid).cpu_times()
                    used[f"{role}/{pid}"] = times.user + times.system
        total = psutil.cpu_times()
        used["machine"] = sum(total) - total.idle - getattr(total, "iowait", 0.0)
        used["at"] = time.monotonic()
        return used

    def percent(
        self, before: dict[str, Any], conn: psycopg.Connection[Any], team: Crew
    ) -> dict[str, float]:
        """Percent of one core per role since ``before`` (backends started since count whole)."""
        after = self.sample(conn, team)
        wall = after["at"] - before["at"]
        shares: dict[str, float] = {}
        for key, value in after.items():
            if key == "at":
                continue
            role = key.split("/", 1)[0]
            shares[role] = shares.get(role, 0.0) + value - before.get(key, 0.0)
        result = {role: round(100 * used / wall, 1) for role, used in shares.items()}
        result["machine_cores"] = float(psutil.cpu_count() or 0)
        return result


# --- The run ------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> Report:
    """Start the services, measure every figure, stop everything."""
    began = time.monotonic()
    homes = [f"bench-{n:05d}" for n in range(args.homes)]
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ingest-")))
        services = start_services(stack, workdir)
        database_url = fresh_database(stack, services.admin_url)
        asyncio.run(prepare_schema(database_url, homes))
        bench = Bench(
            args, multiprocessing.get_context("spawn"), services.target, homes, database_url
        )

        copy_per_s = copy_limit(database_url, homes, args.seconds)
        say(f"COPY: {copy_per_s:.0f} rows/s")
        naive_per_s = naive_rate(database_url, homes, min(args.seconds, NAIVE_MAX_S))
        say(f"one INSERT per row: {naive_per_s:.0f} rows/s")
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("TRUNCATE events")

        broker_per_s = bench.broker_limit()
        say(f"broker to one subscriber: {broker_per_s:.0f} messages/s")

        env = hub_environment(args, services, database_url)
        hubs = start_hubs(stack, args.replicas, env, workdir)
        say(f"{len(hubs)} hub(s) ready")
        warm = bench.hub_blast(args.warmup_events, hubs, cpu_pids=None)
        say(f"warm-up: {warm['events_per_s']:.0f} events/s")
        worth = round(warm["events_per_s"] * args.seconds)
        total = args.events or min(MAX_EVENTS, max(MIN_EVENTS, worth))
        pids = CpuPids([hub.process.pid for hub in hubs], services.broker_pid)
        main = bench.hub_blast(total, hubs, cpu_pids=pids)
        say(f"hub: {total} events at {main['events_per_s']:.0f} events/s")
        acks = bench.latency(main["events_per_s"] / 2)
        say(f"acks: p50 {acks['ack_p50_ms']} ms, p99 {acks['ack_p99_ms']} ms")
        with psycopg.connect(database_url, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM dead_letters").fetchone()
        dead = int(row[0]) if row else 0

        return {
            "benchmark": "ingest",
            "seconds": args.seconds,
            "homes": args.homes,
            "publishers": args.publishers,
            "replicas": args.replicas,
            "window": args.window,
            "events_total": total,
            "events_per_s": round(main["events_per_s"]),
            "messages_per_s": round(main["messages_per_s"]),
            "ingest_s": round(main["ingest_s"], 2),
            "publish_s": round(main["publish_s"], 2),
            "mean_batch_events": round(main["mean_batch_events"], 1),
            "acks_per_event": round(main["acks_per_event"], 3),
            "flush_share": round(main["flush_share"], 3),
            "warmup_events": args.warmup_events,
            "warmup_events_per_s": round(warm["events_per_s"]),
            **acks,
            "ack_grace_s": ACK_GRACE_S,
            "broker_limit_per_s": round(broker_per_s),
            "copy_limit_per_s": round(copy_per_s),
            "copy_chunk_rows": COPY_CHUNK_ROWS,
            "ratio": round(main["events_per_s"] / min(broker_per_s, copy_per_s), 3),
            "naive_events_per_s": round(naive_per_s),
            "hub": hub_settings(env),
            "broker": services.broker,
            "database": services.database_kind,
            "cpu_percent": main["cpu_percent"],
            "dead_letters": dead,
            "wall_s": round(time.monotonic() - began, 1),
        }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--homes", type=int, default=2000, help="home topics published to")
    parser.add_argument("--publishers", type=int, default=3, help="publisher processes")
    parser.add_argument("--replicas", type=int, default=1, help="hub processes (one share group)")
    parser.add_argument(
        "--window", type=int, default=1000, help="unacknowledged publishes per publisher"
    )
    parser.add_argument(
        "--events", type=int, help="events in the measured phase (default: seconds' worth)"
    )
    parser.add_argument("--warmup-events", type=int, default=6000, help="events to warm up on")
    parser.add_argument("--batch-max-events", type=int, help="hub setting (else TELECARE_*)")
    parser.add_argument("--batch-max-wait-ms", type=float, help="hub setting (else TELECARE_*)")
    parser.add_argument("--event-writers", type=int, help="hub setting (else TELECARE_*)")
    args = parser.parse_args()
    sizes = (args.seconds, args.homes, args.publishers, args.replicas, args.window)
    if min(*sizes, args.events or 1, args.warmup_events) <= 0:
        parser.error("every count and --seconds must be positive")
    if args.homes < args.publishers:
        parser.error("each publisher needs at least one home")
    configure_logging("warning")  # the schema's log lines go to stderr, like the progress
    # SIGTERM unwinds like Ctrl-C does, so the hubs, broker and database server are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        result = run(args)
    except (BenchError, ServiceError, psycopg.Error) as err:
        say(f"failed: {err}")
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
