"""The speakerphone: takes the call signals, answers, keeps the state, hangs up.

See :mod:`gateway.speakerphone` for why it answers by itself; each call's WebRTC side is a
:class:`~gateway.speakerphone.call.Call`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TypeAlias

import structlog
from aiortc import MediaStreamTrack, RTCIceServer

from gateway.audio import SILENCE_DBFS, LevelReading, ToneTrack
from gateway.speakerphone.call import NEGOTIATION_ERRORS, Call
from gateway.speakerphone.settings import (
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_MAX_CALL_S,
    positive,
    rtc_ice_servers,
)
from gateway.speakerphone.status import CallState, CallStatus
from protocol import CallAnswer, CallOffer, Hangup, HangupReason, IceCandidate, IceServer

if TYPE_CHECKING:
    from uuid import UUID

    from protocol.call import CallSignalFromHome

# The package's name, not this module's: the log lines keep the logger they had before the
# speakerphone was split into modules.
log = structlog.get_logger("gateway.speakerphone")

_RECENT_CALLS: Final = 32
"""Call ids remembered after they end, so a redelivered offer (MQTT QoS 1 may deliver twice)
is not answered again."""

Send: TypeAlias = Callable[["CallSignalFromHome"], Awaitable[None]]
"""Publishes a message on ``up/call``."""
Microphone: TypeAlias = Callable[[], MediaStreamTrack]
"""Makes the audio track a new call sends (a track is stopped when its call ends)."""


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
        self._call: Call | None = None
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
            self._max_call_s = positive("max_call_s", max_call_s)
        if connect_timeout_s is not None:
            self._connect_timeout_s = positive("connect_timeout_s", connect_timeout_s)
        if ice_servers is not None:
            self._ice_servers = rtc_ice_servers(ice_servers)

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
                await call.add_candidate(signal)
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
        call = Call.open(
            offer.call_id,
            self._microphone(),
            self._ice_servers,
            log.bind(home_id=self._home_id, call_id=str(offer.call_id)),
        )
        self._call = call
        self._recent.append(call.call_id)
        self._set_state(CallState.ANSWERING, None)
        call.log.info("speakerphone_offered")
        call.pc.on("connectionstatechange", lambda: self._on_connection_state(call))

        answer: CallAnswer | None = None
        try:
            sdp = await call.negotiate(offer.sdp)
            answer = CallAnswer(
                home_id=self._home_id,
                call_id=call.call_id,
                ts=datetime.now(UTC),
                type="answer",
                sdp=sdp,
            )
        except NEGOTIATION_ERRORS as err:
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
        call.spawn(self._max_duration(call))
        call.spawn(self._connect_deadline(call))

    # --- during a call

    def _on_connection_state(self, call: Call) -> None:
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
            call.spawn(self._end_from_task(call, HangupReason.FAILED))

    async def _max_duration(self, call: Call) -> None:
        await asyncio.sleep(self._max_call_s)
        call.log.info("speakerphone_max_duration", max_call_s=self._max_call_s)
        await self._end_from_task(call, HangupReason.TIMEOUT)

    async def _connect_deadline(self, call: Call) -> None:
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                await call.connected.wait()
        except TimeoutError:
            call.log.warning("speakerphone_connect_timeout", timeout_s=self._connect_timeout_s)
            await self._end_from_task(call, HangupReason.FAILED)

    async def _end_from_task(self, call: Call, reason: HangupReason) -> None:
        async with self._lock:
            await self._end(call, reason, notify=True)

    # --- ending

    async def _end(self, call: Call, reason: HangupReason, *, notify: bool) -> None:
        """End ``call`` locally, then, if ``notify``, tell the operator with a hangup."""
        if call.ended:
            return
        call.ended = True
        if self._call is call:
            self._set_state(CallState.ENDED, reason)
        await call.close(reason, notify=notify)
        if notify:
            await self._send(self._hangup(call.call_id, reason))

    # --- helpers

    def _set_state(self, state: CallState, reason: HangupReason | None) -> None:
        self._state, self._reason = state, reason
        self._changed.set()
        self._changed = asyncio.Event()

    def _current_id(self) -> UUID | None:
        return None if self._call is None or self._call.ended else self._call.call_id

    def _current(self, signal: IceCandidate | Hangup) -> Call | None:
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
