"""Running simulated homes live: a clock, the homes' readings, incidents, and where they go.

Two ways to send (``Emitter``):

- :class:`LoadEmitter`, many homes over a few connections: each reading is published as a
  one-event batch on its home's ``up/events``, or ``up/alarms`` for an alarm-class event (as
  a unit does in normal running), with the
  home's own ``seq``, and sent again until the hub's ack names it. For test and load brokers:
  one connection speaks for many homes, which a production ACL forbids.
- :class:`GatewayEmitter`, each home runs the real home unit (:class:`gateway.unit.HomeUnit`)
  with its own connection, SQLite outbox and the simulator's radio as its device adapter.

Every event sent is written to the event log (JSON lines), so tests can check exactness.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TextIO

import structlog
from pydantic import ValidationError

from device_sim.heartbeats import HeartbeatSchedule
from device_sim.home import Incident, IncidentKind, SimHome
from device_sim.people import person, poisson
from gateway.adapters.radio import SimRadio
from gateway.config import GatewaySettings
from gateway.outbox import Outbox
from gateway.unit import HomeUnit
from protocol import (
    ROOT,
    Ack,
    Channel,
    Event,
    EventBatch,
    Heartbeat,
    PowerSource,
    Presence,
    Status,
    StatusReason,
    channel_for,
    decode,
    encode,
    topic,
)
from runtime.mqtt_link import LinkClosedError, MqttLink

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from gateway.outbox import Draft
    from runtime.mqtt import MqttOptions

log = structlog.get_logger(__name__)

TICK_S = 0.2
"""How often (real seconds) the homes' readings up to the simulated now are sent."""
RESEND_AFTER_S = 10.0
RESEND_MAX_S = 300.0
HOMES_PER_LINK = 1000
HEARTBEAT_S = 60
HEARTBEAT_CHECK_S = 0.2
"""How often (real seconds) load mode sends the heartbeats whose phase has come round."""


class SimClock:
    """Simulated time: ``start`` plus real time elapsed times ``speed``."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        """Start now at ``start``."""
        self.start = start
        self.speed = speed
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        """The simulated time."""
        return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)


class EventLog:
    """Every event sent, one JSON object per line."""

    def __init__(self, out: TextIO | None) -> None:
        """Write to ``out`` (nowhere when None); counts either way."""
        self._out = out
        self.count = 0

    def write(self, event: Event) -> None:
        """Note one event."""
        self.count += 1
        if self._out is not None:
            record = {
                "event_id": str(event.event_id),
                "home_id": event.home_id,
                "device_id": event.device_id,
                "kind": event.kind.value,
                "seq": event.seq,
                "ts": event.ts.isoformat(),
            }
            self._out.write(json.dumps(record) + "\n")


class Emitter(Protocol):
    """Where the simulation's readings go."""

    async def start(self, homes: list[SimHome]) -> None:
        """Connect whatever the homes need."""
        ...

    def emit(self, home: SimHome, draft: Draft) -> None:
        """Send one reading of ``home``."""
        ...

    def take_offline(self, home_id: str, seconds: float) -> None:
        """The home's unit loses its connection for ``seconds`` (real time)."""
        ...

    def pending(self) -> int:
        """Events sent and not yet acknowledged."""
        ...

    async def stop(self) -> None:
        """Disconnect, cleanly."""
        ...


def make_homes(count: int, seed: int, prefix: str, *, synchronized: bool = False) -> list[SimHome]:
    """``count`` homes named ``{prefix}-00001`` and so on, each with its own person.

    ``synchronized``: every home's timers in step (see :attr:`SimHome.synchronized`).
    """
    return [
        SimHome(f"{prefix}-{n:05d}", person(n, seed), seed, synchronized=synchronized)
        for n in range(1, count + 1)
    ]


@dataclass
class Simulation:
    """Homes living on a clock, their readings sent by an emitter."""

    homes: list[SimHome]
    emitter: Emitter
    clock: SimClock
    incidents_per_hour: float = 0.0
    """Random incidents across all homes per simulated hour."""
    seed: int = 1
    _by_id: dict[str, SimHome] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=random.Random)
    sent_readings: int = 0

    def __post_init__(self) -> None:
        """Index the homes."""
        self._by_id = {home.home_id: home for home in self.homes}
        self._rng = random.Random(f"{self.seed}:incidents")  # noqa: S311 - a simulation

    def incident(
        self, home_id: str, kind: IncidentKind, duration: timedelta | None = None
    ) -> Incident:
        """Make ``kind`` happen in ``home_id`` now ("press the panic button in home H now").

        Raises:
            KeyError: no such home in this simulation.
        """
        home = self._by_id[home_id]
        incident = home.add_incident(kind, self.clock.now(), duration)
        if kind is IncidentKind.UNIT_OFFLINE:
            self.emitter.take_offline(home_id, incident.duration.total_seconds() / self.clock.speed)
        log.info("sim_incident", home_id=home_id, kind=kind.value, at=incident.at.isoformat())
        return incident

    async def run(self, seconds: float | None = None, progress_every_s: float = 10.0) -> None:
        """Send readings as simulated time passes, for ``seconds`` (forever when None)."""
        cursor = self.clock.now()
        ends_at = None if seconds is None else time.monotonic() + seconds
        next_progress = time.monotonic() + progress_every_s
        while ends_at is None or time.monotonic() < ends_at:
            await asyncio.sleep(TICK_S)
            now = self.clock.now()
            self._random_incidents(cursor, now)
            for home in self.homes:
                for draft in home.readings(cursor, now):
                    self.emitter.emit(home, draft)
                    self.sent_readings += 1
            cursor = now
            if time.monotonic() >= next_progress:
                next_progress += progress_every_s
                log.info(
                    "sim_progress",
                    sim_time=now.isoformat(timespec="seconds"),
                    homes=len(self.homes),
                    readings=self.sent_readings,
                    unacknowledged=self.emitter.pending(),
                )

    def _random_incidents(self, start: datetime, end: datetime) -> None:
        hours = (end - start).total_seconds() / 3600
        for _ in range(poisson(self._rng, self.incidents_per_hour * hours)):
            home = self._rng.choice(self.homes)
            kind = self._rng.choice(list(IncidentKind))
            self.incident(home.home_id, kind)


@dataclass
class _LoadHome:
    seq: int = 0
    unacked: int = 0
    offline: bool = False
    offline_until: float = 0.0
    held: list[Event] = field(default_factory=list)


@dataclass
class _Unacked:
    home_id: str
    topic: str
    payload: bytes
    resend_at: float
    attempts: int = 0


class LoadEmitter:
    """Many homes over a few MQTT connections, each event resent until acknowledged.

    Each home's heartbeat goes every minute at the home's own phase of the minute (all at
    once when the homes are synchronized), as units started at different moments send them.

    It does not reconnect: a lost connection raises :class:`LinkClosedError` out of
    :meth:`emit`, which ends the run (the command then exits non-zero).
    """

    def __init__(self, options: MqttOptions, log_: EventLog, client_prefix: str = "sim") -> None:
        """Publish through the broker of ``options``."""
        self._options = options
        self._log = log_
        self._prefix = client_prefix
        self._links: list[MqttLink] = []
        self._link_of: dict[str, MqttLink] = {}
        self._homes: dict[str, _LoadHome] = {}
        self._unacked: dict[uuid.UUID, _Unacked] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._failure: BaseException | None = None
        self.acked = 0
        self.refused = 0
        """Events the hub refused for good (never resent)."""

    async def start(self, homes: list[SimHome]) -> None:
        """Open a connection per thousand homes; say every home is online."""
        for start in range(0, len(homes), HOMES_PER_LINK):
            link = await MqttLink.open(
                self._options, client_id=f"{self._prefix}-{start}-{uuid.uuid4().hex[:6]}"
            )
            if not self._links:
                # One connection hears every home's acks; on all of them each ack would
                # arrive once per connection.
                await link.subscribe([f"{ROOT}/+/{Channel.ACKS.value}"])
                self._watch(asyncio.create_task(self._read_acks(link)))
            self._links.append(link)
            for home in homes[start : start + HOMES_PER_LINK]:
                self._link_of[home.home_id] = link
                self._homes[home.home_id] = _LoadHome()
                self._status(home.home_id, Presence.ONLINE, StatusReason.CONNECTED)
        self._watch(asyncio.create_task(self._resend_forever()))
        self._watch(asyncio.create_task(self._beat_forever(HeartbeatSchedule(homes, HEARTBEAT_S))))

    def _watch(self, task: asyncio.Task[None]) -> None:
        self._tasks.append(task)
        task.add_done_callback(self._task_ended)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._failure = task.exception()

    def emit(self, home: SimHome, draft: Draft) -> None:
        """Publish one reading as a one-event batch (held while the home is offline).

        Raises:
            LinkClosedError: a connection was lost (this emitter does not reconnect).
        """
        if self._failure is not None:
            raise self._failure
        state = self._homes[home.home_id]
        state.seq += 1
        event = draft.to_event(home.home_id, state.seq)
        if time.monotonic() < state.offline_until:
            state.held.append(event)
            return
        self._send(event)

    def take_offline(self, home_id: str, seconds: float) -> None:
        """Publish the home's will-like offline status and hold its events for ``seconds``."""
        state = self._homes[home_id]
        state.offline_until = time.monotonic() + seconds
        state.offline = True
        self._status(home_id, Presence.OFFLINE, StatusReason.CONNECTION_LOST)

    def pending(self) -> int:
        """Events not yet acknowledged (held ones included)."""
        return len(self._unacked) + sum(len(h.held) for h in self._homes.values())

    async def stop(self) -> None:
        """Say offline for every home and disconnect."""
        for home_id in self._homes:
            self._status(home_id, Presence.OFFLINE, StatusReason.SHUTDOWN)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for link in self._links:
            with contextlib.suppress(LinkClosedError, TimeoutError):
                async with asyncio.timeout(5):
                    await link.drained()
            await link.close()

    def _send(self, event: Event) -> None:
        batch = EventBatch(home_id=event.home_id, events=[event])
        where = topic(event.home_id, channel_for(batch))
        payload = encode(batch)
        self._unacked[event.event_id] = _Unacked(
            event.home_id, where, payload, time.monotonic() + RESEND_AFTER_S
        )
        self._homes[event.home_id].unacked += 1
        self._link_of[event.home_id].publish(where, payload, qos=1)
        self._log.write(event)

    def _status(self, home_id: str, state: Presence, reason: StatusReason) -> None:
        status = Status(home_id=home_id, state=state, reason=reason, ts=datetime.now(UTC))
        with contextlib.suppress(LinkClosedError):
            self._link_of[home_id].publish(
                topic(home_id, Channel.STATUS), encode(status), qos=1, retain=True
            )

    async def _read_acks(self, link: MqttLink) -> None:
        while True:
            for packet in await link.received():
                link.ack(packet.packet_id)
                try:
                    ack = decode(Channel.ACKS, packet.payload)
                except ValueError:
                    continue
                if isinstance(ack, Ack):
                    for event_id in ack.committed:
                        entry = self._unacked.pop(event_id, None)
                        if entry is not None:
                            self.acked += 1
                            self._homes[entry.home_id].unacked -= 1
                    for refused in ack.refused:
                        entry = self._unacked.pop(refused.event_id, None)
                        if entry is not None:
                            self.refused += 1
                            self._homes[entry.home_id].unacked -= 1

    async def _resend_forever(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            self._release_held(now)
            self._resend_due(now)

    async def _beat_forever(self, schedule: HeartbeatSchedule) -> None:
        # Several checks a second, each sending only the homes whose phase came round since
        # the last, keep a home's heartbeat within a check of its phase and the fleet's spread.
        started = checked = time.monotonic()
        while True:
            await asyncio.sleep(HEARTBEAT_CHECK_S)
            now = time.monotonic()
            due = schedule.due(checked - started, now - started)
            checked = now
            self._heartbeats(due, now, uptime_s=int(now - started))

    def _release_held(self, now: float) -> None:
        for home_id, state in self._homes.items():
            if state.offline and now >= state.offline_until:
                state.offline = False
                self._status(home_id, Presence.ONLINE, StatusReason.CONNECTED)
                held, state.held = state.held, []
                for event in held:
                    self._send(event)

    def _resend_due(self, now: float) -> None:
        # Each event waits twice as long after every resend (to 5 min), so a hub that has
        # fallen behind is not buried under copies of what it has yet to acknowledge.
        for entry in self._unacked.values():
            if now >= entry.resend_at and now >= self._homes[entry.home_id].offline_until:
                entry.attempts += 1
                entry.resend_at = now + min(RESEND_AFTER_S * 2**entry.attempts, RESEND_MAX_S)
                self._link_of[entry.home_id].publish(entry.topic, entry.payload, qos=1)

    def _heartbeats(self, home_ids: list[str], now: float, uptime_s: int) -> None:
        for home_id in home_ids:
            state = self._homes[home_id]
            if now < state.offline_until:
                continue
            beat = Heartbeat(
                home_id=home_id,
                ts=datetime.now(UTC),
                interval_s=HEARTBEAT_S,
                uptime_s=uptime_s,
                power=PowerSource.MAINS,
                outbox_depth=state.unacked + len(state.held),
                outbox_dropped=0,
            )
            with contextlib.suppress(LinkClosedError):
                self._link_of[home_id].publish(
                    topic(home_id, Channel.HEARTBEAT), encode(beat), qos=0
                )


class GatewayEmitter:
    """Each home runs the real home unit, with its own connection and outbox."""

    def __init__(self, options: MqttOptions, state_dir: Path, log_: EventLog) -> None:
        """Units connect to the broker of ``options``; outboxes live in ``state_dir``."""
        self._options = options
        self._state_dir = state_dir
        self._log = log_
        self.units: dict[str, HomeUnit] = {}
        self._radios: dict[str, SimRadio] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._outboxes: list[Outbox] = []

    async def start(self, homes: list[SimHome]) -> None:
        """Start a unit per home."""
        self._state_dir.mkdir(parents=True, exist_ok=True)
        for home in homes:
            settings = GatewaySettings(
                mqtt_url=self._options.url,
                mqtt_protocol=self._options.protocol,
                mqtt_password=self._options.password,
                home_id=home.home_id,
                outbox_path=self._state_dir / f"{home.home_id}.sqlite3",
            )
            outbox = Outbox(settings.outbox_path, home.home_id)
            unit = HomeUnit(settings, outbox)
            radio = SimRadio()
            self._outboxes.append(outbox)
            self.units[home.home_id] = unit
            self._radios[home.home_id] = radio
            self._tasks.append(asyncio.create_task(unit.run()))
            self._tasks.append(asyncio.create_task(radio.run(self._reporter(unit))))

    def _reporter(self, unit: HomeUnit) -> Callable[[Draft], None]:
        def report(draft: Draft) -> None:
            try:
                event = unit.report(draft)
            except ValidationError as err:
                log.warning("sim_reading_refused", error=str(err))
                return
            if event is not None:
                self._log.write(event)

        return report

    def emit(self, home: SimHome, draft: Draft) -> None:
        """Transmit the reading over the home's simulated radio."""
        self._radios[home.home_id].transmit(draft)

    def take_offline(self, home_id: str, seconds: float) -> None:
        """Cut the unit's broker connection for ``seconds``."""
        self.units[home_id].cut_connection(seconds)

    def pending(self) -> int:
        """Events in the units' outboxes."""
        return sum(outbox.depth for outbox in self._outboxes)

    async def stop(self) -> None:
        """Stop every unit (each says offline) and close the outboxes."""
        radios = self._tasks[1::2]
        for task in radios:
            task.cancel()
        await asyncio.gather(*(unit.stop() for unit in self.units.values()))
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for outbox in self._outboxes:
            outbox.close()
