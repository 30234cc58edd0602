"""The physical reference: the unit's speakerphone called by a bare aiortc peer, in memory."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiortc import MediaStreamError, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from bench.call_setup import say
from bench.call_setup.timing import (
    AUDIBLE_DBFS,
    OPERATOR_AMPLITUDE,
    OPERATOR_HZ,
    POLL_S,
    UNIT_AMPLITUDE,
    UNIT_HZ,
    Timing,
)
from bench.common.output import BenchError
from gateway.audio import LevelMeter, ToneTrack, tone_microphone
from gateway.speakerphone.phone import Speakerphone
from protocol import CallAnswer, CallOffer, Hangup, HangupReason

if TYPE_CHECKING:
    from aiortc import MediaStreamTrack

    from protocol.call import CallSignalFromHome


class Reference:
    """A speakerphone of its own, called by an aiortc operator with the offer in memory."""

    def __init__(self) -> None:
        """A speakerphone sending a 1 kHz tone; its answers and hangups come to :attr:`inbox`."""
        self.inbox: asyncio.Queue[CallSignalFromHome] = asyncio.Queue()
        self.speakerphone = Speakerphone(
            "bench-reference", self.inbox.put, microphone=tone_microphone(UNIT_HZ, UNIT_AMPLITUDE)
        )

    async def call(self, timeout_s: float) -> Timing:
        """One call, offer to audio both ways; hung up afterwards."""
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        ear = LevelMeter()
        listening: list[asyncio.Task[None]] = []

        async def listen(track: MediaStreamTrack) -> None:
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                ear.update(frame)  # type: ignore[arg-type]

        pc.on("track", lambda track: listening.append(asyncio.ensure_future(listen(track))))
        call_id = uuid.uuid4()
        timing = Timing(time.perf_counter())
        try:
            async with asyncio.timeout(timeout_s):
                pc.addTrack(ToneTrack(OPERATOR_HZ, OPERATOR_AMPLITUDE))
                await pc.setLocalDescription(await pc.createOffer())
                timing.mark("offer_made")
                offer = CallOffer(
                    home_id="bench-reference",
                    call_id=call_id,
                    ts=datetime.now(UTC),
                    type="offer",
                    sdp=pc.localDescription.sdp,
                )
                await self.speakerphone.handle(offer)
                answer = await self.inbox.get()
                if not isinstance(answer, CallAnswer):
                    raise BenchError(f"the speakerphone sent {answer.type}, not an answer")
                timing.mark("answer")
                await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))
                await self._until_heard(pc, ear, call_id, timing)
        except TimeoutError:
            say(f"reference call: no audio both ways in {timeout_s} s")
        finally:
            await self.speakerphone.handle(
                Hangup(
                    home_id="bench-reference",
                    call_id=call_id,
                    ts=datetime.now(UTC),
                    type="hangup",
                    reason=HangupReason.OPERATOR,
                )
            )
            await pc.close()
            for task in listening:
                task.cancel()
            await asyncio.gather(*listening, return_exceptions=True)
            while not self.inbox.empty():
                self.inbox.get_nowait()
        return timing

    async def _until_heard(
        self, pc: RTCPeerConnection, ear: LevelMeter, call_id: uuid.UUID, timing: Timing
    ) -> None:
        while "both_hear" not in timing.stages:
            if pc.connectionState == "connected":
                timing.mark("connected")
            status = self.speakerphone.status
            received = status.received
            if (
                status.call_id == call_id
                and received.frames > 0
                and received.level_dbfs > AUDIBLE_DBFS
            ):
                timing.mark("unit_hears")
            if ear.frames > 0 and ear.level_dbfs > AUDIBLE_DBFS:
                timing.mark("operator_hears")
            if "unit_hears" in timing.stages and "operator_hears" in timing.stages:
                timing.stages["both_hear"] = max(
                    timing.stages["unit_hears"], timing.stages["operator_hears"]
                )
                return
            await asyncio.sleep(POLL_S)

    async def close(self) -> None:
        """End any call left."""
        await self.speakerphone.close()
