"""One call of the speakerphone: its peer connection, the audio both ways, its background tasks.

The speakerphone (:mod:`gateway.speakerphone.phone`) decides when a call starts and ends;
a :class:`Call` does the WebRTC side of it: the answer to the operator's offer, the candidates
they trickle, the microphone sent and the operator's audio played (here, measured).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import av
from aiortc import (
    InvalidAccessError,
    InvalidStateError,
    MediaStreamError,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.exceptions import OperationError
from aiortc.sdp import candidate_from_sdp

from gateway.audio import LevelMeter, MeteredTrack

if TYPE_CHECKING:
    from collections.abc import Awaitable, Sequence
    from uuid import UUID

    import structlog
    from aiortc import MediaStreamTrack, RTCIceCandidate, RTCIceServer

    from protocol import HangupReason, IceCandidate

# aiortc's SDP parser rejects malformed input with assert (AssertionError), its checks with
# ValueError, and a description it cannot use with the errors of the WebRTC specification.
NEGOTIATION_ERRORS: Final = (
    ValueError,
    AssertionError,
    InvalidAccessError,
    InvalidStateError,
    OperationError,
)
"""What :meth:`Call.negotiate` raises for an offer the unit cannot answer."""


@dataclass(eq=False)
class Call:
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

    @classmethod
    def open(
        cls,
        call_id: UUID,
        source: MediaStreamTrack,
        ice_servers: Sequence[RTCIceServer],
        log: structlog.typing.FilteringBoundLogger,
    ) -> Call:
        """A call sending ``source``, whose peer connection uses ``ice_servers``.

        The caller makes ``source`` first: making it may fail, and must not leave a peer
        connection open.
        """
        sent = LevelMeter()
        microphone = MeteredTrack(source, sent)
        pc = RTCPeerConnection(
            # An explicit list, even empty: given None, aiortc falls back to Google's STUN server.
            RTCConfiguration(iceServers=list(ice_servers))
        )
        call = cls(
            call_id=call_id,
            pc=pc,
            microphone=microphone,
            sent=sent,
            received=LevelMeter(),
            log=log,
            started=asyncio.get_running_loop().time(),
        )
        pc.on("track", call._on_track)
        return call

    async def negotiate(self, sdp: str) -> str:
        """Take the operator's offer ``sdp``; the answer's SDP, with every local candidate.

        Raises:
            ValueError: the offer has no audio; that and the rest of :data:`NEGOTIATION_ERRORS`
                for an offer aiortc cannot use.
        """
        pc = self.pc
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        if not any(t.kind == "audio" for t in pc.getTransceivers()):
            raise ValueError("the offer has no audio")
        pc.addTrack(self.microphone)
        # setLocalDescription gathers every local candidate into the description.
        await pc.setLocalDescription(await pc.createAnswer())
        answer: str = pc.localDescription.sdp
        return answer

    async def add_candidate(self, signal: IceCandidate) -> None:
        """Add a candidate the operator's side trickled (empty: the end of its candidates).

        One that cannot be read or comes too late is logged and left out.
        """
        text = signal.candidate.strip()
        candidate: RTCIceCandidate | None = None
        if text:
            try:
                candidate = parse_candidate(text)
            except ValueError as err:
                self.log.warning("speakerphone_candidate_refused", candidate=text, error=str(err))
                return
            candidate.sdpMid = signal.sdp_mid
            candidate.sdpMLineIndex = signal.sdp_mline_index
            if candidate.sdpMid is None and candidate.sdpMLineIndex is None:
                # aiortc needs one of them; the first m-line is the audio the call is made of.
                candidate.sdpMLineIndex = 0
        try:
            await self.pc.addIceCandidate(candidate)
        except ValueError as err:  # aioice: a candidate after the end of candidates
            self.log.warning("speakerphone_candidate_refused", candidate=text, error=str(err))
            return
        self.log.info("speakerphone_candidate_added", end=candidate is None)

    def spawn(self, work: Awaitable[None]) -> None:
        """Run ``work`` in the background until it ends or the call does."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    async def close(self, reason: HangupReason, *, notify: bool) -> None:
        """Stop the call's background tasks, microphone and peer connection; log its end.

        A background task ending the call is not cancelled by it. ``reason`` and ``notify``
        (whether the operator is being told) go into the log line.
        """
        current = asyncio.current_task()
        others = [task for task in self.tasks if task is not current]
        for task in others:
            task.cancel()
        self.microphone.stop()
        await self.pc.close()
        await asyncio.gather(*others, return_exceptions=True)
        loop = asyncio.get_running_loop()
        sent, received = self.sent.reading(), self.received.reading()
        self.log.info(
            "speakerphone_ended",
            reason=reason.value,
            notify=notify,
            duration_s=round(loop.time() - self.started, 3),
            sent_frames=sent.frames,
            sent_dbfs=round(sent.level_dbfs, 1),
            received_frames=received.frames,
            received_dbfs=round(received.level_dbfs, 1),
        )

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self.spawn(self._play(track))

    async def _play(self, track: MediaStreamTrack) -> None:
        """Consume the operator's audio: a headless unit's speaker is its level meter."""
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, av.AudioFrame):
                self.received.update(frame)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            # A background hangup whose send failed, say: nobody awaits these tasks.
            self.log.error("speakerphone_task_failed", exc_info=err)


def parse_candidate(text: str) -> RTCIceCandidate:
    """Read an SDP candidate attribute, with or without ``a=`` and ``candidate:`` in front.

    Raises:
        ValueError: not a candidate line.
    """
    text = text.removeprefix("a=").removeprefix("candidate:")
    # aiortc's parser asserts eight fields; checking first keeps malformed input a ValueError.
    if len(text.split()) < 8:
        raise ValueError("a candidate has at least eight fields")
    return candidate_from_sdp(text)
