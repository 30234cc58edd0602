"""The home unit: outbox to hub over MQTT, acks back, heartbeats, status and commands.

One broker connection per unit, as its home id (the MQTT username the broker's ACL confines
to the home's own topics), with a persistent session so acks and commands sent while it was
away are waiting when it returns. Its will sets the retained status to offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiomqtt
import structlog

from gateway.outbox import Draft
from gateway.sending import SendPlan
from gateway.speakerphone.phone import Speakerphone
from gateway.speakerphone.settings import SpeakerphoneConfigError
from protocol import (
    MAX_DEVICES_IN_HEARTBEAT,
    Ack,
    CallAnswer,
    CallOffer,
    Channel,
    CommandOutcome,
    ConfigCommand,
    DeviceHealth,
    Direction,
    EventKind,
    Hangup,
    Heartbeat,
    IceCandidate,
    LocateCommand,
    PowerSource,
    Presence,
    ProtocolError,
    SelfTestCommand,
    Status,
    StatusReason,
    channel_for,
    decode_topic,
    encode,
    topic,
)
from runtime.mqtt import make_client, send_without_delay

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Iterable

    from gateway.config import GatewaySettings
    from gateway.outbox import Outbox
    from gateway.speakerphone.phone import Microphone
    from protocol import Event

log = structlog.get_logger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600
"""The broker keeps a unit's acks and commands this long while it is away."""
SENT_LOG_LENGTH = 100_000
STALE_OFFER_S = 60
"""A call offer older than this (queued while the unit was away) is not answered."""
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 60.0


@dataclass
class UnitState:
    """What the unit shows and the simulator, tests and log can read."""

    connected: bool = False
    alarm_received: uuid.UUID | None = None
    """The alarm the hub said it raised from our last alarm event ("alarm received")."""
    last_alarm_event: uuid.UUID | None = None
    last_alarm_at: float | None = None
    refused: Counter[str] = field(default_factory=Counter)
    """Events the hub refused for good, by reason: deleted from the outbox, never resent."""


class HomeUnit:
    """One home's unit. Feed it readings with :meth:`report`; :meth:`run` keeps it connected."""

    def __init__(
        self,
        settings: GatewaySettings,
        outbox: Outbox,
        *,
        clock: Callable[[], float] = time.monotonic,
        microphone: Microphone | None = None,
    ) -> None:
        """A unit for ``settings.home_id`` that sends what ``outbox`` holds.

        ``microphone`` makes each call's audio source (a 1 kHz tone when None).
        """
        self._settings = settings
        self._home_id = settings.home_id
        self._outbox = outbox
        self._clock = clock
        self._started = clock()
        self._plan = SendPlan(self._home_id, ack_timeout_s=settings.ack_timeout_s)
        self._wake = asyncio.Event()
        self._heartbeat_s = settings.heartbeat_interval_s
        self._cancel_window_s = settings.cancel_window_s
        self._client: aiomqtt.Client | None = None
        self._stopping = asyncio.Event()
        self._away_until = 0.0
        self._connected_at = datetime.now(UTC)
        self.speakerphone = Speakerphone(
            self._home_id,
            self._send_call,
            max_call_s=settings.max_call_s,
            microphone=microphone,
        )
        self._call_tasks: set[asyncio.Task[None]] = set()
        self._power = PowerSource.MAINS
        self._devices: dict[str, DeviceHealth] = {}
        self._health_sources: list[Callable[[], Iterable[DeviceHealth]]] = []
        self.state = UnitState()
        self.sent: deque[uuid.UUID] = deque(maxlen=SENT_LOG_LENGTH)
        """The latest event ids published, in order (resends included): the send log."""

    def report(self, draft: Draft) -> Event | None:
        """Store a device reading in the outbox (durably) and have it sent.

        A cancel press within the cancel window of an alarm names that alarm's event.
        Returns the event, or None if the outbox's size policy dropped it.
        """
        if draft.kind == EventKind.CANCEL:
            draft = self._cancel_of(draft)
        event = self._outbox.add(draft)
        # An event dropped to make room will never be acknowledged: stop waiting for it.
        self._plan.acknowledged(self._outbox.take_dropped())
        self._note_device(draft)
        if event is not None and _raises_alarm(event):
            self.state.last_alarm_event = event.event_id
            self.state.last_alarm_at = self._clock()
            self.state.alarm_received = None
        self._wake.set()
        return event

    def add_health_source(self, source: Callable[[], Iterable[DeviceHealth]]) -> None:
        """Have heartbeats include what ``source`` (a device adapter) knows of its devices."""
        self._health_sources.append(source)

    def _note_device(self, draft: Draft) -> None:
        if draft.kind == EventKind.MAINS_POWER:
            self._power = PowerSource.MAINS if draft.value.get("on") else PowerSource.BATTERY
        known = self._devices.get(draft.device_id)
        battery = known.battery_percent if known else None
        if draft.kind == EventKind.BATTERY_LOW and isinstance(draft.value.get("percent"), int):
            battery = draft.value["percent"]
        self._devices[draft.device_id] = DeviceHealth(
            device_id=draft.device_id, battery_percent=battery, last_seen=draft.ts
        )

    def _device_health(self) -> list[DeviceHealth]:
        merged = dict(self._devices)
        for source in self._health_sources:
            for health in source():
                merged[health.device_id] = health
        # The most recently heard first, so a capped list keeps the devices that matter now.
        ordered = sorted(
            merged.values(), key=lambda h: h.last_seen or datetime.min.replace(tzinfo=UTC)
        )
        return ordered[::-1][:MAX_DEVICES_IN_HEARTBEAT]

    def _cancel_of(self, draft: Draft) -> Draft:
        at, alarm = self.state.last_alarm_at, self.state.last_alarm_event
        within = at is not None and self._clock() - at <= self._cancel_window_s
        cancels = alarm if within else None
        return Draft(draft.device_id, draft.kind, {"cancels": cancels}, draft.ts, draft.location)

    async def run(self) -> None:
        """Stay connected (reconnecting with backoff) until :meth:`stop`."""
        delay = BACKOFF_FIRST_S
        while not self._stopping.is_set():
            away_s = self._away_until - self._clock()
            if away_s > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(away_s):
                        await self._stopping.wait()
                continue
            try:
                async with self._connect() as client:
                    delay = BACKOFF_FIRST_S
                    await self._session(client)
            except aiomqtt.MqttError as err:
                log.warning("gateway_connection_lost", home_id=self._home_id, error=str(err))
            except Exception:
                # A disk error or a bug must not leave a unit that no longer sends while its
                # devices go on filling the outbox: log it and connect again.
                log.exception("gateway_session_failed", home_id=self._home_id)
            finally:
                self._client = None
                self.state.connected = False
            if self._stopping.is_set():
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay * (0.5 + random.random())):  # noqa: S311 - jitter
                    await self._stopping.wait()
            delay = min(delay * 2, BACKOFF_MAX_S)

    def cut_connection(self, seconds: float) -> None:
        """Lose the broker connection as a cut cable would, and stay away for ``seconds``.

        The broker then publishes the unit's will; events meanwhile wait in the outbox.
        """
        self._away_until = self._clock() + seconds
        client = self._client
        if client is not None:
            sock = client._client.socket()  # noqa: SLF001 - paho's socket: no API drops it rudely
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    async def stop(self) -> None:
        """Hang up any call, say offline (shutdown) and disconnect; events stay in the outbox."""
        with contextlib.suppress(aiomqtt.MqttError):
            await self.speakerphone.close()
        client = self._client
        if client is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await client.publish(
                    topic(self._home_id, Channel.STATUS),
                    encode(self._status(Presence.OFFLINE, StatusReason.SHUTDOWN)),
                    qos=1,
                    retain=True,
                )
        self._stopping.set()

    def _connect(self) -> aiomqtt.Client:
        # The will and the "online" that follows carry the same time, the connect time: the
        # hub keeps the newer status, and on a tie the later one to arrive, which is the will.
        self._connected_at = datetime.now(UTC)
        will = aiomqtt.Will(
            topic(self._home_id, Channel.STATUS),
            encode(
                self._status(Presence.OFFLINE, StatusReason.CONNECTION_LOST, self._connected_at)
            ),
            qos=1,
            retain=True,
        )
        return make_client(
            self._settings.mqtt_options(),
            identifier=f"unit-{self._home_id}",
            username=self._home_id,
            session_expiry_s=SESSION_EXPIRY_S,
            will=will,
        )

    async def _session(self, client: aiomqtt.Client) -> None:
        self._client = client
        send_without_delay(client)
        await client.subscribe(
            [
                (topic(self._home_id, Channel.ACKS), 1),
                (topic(self._home_id, Channel.COMMANDS), 1),
                (topic(self._home_id, Channel.CALL_DOWN), 1),
            ]
        )
        await client.publish(
            topic(self._home_id, Channel.STATUS),
            encode(self._status(Presence.ONLINE, StatusReason.CONNECTED, self._connected_at)),
            qos=1,
            retain=True,
        )
        self.state.connected = True
        log.info("gateway_connected", home_id=self._home_id, outbox_depth=self._outbox.depth)
        self._plan.reconnected()
        self._wake.set()
        stopping = asyncio.ensure_future(self._stopping.wait())
        tasks = [
            asyncio.ensure_future(self._send_forever(client)),
            asyncio.ensure_future(self._heartbeat_forever(client)),
            asyncio.ensure_future(self._receive_forever(client)),
        ]
        try:
            done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in [stopping, *tasks]:
                task.cancel()
            await asyncio.gather(stopping, *tasks, return_exceptions=True)
        for task in tasks:
            if task in done and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _send_forever(self, client: aiomqtt.Client) -> None:
        while True:
            now = self._clock()
            waiting = self._outbox.first_to_send(self._plan.window)
            for batch in self._plan.due(waiting, now):
                where = topic(self._home_id, channel_for(batch))
                await client.publish(where, encode(batch), qos=1)
                self.sent.extend(e.event_id for e in batch.events)
                log.debug("gateway_sent", home_id=self._home_id, events=len(batch.events))
            resend_at = self._plan.next_resend()
            wait_s = None if resend_at is None else max(resend_at - self._clock(), 0.05)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self._wake.wait()

    async def _heartbeat_forever(self, client: aiomqtt.Client) -> None:
        while True:
            beat = Heartbeat(
                home_id=self._home_id,
                ts=datetime.now(UTC),
                interval_s=self._heartbeat_s,
                uptime_s=int(self._clock() - self._started),
                power=self._power,
                outbox_depth=self._outbox.depth,
                outbox_dropped=self._outbox.dropped,
                devices=self._device_health(),
            )
            await client.publish(topic(self._home_id, Channel.HEARTBEAT), encode(beat), qos=0)
            await asyncio.sleep(self._heartbeat_s)

    async def _receive_forever(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            try:
                received = decode_topic(message.topic.value, payload, direction=Direction.DOWN)
            except ProtocolError as err:
                log.warning(
                    "gateway_message_refused",
                    home_id=self._home_id,
                    topic=message.topic.value,
                    reason=err.reason.value,
                    detail=err.detail,
                )
                continue
            if isinstance(received.message, Ack):
                self._acknowledged(received.message)
            elif isinstance(received.message, ConfigCommand | SelfTestCommand | LocateCommand):
                self._command(received.message)
            elif isinstance(received.message, CallOffer | IceCandidate | Hangup):
                self._call_signal(received.message)

    def _call_signal(self, signal: CallOffer | IceCandidate | Hangup) -> None:
        if isinstance(signal, CallOffer):
            age_s = (datetime.now(UTC) - signal.ts).total_seconds()
            if age_s > STALE_OFFER_S:
                log.warning(
                    "gateway_stale_call_offer",
                    home_id=self._home_id,
                    call_id=str(signal.call_id),
                    age_s=round(age_s),
                )
                return
        # In a task: answering waits for ICE gathering, and acks must keep flowing meanwhile.
        # The speakerphone applies signals one at a time, in the order they were given.
        task = asyncio.create_task(self.speakerphone.handle(signal))
        self._call_tasks.add(task)
        task.add_done_callback(self._call_signal_done)

    def _call_signal_done(self, task: asyncio.Task[None]) -> None:
        self._call_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "gateway_call_signal_failed", home_id=self._home_id, error=repr(task.exception())
            )

    async def _send_call(self, message: CallAnswer | IceCandidate | Hangup) -> None:
        client = self._client
        if client is None:
            raise aiomqtt.MqttError("not connected: the call signal cannot be sent")
        await client.publish(topic(self._home_id, Channel.CALL_UP), encode(message), qos=1)

    def _acknowledged(self, ack: Ack) -> None:
        refused = [r.event_id for r in ack.refused]
        removed = self._outbox.acknowledge([*ack.committed, *refused])
        self._plan.acknowledged([*ack.committed, *refused])
        for item in ack.refused:
            self.state.refused[item.reason] += 1
            # A unit whose events are refused is out of step with the hub's contract (an old
            # firmware, a device sending nonsense): someone must look at it.
            log.warning(
                "gateway_event_refused",
                home_id=self._home_id,
                event_id=str(item.event_id),
                reason=item.reason,
                field=item.field,
            )
        for alarm in ack.alarms:
            if alarm.event_id == self.state.last_alarm_event:
                self.state.alarm_received = alarm.alarm_id
                log.info(
                    "gateway_alarm_received",
                    home_id=self._home_id,
                    event_id=str(alarm.event_id),
                    alarm_id=str(alarm.alarm_id),
                )
        log.debug("gateway_acked", home_id=self._home_id, removed=removed)
        self._wake.set()

    def _command(self, command: ConfigCommand | SelfTestCommand | LocateCommand) -> None:
        outcome, detail = CommandOutcome.OK, None
        if isinstance(command, ConfigCommand):
            changes = command.settings
            if changes.heartbeat_interval_s is not None:
                self._heartbeat_s = changes.heartbeat_interval_s
            if changes.cancel_window_s is not None:
                self._cancel_window_s = changes.cancel_window_s
            try:
                self.speakerphone.configure(
                    max_call_s=changes.max_call_s, ice_servers=changes.ice_servers
                )
            except SpeakerphoneConfigError as err:
                outcome, detail = CommandOutcome.FAILED, str(err)
        elif isinstance(command, SelfTestCommand):
            detail = f"outbox {self._outbox.depth} waiting, connected"
        else:
            outcome, detail = CommandOutcome.UNSUPPORTED, "this unit has no sounder"
        log.info(
            "gateway_command",
            home_id=self._home_id,
            command=command.name,
            command_id=str(command.command_id),
            outcome=outcome.value,
        )
        self.report(
            Draft(
                device_id="unit",
                kind=EventKind.COMMAND_RESULT,
                value={"command_id": command.command_id, "outcome": outcome, "detail": detail},
                ts=datetime.now(UTC),
            )
        )

    def _status(self, state: Presence, reason: StatusReason, ts: datetime | None = None) -> Status:
        return Status(home_id=self._home_id, state=state, reason=reason, ts=ts or datetime.now(UTC))


def _raises_alarm(event: Event) -> bool:
    """Whether ``event`` raises an alarm (a restore, "smoke gone", or a cancel does not)."""
    if not event.kind.is_alarm_class or event.kind == EventKind.CANCEL:
        return False
    return bool(getattr(event.value, "active", True))
