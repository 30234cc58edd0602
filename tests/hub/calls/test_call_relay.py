"""Calls from a console through the hub to a real home unit, and back, over real services.

The console is an aiortc peer on the hub's stream socket (the browser's side is tested in
tests/operator_console); the home unit is the real gateway with its speakerphone on the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import av
import psycopg
import pytest
from aiortc import (
    MediaStreamError,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from consoles import PASSWORD, Console
from fix_hub import register_homes
from pydantic import TypeAdapter
from queries import eventually, rows

from gateway.audio import LevelMeter, ToneTrack, tone_microphone
from gateway.config import GatewaySettings
from gateway.outbox import Outbox
from gateway.speakerphone.status import CallState
from gateway.unit import HomeUnit
from hub.alarms.rules import trigger_for
from hub.api.stream import CALL_RELAY
from hub.auth.users import Role, add_user
from hub.storage import alarm_changes, migrate
from protocol import CallAnswer, Event, EventKind, HangupReason

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from fix_hub import RunningHub

    from telecare.services import Broker

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

WAIT_S = 30
AUDIBLE_DBFS = -40.0
"""Above this a side really hears the other: silence or comfort noise stays far below."""


class CallingConsole:
    """An operator's console placing a call: its stream socket and its WebRTC peer."""

    def __init__(self, console: Console, socket: aiohttp.ClientWebSocketResponse) -> None:
        """Place calls over ``socket``, signed in as ``console``."""
        self.console = console
        self.socket = socket
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.heard = LevelMeter()
        self._listening: list[asyncio.Task[None]] = []
        self.pc.on("track", lambda t: self._listening.append(asyncio.ensure_future(self._hear(t))))

    async def _hear(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                self.heard.update(frame)

    async def offer(self) -> str:
        """A 440 Hz microphone and the offer with its candidates."""
        self.pc.addTrack(ToneTrack(440.0, 0.5))
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message on the stream."""
        await self.socket.send_json(message)

    async def next_call_message(self) -> dict[str, Any]:
        """The next call message on the stream (alarm and presence changes skipped)."""
        async with asyncio.timeout(WAIT_S):
            while True:
                message: dict[str, Any] = await self.socket.receive_json()
                if str(message["type"]).startswith("call."):
                    return message

    async def close(self) -> None:
        """Close the peer."""
        await self.pc.close()
        for task in self._listening:
            task.cancel()
        await asyncio.gather(*self._listening, return_exceptions=True)


@pytest.fixture
async def alarm_id(hub: RunningHub, database_url: str, home_id: str) -> uuid.UUID:
    """The id of an open panic alarm of ``home_id`` (district ats-test).

    The district has an operator, anna, and a social worker, dario.
    """
    del hub  # started for its migrations and API
    await register_homes(database_url, home_id)
    event = TypeAdapter[Event](Event).validate_python(
        {
            "event_id": uuid.uuid4(),
            "home_id": home_id,
            "device_id": "pendant",
            "ts": datetime.now(UTC),
            "seq": 1,
            "kind": EventKind.PANIC_BUTTON,
            "value": {"active": True},
        }
    )
    trigger = trigger_for(event)
    assert trigger is not None
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await add_user(conn, "anna", PASSWORD, Role.OPERATOR, ["ats-test"])
        await add_user(conn, "dario", PASSWORD, Role.SOCIAL_WORKER, ["ats-test"])
        (joined,) = await alarm_changes.apply_triggers(conn, [(event, trigger)], datetime.now(UTC))
    return joined.alarm_id


@pytest.fixture
async def unit(mqtt_broker: Broker, home_id: str, tmp_path: Path) -> AsyncIterator[HomeUnit]:
    """The home's real unit, connected, its speakerphone on a 1 kHz tone."""
    settings = GatewaySettings(
        mqtt_url=mqtt_broker.url, home_id=home_id, outbox_path=tmp_path / "outbox.sqlite3"
    )
    home_unit = HomeUnit(
        settings, Outbox(settings.outbox_path, home_id), microphone=tone_microphone(1000.0, 0.25)
    )
    task = asyncio.create_task(home_unit.run())
    try:

        async def connected() -> bool:
            return home_unit.state.connected

        await eventually(connected, "the unit to connect")
        yield home_unit
    finally:
        await home_unit.stop()
        await asyncio.wait_for(task, WAIT_S)


@contextlib.asynccontextmanager
async def calling(hub_url: str, username: str) -> AsyncIterator[CallingConsole]:
    """A console signed in as ``username`` with its stream open."""
    console = Console(hub_url)
    assert await console.login(username) == 200
    try:
        async with console.http.ws_connect(f"{hub_url}/api/v1/stream") as socket:
            caller = CallingConsole(console, socket)
            try:
                yield caller
            finally:
                await caller.close()
    finally:
        await console.close()


async def test_an_operator_calls_the_home_and_both_hear_each_other_until_hang_up(
    hub: RunningHub, alarm_id: uuid.UUID, unit: HomeUnit, home_id: str, database_url: str
) -> None:
    """Offer through the hub, the unit answers by itself, audio flows both ways, hang up.

    The alarm's timeline shows the call's start and end.
    """
    async with calling(hub.url, "anna") as anna:
        sdp = await anna.offer()
        await anna.send(
            {
                "type": "call.start",
                "ref": "c1",
                "home_id": home_id,
                "alarm_id": str(alarm_id),
                "sdp": sdp,
            }
        )
        placed = await anna.next_call_message()
        assert (placed["type"], placed["ref"]) == ("call.placed", "c1")
        answer = await anna.next_call_message()
        assert (answer["type"], answer["call_id"]) == ("call.answer", placed["call_id"])
        await anna.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

        async def both_hear() -> bool:
            return anna.heard.frames >= 50 and unit.speakerphone.status.received.frames >= 50

        await eventually(both_hear, "a second of audio each way")
        assert anna.heard.level_dbfs > AUDIBLE_DBFS
        assert unit.speakerphone.status.received.level_dbfs > AUDIBLE_DBFS
        await anna.send({"type": "call.hangup", "call_id": placed["call_id"]})
        ended = await anna.next_call_message()
        assert (ended["type"], ended["reason"]) == ("call.ended", "operator")

        async def unit_hung_up() -> bool:
            return unit.speakerphone.status.state is CallState.ENDED

        await eventually(unit_hung_up, "the unit to hang up")
    steps = await rows(
        database_url,
        "SELECT action, detail FROM alarm_log WHERE alarm_id = %s AND action LIKE 'call%%'"
        " ORDER BY at",
        alarm_id,
    )
    assert [action for action, _ in steps] == ["call_started", "call_ended"]
    assert steps[1][1]["reason"] == "operator"
    assert steps[1][1]["answered"] == "true"
    assert hub.app[CALL_RELAY].active == 0


@pytest.mark.usefixtures("alarm_id")
async def test_calls_the_hub_will_not_place_are_refused_with_the_reason(
    hub: RunningHub, home_id: str
) -> None:
    """A social worker does not call; an unknown home, a bad message, a stranger's call id."""
    async with calling(hub.url, "dario") as dario:
        await dario.send({"type": "call.start", "ref": "x", "home_id": home_id, "sdp": "v=0"})
        assert await dario.next_call_message() == {
            "type": "call.refused",
            "ref": "x",
            "error": "a social_worker does not place calls",
            "code": "call.role",
            "params": {"role": "social_worker"},
        }
    stranger_page = Console(hub.url)
    try:
        assert await stranger_page.login("anna") == 200
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused_origin:
            await stranger_page.http.ws_connect(
                f"{hub.url}/api/v1/stream", headers={"Origin": "https://elsewhere.example"}
            )
        assert refused_origin.value.status == 403
    finally:
        await stranger_page.close()
    async with calling(hub.url, "anna") as anna:
        await anna.send({"type": "call.start", "ref": "y", "home_id": "nowhere", "sdp": "v=0"})
        assert (await anna.next_call_message())["error"] == "no such home"
        await anna.send({"type": "call.start", "ref": "z", "home_id": home_id})
        refused = await anna.next_call_message()
        assert (refused["ref"], refused["error"].split(":")[0]) == ("z", "call.start.sdp")
        assert (refused["code"], refused["params"]) == ("call.invalid", {"field": "call.start.sdp"})
        stranger = str(uuid.uuid4())
        await anna.send({"type": "call.hangup", "call_id": stranger})
        assert (await anna.next_call_message())["error"] == f"no call {stranger} here"


async def test_the_homes_answer_reaches_a_console_on_another_replica(
    hub: RunningHub,
    start_hub: Callable[..., Awaitable[RunningHub]],
    alarm_id: uuid.UUID,
    home_id: str,
) -> None:
    """The answer taken in by one hub is delivered by the hub holding the console's call."""
    other = await start_hub()
    async with calling(other.url, "anna") as anna:
        await anna.send(
            {
                "type": "call.start",
                "ref": "r",
                "home_id": home_id,
                "alarm_id": str(alarm_id),
                "sdp": await anna.offer(),
            }
        )
        placed = await anna.next_call_message()
        answer = CallAnswer(
            type="answer",
            home_id=home_id,
            call_id=uuid.UUID(placed["call_id"]),
            ts=datetime.now(UTC),
            sdp="v=0 from the home",
        )
        await hub.app[CALL_RELAY].from_home(answer)
        relayed = await anna.next_call_message()
        assert relayed == {
            "type": "call.answer",
            "call_id": placed["call_id"],
            "sdp": "v=0 from the home",
        }
        await anna.send({"type": "call.hangup", "call_id": placed["call_id"]})
        assert (await anna.next_call_message())["reason"] == HangupReason.OPERATOR.value
