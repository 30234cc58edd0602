"""The speakerphone against a real aiortc operator on loopback.

It answers by itself, audio flows both ways at a measured level, and every way a call can end
ends it. Signalling passes through the protocol's codec both ways (``down/call`` into the unit,
``up/call`` out of it), so each message is proven to be a valid wire message.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import uuid
import wave
from array import array
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

import av
import pytest
from aiortc import (
    MediaStreamError,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from structlog.testing import capture_logs

from gateway.audio import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    AudioSourceError,
    FileTrack,
    LevelMeter,
    ToneTrack,
    file_microphone,
    tone_microphone,
)
from gateway.speakerphone.phone import Speakerphone
from gateway.speakerphone.settings import SpeakerphoneConfigError
from gateway.speakerphone.status import CallState
from protocol import (
    CallAnswer,
    CallOffer,
    Channel,
    Hangup,
    HangupReason,
    IceCandidate,
    IceServer,
    decode,
    encode,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from protocol.call import CallSignalFromHome

HOME = "home-7"
GUARD_S = 30
"""Failure guard on every wait: a broken call fails the test instead of hanging it."""
AUDIBLE_DBFS = -40.0
"""Above this a side really hears the other: silence or comfort noise stays far below."""
HEARD_FRAMES = 50
"""One second of audio received before levels are judged."""
OPERATOR_HZ = 440.0
OPERATOR_AMPLITUDE = 0.5  # -9.0 dBFS RMS
UNIT_HZ = 1000.0
UNIT_AMPLITUDE = 0.25  # -15.1 dBFS RMS
UPMIX_DB = 3.01
"""aiortc's Opus encoder makes mono stereo with libswresample, at -3 dB in each channel."""


def now() -> datetime:
    """The time for a message's ``ts``."""
    return datetime.now(UTC)


class Ear:
    """The operator's own measure of what it hears: RMS and zero crossings of the left channel.

    Written here, not taken from ``gateway.audio``, so the unit's meter is not checked by itself.
    """

    def __init__(self) -> None:
        """An ear that has heard nothing yet."""
        self.frames = 0
        self.recent: list[array[int]] = []

    def hear(self, frame: av.AudioFrame) -> None:
        """Keep the left channel of the last half second."""
        self.frames += 1
        channels = frame.layout.nb_channels
        data = array("h", bytes(frame.planes[0])[: frame.samples * channels * 2])
        self.recent = [*self.recent[-24:], data[::channels]]

    def dbfs(self) -> float:
        """RMS level of the last half second."""
        samples = [s for chunk in self.recent for s in chunk]
        if not samples:
            return -100.0
        mean_square = sum(s * s for s in samples) / len(samples)
        return 10 * math.log10(max(mean_square, 1e-10) / 32768**2)

    def frequency_hz(self) -> float:
        """The tone's frequency from its zero crossings (two per cycle)."""
        samples = [s for chunk in self.recent for s in chunk]
        crossings = sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)
        return crossings * SAMPLE_RATE / len(samples)


class Operator:
    """The operator console's side of one call: an aiortc peer with its own tone, and the wire."""

    def __init__(self, speakerphone: Speakerphone) -> None:
        """An operator about to call ``speakerphone``, with a new call id."""
        self.speakerphone = speakerphone
        self.call_id = uuid.uuid4()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.inbox: asyncio.Queue[CallSignalFromHome] = asyncio.Queue()
        self.ear = Ear()
        self.tasks: list[asyncio.Task[None]] = []
        self.trickled = 0
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.tasks.append(asyncio.ensure_future(self._listen(track)))

    async def _listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, av.AudioFrame)
            self.ear.hear(frame)

    async def receive(self, message: CallSignalFromHome) -> None:
        """What the unit sent this call crosses the wire on ``up/call``."""
        decoded = decode(Channel.CALL_UP, encode(message))
        assert isinstance(decoded, CallAnswer | IceCandidate | Hangup)
        await self.inbox.put(decoded)

    async def signal(self, message: CallOffer | IceCandidate | Hangup) -> None:
        """Send ``message`` to the unit on ``down/call``."""
        decoded = decode(Channel.CALL_DOWN, encode(message))
        assert isinstance(decoded, CallOffer | IceCandidate | Hangup)
        await self.speakerphone.handle(decoded)

    async def next_message(self) -> CallSignalFromHome:
        """The next message the unit sent for this call."""
        async with asyncio.timeout(GUARD_S):
            return await self.inbox.get()

    async def offer(self, *, trickle: bool = False) -> list[str]:
        """Offer the call with a 440 Hz tone; with ``trickle`` the offer has no candidates.

        Returns the offer's candidates (``candidate:...``).
        """
        self.pc.addTrack(ToneTrack(OPERATOR_HZ, OPERATOR_AMPLITUDE))
        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp = self.pc.localDescription.sdp
        candidates = [line[2:] for line in sdp.splitlines() if line.startswith("a=candidate:")]
        if trickle:
            sdp = "".join(
                f"{line}\r\n"
                for line in sdp.splitlines()
                if not line.startswith(("a=candidate:", "a=end-of-candidates"))
            )
        await self.signal(
            CallOffer(home_id=HOME, call_id=self.call_id, ts=now(), type="offer", sdp=sdp)
        )
        return candidates

    async def call(self, *, trickle: bool = False) -> None:
        """Offer, take the unit's answer and, with ``trickle``, send the candidates after it."""
        candidates = await self.offer(trickle=trickle)
        answer = await self.next_message()
        assert isinstance(answer, CallAnswer)
        if trickle:
            assert candidates
            for text in [*candidates, ""]:  # empty: the end of candidates
                await self.signal(self.candidate(text))
            self.trickled = len(candidates)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))

    def candidate(self, text: str) -> IceCandidate:
        """A trickled candidate of this call."""
        return IceCandidate(
            home_id=HOME,
            call_id=self.call_id,
            ts=now(),
            type="ice_candidate",
            candidate=text,
            sdp_mid="0",
        )

    def hangup(self) -> Hangup:
        """The operator's hangup of this call."""
        return Hangup(
            home_id=HOME,
            call_id=self.call_id,
            ts=now(),
            type="hangup",
            reason=HangupReason.OPERATOR,
        )

    async def close(self) -> None:
        """Close the peer connection and stop listening."""
        await self.pc.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class Line:
    """A speakerphone, and the operators that call it (one per call)."""

    def __init__(self, max_call_s: float, connect_timeout_s: float) -> None:
        """A speakerphone sending a 1 kHz tone, its messages routed to the operators."""
        self.operators: list[Operator] = []
        self.speakerphone = Speakerphone(
            HOME,
            self._deliver,
            max_call_s=max_call_s,
            connect_timeout_s=connect_timeout_s,
            microphone=tone_microphone(UNIT_HZ, UNIT_AMPLITUDE),
        )

    async def _deliver(self, message: CallSignalFromHome) -> None:
        # The hub routes up/call by call id to the console that placed the call.
        for operator in self.operators:
            if operator.call_id == message.call_id:
                await operator.receive(message)
                return
        pytest.fail(f"the unit sent {message.type} for an unknown call {message.call_id}")

    def operator(self) -> Operator:
        """An operator for a new call."""
        self.operators.append(Operator(self.speakerphone))
        return self.operators[-1]

    async def connected_call(self, *, trickle: bool = False) -> Operator:
        """An operator whose call the unit answered and connected."""
        operator = self.operator()
        await operator.call(trickle=trickle)
        await state(self.speakerphone, CallState.CONNECTED)
        return operator

    async def close(self) -> None:
        """Hang up whatever is left and close every peer connection."""
        await self.speakerphone.close()
        for operator in self.operators:
            await operator.close()


MakeLine: TypeAlias = "Callable[..., Line]"


@pytest.fixture
async def line() -> AsyncIterator[MakeLine]:
    """Make lines (limits may be given); every one is closed after the test."""
    made: list[Line] = []

    def make(max_call_s: float = 3600, connect_timeout_s: float = GUARD_S) -> Line:
        made.append(Line(max_call_s, connect_timeout_s))
        return made[-1]

    yield make
    for each in made:
        await each.close()


async def until(check: Callable[[], bool], what: str) -> None:
    """Wait until ``check`` holds, failing with ``what`` after the guard."""
    try:
        async with asyncio.timeout(GUARD_S):
            while not check():  # noqa: ASYNC110 - levels are sampled, there is no event
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


async def state(speakerphone: Speakerphone, *states: CallState) -> None:
    """Wait until the speakerphone reaches one of ``states``."""
    try:
        async with asyncio.timeout(GUARD_S):
            await speakerphone.wait_for(*states)
    except TimeoutError:
        pytest.fail(f"still {speakerphone.status.state}, waiting for {states}")


def both_hear(phone: Line, operator: Operator) -> Callable[[], bool]:
    """Whether each side has heard a second of the other above silence."""

    def check() -> bool:
        received = phone.speakerphone.status.received
        return (
            received.frames >= HEARD_FRAMES
            and received.level_dbfs > AUDIBLE_DBFS
            and operator.ear.frames >= HEARD_FRAMES
            and operator.ear.dbfs() > AUDIBLE_DBFS
        )

    return check


async def test_answers_by_itself_and_audio_flows_both_ways(
    line: MakeLine, capsys: pytest.CaptureFixture[str]
) -> None:
    """An offer is answered with no one at home; each side hears the other's tone, loudly."""
    phone = line()
    with capture_logs() as logs:
        operator = await phone.connected_call(trickle=True)
        await until(both_hear(phone, operator), "audio both ways")

    status = phone.speakerphone.status
    assert status.state == CallState.CONNECTED
    assert status.call_id == operator.call_id
    assert status.reason is None
    with capsys.disabled():
        print(  # noqa: T201 - the measured levels are this test's report
            f"\n  unit sent {status.sent.level_dbfs:.1f} dBFS ({status.sent.frames} frames),"
            f" unit heard {status.received.level_dbfs:.1f} dBFS"
            f" ({status.received.frames} frames);"
            f" operator heard {operator.ear.dbfs():.1f} dBFS at"
            f" {operator.ear.frequency_hz():.0f} Hz ({operator.ear.frames} frames)"
        )

    # The unit's meter at its source reads its own tone ...
    assert status.sent.level_dbfs == pytest.approx(-15.05, abs=0.2)
    assert status.sent.frames >= HEARD_FRAMES
    # ... and each end hears the other's tone through Opus at the level it was sent, less the
    # 3 dB that aiortc's encoder takes off mono when it spreads it over two channels.
    assert status.received.level_dbfs == pytest.approx(-9.03 - UPMIX_DB, abs=1.5)
    assert operator.ear.dbfs() == pytest.approx(-15.05 - UPMIX_DB, abs=1.5)
    assert operator.ear.frequency_hz() == pytest.approx(UNIT_HZ, rel=0.05)

    events = {entry["event"]: entry for entry in logs}
    for name in ("speakerphone_offered", "speakerphone_answered", "speakerphone_connected"):
        assert events[name]["home_id"] == HOME
        assert events[name]["call_id"] == str(operator.call_id)
    # Every trickled candidate was taken (ICE could otherwise connect on peer-reflexive
    # candidates alone), and the end of candidates last.
    added = [entry["end"] for entry in logs if entry["event"] == "speakerphone_candidate_added"]
    assert added == [False] * operator.trickled + [True]
    assert "speakerphone_candidate_refused" not in events


async def test_a_malformed_candidate_is_refused_and_the_call_goes_on(line: MakeLine) -> None:
    """A candidate aiortc cannot read is logged and dropped; it does not end the call."""
    phone = line()
    operator = await phone.connected_call()
    with capture_logs() as logs:
        await operator.signal(operator.candidate("candidate:not a candidate"))
    assert [entry["event"] for entry in logs] == ["speakerphone_candidate_refused"]
    assert phone.speakerphone.status.state == CallState.CONNECTED


async def test_operator_hangs_up(line: MakeLine) -> None:
    """The operator's hangup ends the call with its reason; the unit sends nothing back."""
    phone = line()
    operator = await phone.connected_call()
    await until(both_hear(phone, operator), "audio both ways")
    with capture_logs() as logs:
        await operator.signal(operator.hangup())
    status = phone.speakerphone.status
    assert status.state == CallState.ENDED
    assert status.reason == HangupReason.OPERATOR
    assert operator.inbox.empty()
    # The unit closed its side: its DTLS close reaches the operator, whose connection follows.
    await until(lambda: operator.pc.connectionState == "closed", "the operator's side to close")
    ended = next(entry for entry in logs if entry["event"] == "speakerphone_ended")
    assert ended["reason"] == "operator"
    assert ended["home_id"] == HOME
    assert ended["call_id"] == str(operator.call_id)
    assert ended["received_frames"] >= HEARD_FRAMES


async def test_home_hangs_up(line: MakeLine) -> None:
    """The unit's own hangup closes the call and tells the operator."""
    phone = line()
    operator = await phone.connected_call()
    await phone.speakerphone.hangup()
    hangup = await operator.next_message()
    assert isinstance(hangup, Hangup)
    assert hangup.call_id == operator.call_id
    assert hangup.reason == HangupReason.HOME
    assert phone.speakerphone.status.state == CallState.ENDED
    assert phone.speakerphone.status.reason == HangupReason.HOME


async def test_hangs_up_at_the_maximum_duration(line: MakeLine) -> None:
    """A call longer than max_call_s is ended as a timeout, and the operator is told."""
    phone = line(max_call_s=1)
    operator = phone.operator()
    await operator.call()
    await state(phone.speakerphone, CallState.ENDED)
    assert phone.speakerphone.status.reason == HangupReason.TIMEOUT
    hangup = await operator.next_message()
    assert isinstance(hangup, Hangup)
    assert hangup.call_id == operator.call_id
    assert hangup.reason == HangupReason.TIMEOUT


async def test_a_second_offer_is_busy_and_the_call_goes_on(line: MakeLine) -> None:
    """A new call during a call is refused as busy; the first call is not disturbed."""
    phone = line()
    first = await phone.connected_call()
    second = phone.operator()
    await second.offer()
    refusal = await second.next_message()
    assert isinstance(refusal, Hangup)
    assert refusal.call_id == second.call_id
    assert refusal.reason == HangupReason.BUSY
    status = phone.speakerphone.status
    assert status.state == CallState.CONNECTED
    assert status.call_id == first.call_id
    assert first.inbox.empty()
    # The first call still carries audio after the refusal.
    heard = status.received.frames
    await until(both_hear(phone, first), "audio both ways")
    await until(lambda: phone.speakerphone.status.received.frames > heard, "more audio")


async def test_a_redelivered_offer_is_ignored(line: MakeLine) -> None:
    """The same offer twice (MQTT QoS 1 may redeliver) is neither answered again nor busy."""
    phone = line()
    operator = await phone.connected_call()
    offer = CallOffer(home_id=HOME, call_id=operator.call_id, ts=now(), type="offer", sdp="v=0")
    await operator.signal(offer)
    assert operator.inbox.empty()
    assert phone.speakerphone.status.state == CallState.CONNECTED


async def test_a_new_call_after_the_last_one_ended(line: MakeLine) -> None:
    """The speakerphone outlives its calls: a call after a hangup connects and carries audio."""
    phone = line()
    first = await phone.connected_call()
    await first.signal(first.hangup())
    second = await phone.connected_call()
    await until(both_hear(phone, second), "audio both ways on the second call")
    assert phone.speakerphone.status.call_id == second.call_id


async def test_connection_lost_ends_the_call_as_failed(line: MakeLine) -> None:
    """The operator's side going away without a hangup ends the call as failed."""
    phone = line()
    operator = await phone.connected_call()
    await operator.close()
    await state(phone.speakerphone, CallState.ENDED)
    assert phone.speakerphone.status.reason == HangupReason.FAILED
    hangup = await operator.next_message()
    assert isinstance(hangup, Hangup)
    assert hangup.reason == HangupReason.FAILED


async def test_a_call_that_never_connects_fails(line: MakeLine) -> None:
    """An answered call whose media never connects is hung up as failed at the deadline."""
    phone = line(connect_timeout_s=1)
    operator = phone.operator()
    await operator.offer()
    answer = await operator.next_message()
    assert isinstance(answer, CallAnswer)
    # The operator never applies the answer: the unit's connectivity checks go unanswered.
    await state(phone.speakerphone, CallState.ENDED)
    assert phone.speakerphone.status.reason == HangupReason.FAILED
    hangup = await operator.next_message()
    assert isinstance(hangup, Hangup)
    assert hangup.reason == HangupReason.FAILED


@pytest.mark.parametrize(
    "sdp",
    [
        pytest.param("v=0\r\nnonsense\r\n", id="no-media"),
        pytest.param("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF opus\r\n", id="malformed"),
        pytest.param("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", id="no-ice"),
        pytest.param(
            "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=mid:0\r\n"
            "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
            "a=fingerprint:sha-256 AA\r\na=setup:actpass\r\na=rtcp-mux\r\n",
            id="video-only",
        ),
    ],
)
async def test_an_unusable_offer_is_hung_up_as_failed(line: MakeLine, sdp: str) -> None:
    """An offer the unit cannot take is answered with a hangup, not left half made."""
    phone = line()
    operator = phone.operator()
    await operator.signal(
        CallOffer(home_id=HOME, call_id=operator.call_id, ts=now(), type="offer", sdp=sdp)
    )
    hangup = await operator.next_message()
    assert isinstance(hangup, Hangup)
    assert hangup.reason == HangupReason.FAILED
    assert phone.speakerphone.status.state == CallState.ENDED
    assert phone.speakerphone.status.reason == HangupReason.FAILED


async def test_signals_of_other_calls_and_homes_are_ignored(line: MakeLine) -> None:
    """Candidates and hangups of no current call, or another home, change nothing."""
    phone = line()
    operator = phone.operator()
    with capture_logs() as logs:
        await operator.signal(operator.candidate(""))
        await operator.signal(operator.hangup())
        await phone.speakerphone.handle(operator.hangup().model_copy(update={"home_id": "home-8"}))
    assert [entry["why"] for entry in logs] == [
        "not the current call",
        "not the current call",
        "another home",
    ]
    assert phone.speakerphone.status.state == CallState.IDLE
    assert operator.inbox.empty()


# --- audio sources and meter, no network


async def test_tone_frames_and_level() -> None:
    """A tone is 48 kHz mono s16 in 20 ms frames; a sine of amplitude 0.5 reads -9.03 dBFS."""
    tone, meter = ToneTrack(OPERATOR_HZ, 0.5), LevelMeter()
    for _ in range(5):
        frame = await tone.recv()
        meter.update(frame)
    assert (frame.sample_rate, frame.samples, frame.format.name) == (48000, FRAME_SAMPLES, "s16")
    assert frame.layout.name == "mono"
    assert meter.reading().frames == 5
    assert meter.level_dbfs == pytest.approx(-9.03, abs=0.05)
    tone.stop()
    with pytest.raises(MediaStreamError):
        await tone.recv()


async def test_file_source_loops_a_wav(tmp_path: Path) -> None:
    """A WAV (8 kHz stereo, shorter than the test) is converted and looped at its level."""
    path = tmp_path / "prompt.wav"
    rate, seconds = 8000, 0.1
    samples = [round(16000 * math.sin(2 * math.pi * 300 * i / rate)) for i in range(800)]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(array("h", [s for x in samples for s in (x, x)]).tobytes())
    track, meter = FileTrack(path), LevelMeter()
    for _ in range(round(3 * seconds / 0.02)):  # three times round the file
        frame = await track.recv()
        assert (frame.sample_rate, frame.samples, frame.layout.name) == (48000, 960, "mono")
        meter.update(frame)
    # Peak 16000 of 32768, a sine: 20*log10(16000/32768) - 3.01 = -9.24 dBFS.
    assert meter.level_dbfs == pytest.approx(-9.24, abs=0.3)
    track.stop()


async def test_file_microphone_decodes_once_and_makes_a_track_per_call(tmp_path: Path) -> None:
    """Each call gets its own track (tracks stop with their call) over the same decoded file."""
    path = tmp_path / "prompt.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(array("h", [8192, -8192] * FRAME_SAMPLES).tobytes())
    make = file_microphone(path)
    path.unlink()  # decoded already
    first, second = make(), make()
    assert first is not second
    first.stop()
    meter = LevelMeter()
    meter.update(await second.recv())
    assert meter.level_dbfs == pytest.approx(-12.04, abs=0.05)  # a square wave at a quarter
    second.stop()


def test_file_source_refuses_what_it_cannot_play(tmp_path: Path) -> None:
    """A missing or non-audio file fails when the source is made, not during a call."""
    with pytest.raises(AudioSourceError):
        FileTrack(tmp_path / "missing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all" * 64)
    with pytest.raises(AudioSourceError):
        FileTrack(junk)
    with pytest.raises(AudioSourceError):
        file_microphone(junk)


def test_settings_are_checked() -> None:
    """A bad ICE server URL or a non-positive limit is refused when set."""

    async def discard(_: CallSignalFromHome) -> None:
        return None

    Speakerphone(HOME, discard, ice_servers=[IceServer(urls=["stun:stun.example.org:3478"])])
    with pytest.raises(SpeakerphoneConfigError):
        Speakerphone(HOME, discard, ice_servers=[IceServer(urls=["stun:host?transport=udp"])])
    with pytest.raises(SpeakerphoneConfigError):
        Speakerphone(HOME, discard, max_call_s=0)
