"""The home unit's speakerphone: answers the operator's call by itself, with WebRTC (aiortc).

A social alarm unit never asks the person at home to pick up: someone who has fallen may not
reach the unit. So an offer from the hub (``down/call``) is answered at once, one call at a
time; a second offer during a call is refused as busy. The answer carries all of the unit's
ICE candidates (aiortc gathers them before it returns a description), so the unit trickles
nothing; it does accept candidates trickled by the operator's side.

The unit feeds every call signal to :meth:`Speakerphone.handle` and publishes what comes out
of the ``send`` callback on ``up/call``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final, TypeAlias

import av
import structlog
from aiortc import (
    InvalidAccessError,
    InvalidStateError,
    MediaStreamError,
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceGatherer,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.exceptions import OperationError
from aiortc.sdp import candidate_from_sdp

from gateway.audio import SILENCE_DBFS, LevelMeter, LevelReading, MeteredTrack, ToneTrack
from protocol import CallAnswer, CallOffer, Hangup, HangupReason, IceCandidate, IceServer

if TYPE_CHECKING:
    from uuid import UUID

    from aiortc import RTCIceCandidate

    from protocol.call import CallSignalFromHome

log = structlog.get_logger(__name__)

DEFAULT_MAX_CALL_S: Final = 3600
"""A call is ended after an hour unless configured otherwise (GatewayConfig allows 60-14400)."""
DEFAULT_CONNECT_TIMEOUT_S: Final = 30.0
"""How long an answered call may take to connect before it counts as failed.

ICE alone may never give up: until the operator's side signals the end of its candidates,
aioice keeps waiting for more, so a call whose media cannot flow needs this deadline."""
_RECENT_CALLS: Final = 32
"""Call ids remembered after they end, so a redelivered offer (MQTT QoS 1 may deliver twice)
is not answered again."""

# aiortc's SDP parser rejects malformed input with assert (AssertionError), its checks with
# ValueError, and a description it cannot use with the errors of the WebRTC specification.
_NEGOTIATION_ERRORS: Final = (
    ValueError,
    AssertionError,
    InvalidAccessError,
    InvalidStateError,
    OperationError,
)

Send: TypeAlias = Callable[["CallSignalFromHome"], Awaitable[None]]
"""Publishes a message on ``up/call``."""
Microphone: TypeAlias = Callable[[], MediaStreamTrack]
"""Makes the audio track a new call sends (a track is stopped when its call ends)."""


class SpeakerphoneConfigError(ValueError):
    """A speakerphone setting is unusable (an ICE server URL aiortc cannot parse, a bad limit)."""


class CallState(StrEnum):
    """Where the speakerphone is in a call."""

    IDLE = "idle"
    """No call since start-up."""
    ANSWERING = "answering"
    """An offer was taken; the answer is made or sent and media is connecting."""
    CONNECTED = "connected"
    """Media flows both ways."""
    ENDED = "ended"
    """The last call is over; :attr:`CallStatus.reason` says why. A new offer is welcome."""


@dataclass(frozen=True, slots=True)
class CallStatus:
    """A snapshot of the speakerphone: the current or last call and its audio levels."""

    state: CallState
    call_id: UUID | None
    reason: HangupReason | None
    """Why the call ended; None unless ``state`` is ENDED."""
    sent: LevelReading
    """What the unit's microphone sent to the operator."""
    received: LevelReading
    """What the unit played from the operator."""


@dataclass(eq=False)
class _Call:
    """One call's peer connection, tracks and background tasks."""

    call_id: UUID
    pc: RTCPeerConnection
    microphone: MeteredTrack
    sent: LevelMeter
    received: LevelMeter
    log: structlog.typing.FilteringBoundLogger
    started: float
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    ended: bool = False


class Speakerphone:
    """Answers calls automatically, plays the operator, sends the microphone, hangs up.

    One call at a time. Construct it once per unit; it lives across calls.
    """

    def __init__(  # noqa: PLR0913 - each is an independent setting with a sensible default
        self,
        home_id: str,
        send: Send,
        *,
        ice_servers: Sequence[IceServer] = (),
        max_call_s: float = DEFAULT_MAX_CALL_S,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        microphone: Microphone | None = None,
    ) -> None:
        """A speakerphone for ``home_id`` that publishes its answers and hangups with ``send``.

        Args:
            home_id: this unit's home; signals for another home are ignored.
            send: publishes a message on ``up/call``. An exception from it propagates out of
                :meth:`handle` or :meth:`hangup` (after the call was ended locally); from a
                hangup the speakerphone sends by itself (timeout, failure) it is logged.
            ice_servers: STUN/TURN servers; none by default, which suffices on a LAN or
                loopback. aiortc uses the first ``stun:`` and the first ``turn:``/``turns:``
                URL and ignores ``stuns:``.
            max_call_s: a call is hung up (reason timeout) this long after it was answered.
                Any positive value is accepted here; the wire config keeps it to 60-14400.
            connect_timeout_s: an answered call that has not connected by then fails.
            microphone: makes each call's audio source; by default a 1 kHz tone at -15 dBFS.

        Raises:
            SpeakerphoneConfigError: an ICE server URL is malformed or a limit not positive.
        """
        self._home_id = home_id
        self._send = send
        self._microphone: Microphone = microphone or ToneTrack
        self._ice_servers: list[RTCIceServer] = []
        self._max_call_s = 0.0
        self._connect_timeout_s = 0.0
        self.configure(
            ice_servers=ice_servers, max_call_s=max_call_s, connect_timeout_s=connect_timeout_s
        )
        self._call: _Call | None = None
        self._state = CallState.IDLE
        self._reason: HangupReason | None = None
        self._recent: deque[UUID] = deque(maxlen=_RECENT_CALLS)
        # Signals are applied one at a time, so a hangup or a candidate that arrives while the
        # offer is being answered waits for the answer instead of racing it.
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()

    def configure(
        self,
        *,
        ice_servers: Sequence[IceServer] | None = None,
        max_call_s: float | None = None,
        connect_timeout_s: float | None = None,
    ) -> None:
        """Change settings (from a config command); a call in progress keeps the old ones.

        Raises:
            SpeakerphoneConfigError: an ICE server URL is malformed or a limit not positive.
        """
        if max_call_s is not None:
            self._max_call_s = _positive("max_call_s", max_call_s)
        if connect_timeout_s is not None:
            self._connect_timeout_s = _positive("connect_timeout_s", connect_timeout_s)
        if ice_servers is not None:
            servers = [
                RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
                for s in ice_servers
            ]
            try:
                # Parsing happens when a connection is made; doing it now turns a bad URL into
                # a refused setting instead of a failed emergency call.
                RTCIceGatherer(iceServers=servers)
            except ValueError as err:
                raise SpeakerphoneConfigError(f"ice_servers: {err}") from err
            self._ice_servers = servers

    @property
    def status(self) -> CallStatus:
        """The current or last call: its state, why it ended, and the audio levels both ways."""
        call = self._call
        if call is None:
            nothing = LevelReading(frames=0, level_dbfs=SILENCE_DBFS)
            return CallStatus(self._state, None, self._reason, nothing, nothing)
        return CallStatus(
            state=self._state,
            call_id=call.call_id,
            reason=self._reason,
            sent=call.sent.reading(),
            received=call.received.reading(),
        )

    @property
    def busy(self) -> bool:
        """Whether a call is being answered or is connected."""
        return self._state in {CallState.ANSWERING, CallState.CONNECTED}

    async def wait_for(self, *states: CallState) -> CallStatus:
        """Wait until the speakerphone is in one of ``states``; returns the status then.

        Bound the wait with ``asyncio.timeout``: a call may never get there.
        """
        while self._state not in states:
            await self._changed.wait()
        return self.status

    async def handle(self, signal: CallOffer | IceCandidate | Hangup) -> None:
        """Apply one call signal from ``down/call``.

        An offer is answered (the answer goes out through ``send`` before this returns), or
        refused as busy during another call. Candidates and hangups apply to the current
        call; ones for another call or home are logged and ignored.
        """
        if signal.home_id != self._home_id:
            log.warning(
                "speakerphone_signal_ignored",
                home_id=self._home_id,
                call_id=str(signal.call_id),
                signal=signal.type,
                why="another home",
            )
            return
        if isinstance(signal, CallOffer) and await self._refused(signal):
            # Checked before taking the lock too: a refusal need not wait for another call's
            # answer to be made.
            return
        async with self._lock:
            if isinstance(signal, CallOffer):
                if not await self._refused(signal):
                    await self._answer(signal)
            elif (call := self._current(signal)) is None:
                return
            elif isinstance(signal, IceCandidate):
                await self._add_candidate(call, signal)
            else:
                call.log.info("speakerphone_peer_hung_up", reason=signal.reason.value)
                await self._end(call, signal.reason, notify=False)

    async def hangup(self, reason: HangupReason = HangupReason.HOME) -> None:
        """End the current call (if any) and tell the operator why.

        ``home`` is the person at home ending the call, the default.
        """
        async with self._lock:
            call = self._call
            if call is not None and not call.ended:
                await self._end(call, reason, notify=True)

    async def close(self) -> None:
        """End any call for a unit shutting down (the operator sees reason ``failed``)."""
        await self.hangup(HangupReason.FAILED)

    # --- offers

    async def _refused(self, offer: CallOffer) -> bool:
        """Whether ``offer`` is not to be answered; a new call during another is told busy."""
        if offer.call_id in self._recent:
            # The current call's offer again, or an old one: MQTT QoS 1 may deliver twice.
            # Answering busy here would hang up the very call the offer set up.
            log.info(
                "speakerphone_signal_ignored",
                home_id=self._home_id,
                call_id=str(offer.call_id),
                signal=offer.type,
                why="offer already taken",
            )
            return True
        if not self.busy:
            return False
        log.info(
            "speakerphone_busy",
            home_id=self._home_id,
            call_id=str(offer.call_id),
            active_call_id=str(self._current_id()),
        )
        await self._send(self._hangup(offer.call_id, HangupReason.BUSY))
        return True

    async def _answer(self, offer: CallOffer) -> None:
        sent = LevelMeter()
        microphone = MeteredTrack(self._microphone(), sent)  # first: it may fail, pc must not
        pc = RTCPeerConnection(
            # An explicit list, even empty: given None, aiortc falls back to Google's STUN server.
            RTCConfiguration(iceServers=list(self._ice_servers))
        )
        call = _Call(
            call_id=offer.call_id,
            pc=pc,
            microphone=microphone,
            sent=sent,
            received=LevelMeter(),
            log=log.bind(home_id=self._home_id, call_id=str(offer.call_id)),
            started=asyncio.get_running_loop().time(),
        )
        self._call = call
        self._recent.append(call.call_id)
        self._set_state(CallState.ANSWERING, None)
        call.log.info("speakerphone_offered")
        pc.on("track", lambda track: self._on_track(call, track))
        pc.on("connectionstatechange", lambda: self._on_connection_state(call))

        answer: CallAnswer | None = None
        try:
            answer = await self._negotiate(call, offer.sdp)
        except _NEGOTIATION_ERRORS as err:
            call.log.warning("speakerphone_offer_unusable", error=f"{type(err).__name__}: {err}")
            await self._end(call, HangupReason.FAILED, notify=True)
            return
        finally:
            if answer is None and not call.ended:
                # An unexpected error: the call must not stay half made; the error propagates.
                await self._end(call, HangupReason.FAILED, notify=False)
        sent_ok = False
        try:
            await self._send(answer)
            sent_ok = True
        finally:
            if not sent_ok:
                # Nobody will connect to an answer that was never published.
                await self._end(call, HangupReason.FAILED, notify=False)
        call.log.info("speakerphone_answered")
        self._spawn(call, self._max_duration(call))
        self._spawn(call, self._connect_deadline(call))

    async def _negotiate(self, call: _Call, sdp: str) -> CallAnswer:
        pc = call.pc
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        if not any(t.kind == "audio" for t in pc.getTransceivers()):
            raise ValueError("the offer has no audio")
        pc.addTrack(call.microphone)
        # setLocalDescription gathers every local candidate into the description.
        await pc.setLocalDescription(await pc.createAnswer())
        return CallAnswer(
            home_id=self._home_id,
            call_id=call.call_id,
            ts=datetime.now(UTC),
            type="answer",
            sdp=pc.localDescription.sdp,
        )

    # --- during a call

    async def _add_candidate(self, call: _Call, signal: IceCandidate) -> None:
        text = signal.candidate.strip()
        candidate: RTCIceCandidate | None = None
        if text:
            try:
                candidate = _parse_candidate(text)
            except ValueError as err:
                call.log.warning("speakerphone_candidate_refused", candidate=text, error=str(err))
                return
            candidate.sdpMid = signal.sdp_mid
            candidate.sdpMLineIndex = signal.sdp_mline_index
            if candidate.sdpMid is None and candidate.sdpMLineIndex is None:
                # aiortc needs one of them; the first m-line is the audio the call is made of.
                candidate.sdpMLineIndex = 0
        try:
            await call.pc.addIceCandidate(candidate)
        except ValueError as err:  # aioice: a candidate after the end of candidates
            call.log.warning("speakerphone_candidate_refused", candidate=text, error=str(err))
            return
        call.log.info("speakerphone_candidate_added", end=candidate is None)

    def _on_track(self, call: _Call, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(call, self._play(call, track))

    async def _play(self, call: _Call, track: MediaStreamTrack) -> None:
        """Consume the operator's audio: a headless unit's speaker is its level meter."""
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, av.AudioFrame):
                call.received.update(frame)

    def _on_connection_state(self, call: _Call) -> None:
        state = call.pc.connectionState
        if call.ended:
            return
        call.log.debug("speakerphone_connection_state", connection=state)
        if state == "connected":
            call.connected.set()
            self._set_state(CallState.CONNECTED, None)
            call.log.info(
                "speakerphone_connected",
                after_s=round(asyncio.get_running_loop().time() - call.started, 3),
            )
        elif state in {"failed", "closed"}:
            # "closed" without our hangup: the operator's side closed its connection.
            self._spawn(call, self._end_from_task(call, HangupReason.FAILED))

    async def _max_duration(self, call: _Call) -> None:
        await asyncio.sleep(self._max_call_s)
        call.log.info("speakerphone_max_duration", max_call_s=self._max_call_s)
        await self._end_from_task(call, HangupReason.TIMEOUT)

    async def _connect_deadline(self, call: _Call) -> None:
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                await call.connected.wait()
        except TimeoutError:
            call.log.warning("speakerphone_connect_timeout", timeout_s=self._connect_timeout_s)
            await self._end_from_task(call, HangupReason.FAILED)

    async def _end_from_task(self, call: _Call, reason: HangupReason) -> None:
        async with self._lock:
            await self._end(call, reason, notify=True)

    # --- ending

    async def _end(self, call: _Call, reason: HangupReason, *, notify: bool) -> None:
        """End ``call`` locally, then, if ``notify``, tell the operator with a hangup."""
        if call.ended:
            return
        call.ended = True
        if self._call is call:
            self._set_state(CallState.ENDED, reason)
        current = asyncio.current_task()
        others = [task for task in call.tasks if task is not current]
        for task in others:
            task.cancel()
        call.microphone.stop()
        await call.pc.close()
        await asyncio.gather(*others, return_exceptions=True)
        loop = asyncio.get_running_loop()
        sent, received = call.sent.reading(), call.received.reading()
        call.log.info(
            "speakerphone_ended",
            reason=reason.value,
            notify=notify,
            duration_s=round(loop.time() - call.started, 3),
            sent_frames=sent.frames,
            sent_dbfs=round(sent.level_dbfs, 1),
            received_frames=received.frames,
            received_dbfs=round(received.level_dbfs, 1),
        )
        if notify:
            await self._send(self._hangup(call.call_id, reason))

    def _spawn(self, call: _Call, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        call.tasks.add(task)
        task.add_done_callback(lambda done: self._finished(call, done))

    @staticmethod
    def _finished(call: _Call, task: asyncio.Task[None]) -> None:
        call.tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            # A background hangup whose send failed, say: nobody awaits these tasks.
            call.log.error("speakerphone_task_failed", exc_info=err)

    # --- helpers

    def _set_state(self, state: CallState, reason: HangupReason | None) -> None:
        self._state, self._reason = state, reason
        self._changed.set()
        self._changed = asyncio.Event()

    def _current_id(self) -> UUID | None:
        return None if self._call is None or self._call.ended else self._call.call_id

    def _current(self, signal: IceCandidate | Hangup) -> _Call | None:
        call = self._call
        if call is None or call.ended or call.call_id != signal.call_id:
            log.info(
                "speakerphone_signal_ignored",
                home_id=self._home_id,
                call_id=str(signal.call_id),
                signal=signal.type,
                why="not the current call",
            )
            return None
        return call

    def _hangup(self, call_id: UUID, reason: HangupReason) -> Hangup:
        return Hangup(
            home_id=self._home_id,
            call_id=call_id,
            ts=datetime.now(UTC),
            type="hangup",
            reason=reason,
        )


def _parse_candidate(text: str) -> RTCIceCandidate:
    """Read an SDP candidate attribute, with or without ``a=`` and ``candidate:`` in front.

    Raises:
        ValueError: not a candidate line.
    """
    text = text.removeprefix("a=").removeprefix("candidate:")
    # aiortc's parser asserts eight fields; checking first keeps malformed input a ValueError.
    if len(text.split()) < 8:
        raise ValueError("a candidate has at least eight fields")
    return candidate_from_sdp(text)


def _positive(name: str, value: float) -> float:
    if not value > 0:
        raise SpeakerphoneConfigError(f"{name} must be positive, not {value}")
    return value
