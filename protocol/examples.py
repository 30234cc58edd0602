"""One example of every wire message, for the AsyncAPI document, the docs and the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from protocol.acks import Ack, RaisedAlarm
from protocol.call import CallAnswer, CallOffer, Hangup, HangupReason, IceCandidate
from protocol.commands import ConfigCommand, GatewayConfig, LocateCommand, SelfTestCommand
from protocol.events import (
    Contact,
    DoorEvent,
    EventBatch,
    EventKind,
    Motion,
    MotionEvent,
    Trigger,
    TriggerEvent,
)
from protocol.presence import (
    DeviceHealth,
    Heartbeat,
    PowerSource,
    Presence,
    Status,
    StatusReason,
)

HOME = "home-0042"
TS = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
PRESS = UUID("0b7e4c56-3f1a-4a8e-9c2d-5e6f7a8b9c01")
MOVE = UUID("0b7e4c56-3f1a-4a8e-9c2d-5e6f7a8b9c02")
DOOR = UUID("0b7e4c56-3f1a-4a8e-9c2d-5e6f7a8b9c03")
ALARM = UUID("6d1f0e2a-8b3c-4d5e-9f60-718293a4b5c6")
CALL = UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
COMMAND = UUID("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")

_SDP_OFFER = (
    "v=0\r\no=- 3920000000 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=sendrecv\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
)
_SDP_ANSWER = _SDP_OFFER.replace("3920000000", "3920000001")

EVENT_BATCH = EventBatch(
    home_id=HOME,
    events=[
        MotionEvent(
            event_id=MOVE,
            home_id=HOME,
            device_id="pir-hall",
            ts=TS.replace(second=40),
            seq=1041,
            location="hall",
            kind=EventKind.MOTION,
            value=Motion(detected=True),
        ),
        DoorEvent(
            event_id=DOOR,
            home_id=HOME,
            device_id="door-front",
            ts=TS.replace(second=47),
            seq=1042,
            location="front door",
            kind=EventKind.DOOR,
            value=Contact(open=False),
        ),
        TriggerEvent(
            event_id=PRESS,
            home_id=HOME,
            device_id="pendant-1",
            ts=TS,
            seq=1043,
            kind=EventKind.PANIC_BUTTON,
            value=Trigger(active=True),
        ),
    ],
)

ALARM_BATCH = EventBatch(
    home_id=HOME, events=[e for e in EVENT_BATCH.events if e.kind.is_alarm_class]
)
"""The panic press alone, as a home unit sends it first on ``up/alarms``."""

HEARTBEAT = Heartbeat(
    home_id=HOME,
    ts=TS,
    interval_s=60,
    uptime_s=86_400,
    power=PowerSource.MAINS,
    battery_percent=100,
    signal_dbm=-71,
    outbox_depth=0,
    outbox_dropped=0,
    firmware="telecare-gateway 0.1.0",
    devices=[DeviceHealth(device_id="pendant-1", battery_percent=87, last_seen=TS)],
)

STATUS = Status(home_id=HOME, state=Presence.ONLINE, reason=StatusReason.CONNECTED, ts=TS)

ACK = Ack(
    home_id=HOME,
    ts=TS.replace(microsecond=120_000),
    committed=[MOVE, DOOR, PRESS],
    alarms=[RaisedAlarm(event_id=PRESS, alarm_id=ALARM)],
)

CALL_OFFER = CallOffer(type="offer", home_id=HOME, call_id=CALL, ts=TS, sdp=_SDP_OFFER)
CALL_ANSWER = CallAnswer(type="answer", home_id=HOME, call_id=CALL, ts=TS, sdp=_SDP_ANSWER)
ICE_CANDIDATE = IceCandidate(
    type="ice_candidate",
    home_id=HOME,
    call_id=CALL,
    ts=TS,
    candidate="candidate:1 1 UDP 2122252543 192.0.2.10 40000 typ host",
    sdp_mid="0",
    sdp_mline_index=0,
)
HANGUP = Hangup(type="hangup", home_id=HOME, call_id=CALL, ts=TS, reason=HangupReason.OPERATOR)

CONFIG_COMMAND = ConfigCommand(
    name="config",
    home_id=HOME,
    command_id=COMMAND,
    ts=TS,
    settings=GatewayConfig(heartbeat_interval_s=60, cancel_window_s=30),
)
SELF_TEST_COMMAND = SelfTestCommand(name="test", home_id=HOME, command_id=COMMAND, ts=TS)
LOCATE_COMMAND = LocateCommand(name="locate", home_id=HOME, command_id=COMMAND, ts=TS)
