"""The home unit against a real Mosquitto and the real hub on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import av
import pytest
from aiortc import (
    MediaStreamError,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from fix_hub import register_homes
from queries import eventually, rows
from services import options_for

from gateway.audio import LevelMeter, ToneTrack, tone_microphone
from gateway.config import GatewaySettings
from gateway.outbox import Draft, Outbox
from gateway.speakerphone.status import CallState
from gateway.unit import HomeUnit
from protocol import (
    Ack,
    CallAnswer,
    CallOffer,
    Channel,
    ConfigCommand,
    EventBatch,
    EventKind,
    GatewayConfig,
    Hangup,
    HangupReason,
    RaisedAlarm,
    RefusedEvent,
    decode,
    encode,
    topic,
)
from runtime.mqtt import make_client

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    import aiomqtt
    from fix_hub import RunningHub

    from telecare.services import Broker

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

WAIT_S = 60


async def connected(unit: HomeUnit) -> None:
    """Wait until ``unit`` holds a broker connection."""

    async def check() -> bool:
        return unit.state.connected

    await eventually(check, "the unit to connect")


def settings_for(
    broker_url: str, home_id: str, tmp_path: Path, ack_timeout_s: float = 10
) -> GatewaySettings:
    """A unit's settings for ``home_id`` on ``broker_url``."""
    return GatewaySettings(
        mqtt_url=broker_url,
        home_id=home_id,
        outbox_path=tmp_path / f"{home_id}.sqlite3",
        heartbeat_interval_s=10,
        ack_timeout_s=ack_timeout_s,
    )


@contextlib.asynccontextmanager
async def running(unit: HomeUnit) -> AsyncIterator[HomeUnit]:
    """Run ``unit`` for the block, then stop it."""
    task = asyncio.create_task(unit.run())
    try:
        yield unit
    finally:
        await unit.stop()
        await asyncio.wait_for(task, WAIT_S)


def reading(n: int, device: str = "pir-hall", ts: datetime | None = None) -> Draft:
    """Movement number ``n``."""
    return Draft(device, EventKind.MOTION, {"detected": n % 2 == 0}, ts or datetime.now(UTC))


@pytest.mark.usefixtures("hub")
async def test_events_are_stored_once_and_leave_the_outbox_when_acked(
    mqtt_broker: Broker, database_url: str, home_id: str, tmp_path: Path
) -> None:
    """Events reach the hub's table; acks empty the outbox; status and heartbeat show up."""
    await register_homes(database_url, home_id)
    settings = settings_for(mqtt_broker.url, home_id, tmp_path)
    outbox = Outbox(settings.outbox_path, home_id)
    unit = HomeUnit(settings, outbox)
    async with running(unit):
        sent = [unit.report(reading(n)) for n in range(50)]
        sent.append(
            unit.report(
                Draft("pendant", EventKind.PANIC_BUTTON, {"active": True}, datetime.now(UTC))
            )
        )

        async def outbox_empty() -> bool:
            return outbox.depth == 0

        await eventually(outbox_empty, "the acks")
        stored = await rows(
            database_url, "SELECT event_id FROM events WHERE home_id = %s ORDER BY seq", home_id
        )
        assert [r[0] for r in stored] == [e.event_id for e in sent if e]

        async def presence_seen() -> bool:
            found = await rows(
                database_url,
                "SELECT online, outbox_depth FROM presence WHERE home_id = %s",
                home_id,
            )
            return bool(found) and found[0][0] is True and found[0][1] is not None

        await eventually(presence_seen, "status and heartbeat in presence")

    async def said_goodbye() -> bool:
        found = await rows(
            database_url, "SELECT online, status_reason FROM presence WHERE home_id = %s", home_id
        )
        return found == [(False, "shutdown")]

    await eventually(said_goodbye, "the offline status after a clean stop")


async def test_a_config_push_is_applied_and_answered(
    hub: RunningHub, mqtt_broker: Broker, database_url: str, home_id: str, tmp_path: Path
) -> None:
    """A config command changes the unit and comes back as a command_result event."""
    await register_homes(database_url, home_id)
    settings = settings_for(mqtt_broker.url, home_id, tmp_path)
    unit = HomeUnit(settings, Outbox(settings.outbox_path, home_id))
    command = ConfigCommand(
        home_id=home_id,
        command_id=uuid.uuid4(),
        ts=datetime.now(UTC),
        name="config",
        settings=GatewayConfig(cancel_window_s=90),
    )
    async with running(unit):
        await connected(unit)
        async with make_client(hub.settings.mqtt_options(), identifier=f"{home_id}-ops") as ops:
            await ops.publish(topic(home_id, Channel.COMMANDS), encode(command), qos=1)

        async def answered() -> bool:
            found = await rows(
                database_url,
                "SELECT value FROM events WHERE home_id = %s AND kind = 'command_result'",
                home_id,
            )
            return bool(found)

        await eventually(answered, "the command result")
    (value,) = (await rows(database_url, "SELECT value FROM events WHERE kind = 'command_result'"))[
        0
    ]
    assert value["command_id"] == str(command.command_id)
    assert value["outcome"] == "ok"


@pytest.mark.usefixtures("hub")
async def test_a_killed_unit_resends_exactly_what_was_not_acked(
    mqtt_broker: Broker, database_url: str, home_id: str, tmp_path: Path
) -> None:
    """SIGKILL mid-stream, restart: the unacked events, and only those, go again; once each."""
    await register_homes(database_url, home_id)
    # Acks slower than the resend timeout would add resends to what is counted.
    settings = settings_for(mqtt_broker.url, home_id, tmp_path, ack_timeout_s=300)
    total = 3000
    script = textwrap.dedent(f"""
        import asyncio
        from datetime import UTC, datetime
        from gateway.config import GatewaySettings
        from gateway.outbox import Draft, Outbox
        from gateway.unit import HomeUnit
        from protocol import EventKind

        async def main():
            settings = GatewaySettings.model_validate_json({settings.model_dump_json()!r})
            unit = HomeUnit(settings, Outbox(settings.outbox_path, settings.home_id))
            runner = asyncio.create_task(unit.run())
            for n in range({total}):
                unit.report(Draft("pir-hall", EventKind.MOTION, {{"detected": True}},
                                  datetime.now(UTC)))
                if n % 50 == 0:
                    await asyncio.sleep(0.005)
            await runner

        asyncio.run(main())
    """)
    child = subprocess.Popen([sys.executable, "-c", script])  # noqa: ASYNC220 - killed below

    async def some_stored() -> bool:
        found = await rows(database_url, "SELECT count(*) FROM events WHERE home_id = %s", home_id)
        return int(found[0][0]) > 500

    try:
        await eventually(some_stored, "the first events")
    finally:
        child.kill()
        child.wait(30)
    outbox = Outbox(settings.outbox_path, home_id)
    unacked = {p.event.event_id for p in outbox.pending()}
    created = outbox.pending()[-1].event.seq if unacked else 0
    assert len(unacked) > 0
    unit = HomeUnit(settings, outbox)
    async with running(unit):

        async def outbox_empty() -> bool:
            return outbox.depth == 0

        await eventually(outbox_empty, "the resent events' acks")
    assert set(unit.sent) == unacked
    assert len(unit.sent) == len(unacked)
    counts = await rows(
        database_url,
        "SELECT count(*), count(DISTINCT event_id), max(seq) FROM events WHERE home_id = %s",
        home_id,
    )
    assert counts == [(created, created, created)]


async def test_ten_minutes_without_the_broker_lose_nothing_and_keep_order(
    start_broker: Callable[[], Broker],
    start_hub: Callable[..., Awaitable[RunningHub]],
    database_url: str,
    home_id: str,
    tmp_path: Path,
) -> None:
    """Cut off for ten (simulated) minutes: every event arrives, its time kept, in order."""
    broker = start_broker()
    await start_hub(mqtt_url=f"mqtt://telecare-hub@127.0.0.1:{broker.port}")
    await register_homes(database_url, home_id)
    settings = settings_for(broker.url, home_id, tmp_path)
    outbox = Outbox(settings.outbox_path, home_id)
    unit = HomeUnit(settings, outbox)
    start = datetime.now(UTC) - timedelta(minutes=10)
    async with running(unit):
        await connected(unit)
        broker.stop()
        # Ten minutes of a home's life while the broker is away: a reading every 5 s from
        # three devices, stamped with the time each happened.
        for n in range(120):
            unit.report(reading(n, f"pir-{n % 3}", start + timedelta(seconds=5 * n)))
        await asyncio.sleep(1)
        assert outbox.depth == 120
        broker.start(keep_port=True)

        async def outbox_empty() -> bool:
            return outbox.depth == 0

        await eventually(outbox_empty, "the backlog's acks")
    stored = await rows(
        database_url,
        "SELECT device_id, seq, ts FROM events WHERE home_id = %s ORDER BY received_at, seq",
        home_id,
    )
    assert len(stored) == 120
    assert sorted(ts for _, _, ts in stored) == [
        start + timedelta(seconds=5 * n) for n in range(120)
    ]
    for device in ("pir-0", "pir-1", "pir-2"):
        seqs = [seq for d, seq, _ in stored if d == device]
        assert seqs == sorted(seqs)


async def test_a_call_over_the_broker_is_answered_and_audio_flows_both_ways(
    mqtt_broker: Broker, home_id: str, tmp_path: Path
) -> None:
    """An offer on down/call is answered on up/call; both sides hear the other's tone."""
    settings = settings_for(mqtt_broker.url, home_id, tmp_path)
    unit = HomeUnit(
        settings,
        Outbox(settings.outbox_path, home_id),
        microphone=tone_microphone(1000.0, 0.25),
    )
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    heard = LevelMeter()
    listening: list[asyncio.Task[None]] = []

    async def listen(track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                heard.update(frame)

    pc.on("track", lambda track: listening.append(asyncio.ensure_future(listen(track))))
    call_id = uuid.uuid4()
    options = options_for(mqtt_broker)
    try:
        async with running(unit), make_client(options, identifier=f"{home_id}-ops") as ops:
            await connected(unit)
            await ops.subscribe(topic(home_id, Channel.CALL_UP), qos=1)
            pc.addTrack(ToneTrack(440.0, 0.5))
            await pc.setLocalDescription(await pc.createOffer())
            offer = CallOffer(
                home_id=home_id,
                call_id=call_id,
                ts=datetime.now(UTC),
                type="offer",
                sdp=pc.localDescription.sdp,
            )
            await ops.publish(topic(home_id, Channel.CALL_DOWN), encode(offer), qos=1)
            async with asyncio.timeout(WAIT_S):
                message = await anext(aiter(ops.messages))
            assert isinstance(message.payload, bytes)
            answer = decode(Channel.CALL_UP, message.payload)
            assert isinstance(answer, CallAnswer)
            assert answer.call_id == call_id
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))

            async def both_hear() -> bool:
                unit_heard = unit.speakerphone.status.received
                return heard.frames >= 50 and unit_heard.frames >= 50

            await eventually(both_hear, "a second of audio each way")
            assert heard.level_dbfs > -40
            assert unit.speakerphone.status.received.level_dbfs > -40
            assert unit.speakerphone.status.state is CallState.CONNECTED
            hangup = Hangup(
                home_id=home_id,
                call_id=call_id,
                ts=datetime.now(UTC),
                type="hangup",
                reason=HangupReason.OPERATOR,
            )
            await ops.publish(topic(home_id, Channel.CALL_DOWN), encode(hangup), qos=1)

            async def ended() -> bool:
                return unit.speakerphone.status.state is CallState.ENDED

            await eventually(ended, "the hangup")
            assert unit.speakerphone.status.reason is HangupReason.OPERATOR
    finally:
        await pc.close()
        for task in listening:
            task.cancel()
        await asyncio.gather(*listening, return_exceptions=True)


@pytest.mark.usefixtures("hub")
async def test_heartbeats_report_power_and_device_batteries(
    mqtt_broker: Broker, database_url: str, home_id: str, tmp_path: Path
) -> None:
    """Mains lost and a low battery show in the hub's presence and device tables."""
    await register_homes(database_url, home_id)
    settings = settings_for(mqtt_broker.url, home_id, tmp_path)
    unit = HomeUnit(settings, Outbox(settings.outbox_path, home_id))
    now = datetime.now(UTC)
    unit.report(Draft("unit", EventKind.MAINS_POWER, {"on": False}, now))
    unit.report(Draft("pir-hall", EventKind.BATTERY_LOW, {"low": True, "percent": 12}, now))
    async with running(unit):

        async def reported() -> bool:
            found = await rows(
                database_url,
                "SELECT p.power, d.battery_percent FROM presence p"
                " JOIN devices d USING (home_id) WHERE home_id = %s AND d.device_id = 'pir-hall'",
                home_id,
            )
            return found == [("battery", 12)]

        await eventually(reported, "power and battery in the hub's tables")


async def test_an_ack_naming_the_alarm_shows_alarm_received(
    mqtt_broker: Broker, home_id: str, tmp_path: Path
) -> None:
    """When the hub's ack names the alarm raised from the press, the unit says so."""
    settings = settings_for(mqtt_broker.url, home_id, tmp_path)
    unit = HomeUnit(settings, Outbox(settings.outbox_path, home_id))
    async with (
        running(unit),
        make_client(options_for(mqtt_broker), identifier=f"{home_id}-hub") as hub,
    ):
        await connected(unit)
        press = unit.report(
            Draft("pendant", EventKind.PANIC_BUTTON, {"active": True}, datetime.now(UTC))
        )
        assert press is not None
        assert unit.state.alarm_received is None
        alarm_id = uuid.uuid4()
        ack = Ack(
            home_id=home_id,
            ts=datetime.now(UTC),
            committed=[press.event_id],
            alarms=[RaisedAlarm(event_id=press.event_id, alarm_id=alarm_id)],
        )
        await hub.publish(topic(home_id, Channel.ACKS), encode(ack), qos=1)

        async def received() -> bool:
            return unit.state.alarm_received == alarm_id

        await eventually(received, "alarm received")


async def test_an_event_the_hub_refuses_leaves_the_outbox_and_is_counted(
    mqtt_broker: Broker, home_id: str, tmp_path: Path
) -> None:
    """Told an event is refused for good, the unit stops resending it and counts it."""
    settings = settings_for(mqtt_broker.url, home_id, tmp_path, ack_timeout_s=1)
    outbox = Outbox(settings.outbox_path, home_id)
    unit = HomeUnit(settings, outbox)
    seen: list[uuid.UUID] = []

    async def collect(hub: aiomqtt.Client) -> None:
        async for message in hub.messages:
            batch = decode(Channel.EVENTS, bytes(message.payload))
            assert isinstance(batch, EventBatch)
            seen.extend(e.event_id for e in batch.events)

    async with (
        running(unit),
        make_client(options_for(mqtt_broker), identifier=f"{home_id}-hub") as hub,
    ):
        await hub.subscribe(topic(home_id, Channel.EVENTS), qos=1)
        collecting = asyncio.create_task(collect(hub))
        await connected(unit)
        event = unit.report(reading(0))
        assert event is not None

        async def sent_twice() -> bool:  # no ack yet: it is resent after 1 s
            return seen.count(event.event_id) >= 2

        await eventually(sent_twice, "the event resent while not acknowledged")
        refusal = Ack(
            home_id=home_id,
            ts=datetime.now(UTC),
            refused=[RefusedEvent(event_id=event.event_id, reason="invalid_message")],
        )
        await hub.publish(topic(home_id, Channel.ACKS), encode(refusal), qos=1)

        async def forgotten() -> bool:
            return outbox.depth == 0

        await eventually(forgotten, "the refused event to leave the outbox")
        copies = seen.count(event.event_id)
        await asyncio.sleep(3)  # three ack timeouts: long enough for a resend to show
        collecting.cancel()
    assert seen.count(event.event_id) == copies
    assert unit.state.refused == {"invalid_message": 1}
