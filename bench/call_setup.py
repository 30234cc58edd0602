"""How long a voice call from the console takes to carry audio both ways, against aiortc alone.

Run: ``python -m bench.call_setup [--calls N]``.

It starts a private Mosquitto and PostgreSQL (or uses ``TELECARE_MQTT_URL`` /
``TELECARE_DATABASE_URL``, as ``bench.ingest`` does, on a fresh database dropped afterwards;
an external broker must let in the hub's user and the home's, with ``TELECARE_MQTT_PASSWORD``
if it wants one), migrates, registers one home with a resident and makes an operator of its
district. The hub runs in this process (``hub.app.create_app`` on an aiohttp ``AppRunner``, as
the tests' hub does), and so does the home's real unit (:class:`gateway.unit.HomeUnit`, its
speakerphone sending a 1 kHz tone at -15 dBFS RMS and answering by itself). Debian's Chromium,
headless and driven by Playwright, loads the console from the hub and signs in (Italian, the
default), with Chromium's fake devices: the operator's microphone is a 440 Hz tone at -9 dBFS
RMS, a WAV file written for the run and looped (``--use-file-for-fake-audio-capture``), so
audio is there from the first moment. Chromium's own fake microphone beeps 20 ms every half
second, the first beep half a second after capture starts: with it the unit first heard the
operator about 640 ms after the click in every call, the wait for that beep, not the call.

The calls are placed from an alarm, the emergency case: the unit reports a panic press, the
operator opens its row in the queue and claims it ("Prendi in carico"), then, ``calls`` times,
presses "Chiama la casa" on the alarm's panel, waits for audio both ways, presses "Riaggancia",
waits until the unit's call and the console's have ended, the call button is enabled again and
``pause_s`` more, and goes on. A call is timed with ``time.perf_counter`` from just before the
click (the pointer already resting on the button, the click is the mouse button pressed and
released) until audio flows both ways, polled every 10 ms: the page's
``window.telecareCall.getStats()`` for this call shows ``bytesReceived`` grown since the call's
first sample with ``remoteLevel`` (the console's meter of the home, RMS x 4 of its last 21 ms,
refreshed every 100 ms) above 0.01, and the unit's ``speakerphone.status`` for this call shows
``received.frames`` > 0 with ``received.level_dbfs`` above -40 dBFS (its RMS over the last half
second). Each side is taken as heard from the first poll that saw it; the call, when both were.
Before the measured calls one warm-up call of each kind is made and left out of the figures.

The physical reference, in the same run: the same set-up between two aiortc peers on
loopback with no hub, broker or browser: an operator peer (440 Hz tone, no ICE servers) makes
its offer (aiortc gathers its candidates into it), a speakerphone of its own (the unit's code,
1 kHz tone) is handed the offer in memory and answers, the answer goes straight back, and the
same 10 ms polling waits for both ends to hear the other above -40 dBFS. One reference call is
made after each console call (interleaved, so that both see the same load from the machine's
other users), timed from just before the operator creates its offer.

Progress goes to standard error; the last line of standard output is one JSON object:

- ``benchmark``: ``call_setup``;
- ``calls``: console calls measured (not counting the warm-up); ``failed``: of those, calls
  in which audio did not flow both ways within ``timeout_s`` (left out of the figures);
- ``p50_ms``, ``p95_ms``, ``max_ms``, ``min_ms``: the click to audio both ways, over the calls
  that made it; ``calls_ms``: every call's time in order (null for a failed one);
  ``target_p50_ms``: the issue's figure to reach on loopback (1000), ``meets_target`` whether
  ``p50_ms`` reaches it;
- ``stages_ms``: p50 and p95 of when each step was seen, in ms from the click (so each includes
  the ones before it): ``clicked`` the mouse button's press and release were dispatched
  (Playwright's round trips to the browser); ``offer_sent`` the console sent ``call.start`` on
  its stream socket (it has asked for the microphone, fetched ``/api/v1/webrtc``, made its offer
  and waited for its ICE gathering, at most 2 s); ``placed`` it received ``call.placed``;
  ``unit_offered`` the unit's speakerphone took the offer (state ``answering``: the hub, the
  broker and the unit's MQTT connection); ``answer`` the console received ``call.answer``
  (aiortc made the unit's answer, gathering its candidates, then back over MQTT and the hub);
  ``unit_connected`` the unit's speakerphone connected (ICE and DTLS done on its side);
  ``ice_connected`` the page's ``telecareCall.state`` said ``connected`` (the browser's
  connection state, polled); ``unit_hears`` and ``console_hears`` each side heard the other as
  above; ``both_hear`` the later of the two, the call's time. The socket's frames are seen
  through Playwright's WebSocket events and the unit's states through its speakerphone, both
  timed on arrival in this process;
- ``limit_p50_ms``, ``limit_p95_ms``, ``limit_max_ms``, ``limit_failed``: the same figure for
  the reference calls; ``limit_stages_ms``: ``offer_made`` (the operator's offer, its
  gathering done), ``answer`` (the speakerphone's answer back), ``connected`` (the operator's
  connection state), ``unit_hears``, ``operator_hears``, ``both_hear``; ``ratio_p50`` =
  p50_ms / limit_p50_ms: how many times the physical set-up time the operator waits;
- ``warmup_ms``, ``limit_warmup_ms``: the two warm-up calls (first call of a fresh browser
  and a fresh aiortc, not in the figures);
- ``cpu_percent``: CPU used while the calls were made (100 = one core) by this process (the
  hub, the unit, the reference peers and Playwright's client), the browser (Chromium's
  processes), Playwright's driver, the broker (private only), the hub's database backends and
  the whole machine (``machine_cores`` cores); ``loadavg``: ``/proc/loadavg``'s 1, 5 and 15
  minute figures before and after the calls (the machine is shared);
- ``browser``: Chromium's version; ``timeout_s``, ``pause_s``, ``poll_ms``: the run's
  settings; ``broker``, ``database``: as in ``bench.ingest``; ``wall_s``: the whole run,
  services and browser included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
import wave
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import psutil
import psycopg
from aiohttp import web
from aiortc import MediaStreamError, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from playwright.async_api import async_playwright, expect

from bench.ingest import (
    DISTRICT,
    BenchError,
    Services,
    fresh_database,
    prepare_schema,
    start_services,
)
from gateway.audio import SAMPLE_RATE, LevelMeter, ToneTrack, tone_microphone
from gateway.config import GatewaySettings
from gateway.outbox import Draft, Outbox
from gateway.speakerphone.phone import Speakerphone
from gateway.speakerphone.status import CallState
from gateway.unit import HomeUnit
from hub.app import create_app
from hub.auth import users
from hub.config import HubSettings
from hub.storage import registry
from protocol import CallAnswer, CallOffer, EventKind, Hangup, HangupReason
from runtime.logs import configure_logging
from runtime.mqtt import MqttProtocol
from telecare.services import ServiceError, free_port

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aiortc import MediaStreamTrack
    from playwright.async_api import Browser, Locator, Page, WebSocket

    from protocol.call import CallSignalFromHome

Report = dict[str, Any]

HOME = "bench-call-1"
OPERATOR = "bench-operator"
PENDANT = "pendant"
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
]
CALL_BUTTON = "Chiama la casa"
CLAIM_BUTTON = "Prendi in carico"
HANG_UP_BUTTON = "Riaggancia"
OPERATOR_HZ = 440.0
OPERATOR_AMPLITUDE = 0.5  # -9.0 dBFS RMS
UNIT_HZ = 1000.0
UNIT_AMPLITUDE = 0.25  # -15.1 dBFS RMS
AUDIBLE_DBFS = -40.0
"""Above this a side really hears the other (as in the speakerphone's and relay's tests)."""
AUDIBLE_METER = 0.01
"""The console's meter above this hears the home (as in the console's call test)."""
TARGET_P50_MS = 1000.0
"""The issue's figure to reach on loopback."""
POLL_S = 0.01
READY_TIMEOUT_S = 30.0
STEP_TIMEOUT_S = 30.0
"""Waiting for the console, the unit or an alarm, outside the timed part."""
STATS_JS = """async () => {
  const call = window.telecareCall;
  if (!call) return null;
  const stats = await call.getStats();
  return { stats, state: call.state, callId: call.callId };
}"""
PAGE_STAGES = {"call.start": "offer_sent", "call.placed": "placed", "call.answer": "answer"}
STAGES = (
    "clicked",
    "offer_sent",
    "placed",
    "unit_offered",
    "answer",
    "unit_connected",
    "ice_connected",
    "unit_hears",
    "console_hears",
    "both_hear",
)
LIMIT_STAGES = ("offer_made", "answer", "connected", "unit_hears", "operator_hears", "both_hear")


def say(text: str) -> None:
    """Progress, on standard error (standard output ends with the result)."""
    stamp = time.strftime("%H:%M:%S")
    print(f"[bench.call_setup {stamp}] {text}", file=sys.stderr, flush=True)


def chromium_path() -> str | None:
    """Debian's Chromium on PATH, as the browser tests use it."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def loadavg() -> list[float]:
    """The machine's load average over 1, 5 and 15 minutes."""
    return [float(part) for part in Path("/proc/loadavg").read_text().split()[:3]]


def write_tone(path: Path, frequency_hz: float, amplitude: float) -> None:
    """One second of a sine as 48 kHz mono 16-bit WAV (whole cycles: it loops without a click)."""
    samples = array(
        "h",
        (
            round(amplitude * 32767 * math.sin(2 * math.pi * frequency_hz * n / SAMPLE_RATE))
            for n in range(SAMPLE_RATE)
        ),
    )
    if sys.byteorder != "little":
        samples.byteswap()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())


# --- Timing -------------------------------------------------------------------------------


@dataclass
class Timing:
    """One call: when each step was seen, in seconds from its start."""

    began: float
    """``time.perf_counter()`` just before the click (or the offer)."""
    stages: dict[str, float] = field(default_factory=dict)

    def mark(self, stage: str) -> None:
        """``stage`` is seen now (only its first sighting counts)."""
        self.stages.setdefault(stage, time.perf_counter() - self.began)

    @property
    def total_ms(self) -> float | None:
        """Start to audio both ways, if it got there."""
        both = self.stages.get("both_hear")
        return None if both is None else round(1000 * both, 1)


def quantiles(values: Sequence[float]) -> tuple[float | None, float | None]:
    """p50 and p95, rounded; None when there are too few values."""
    if len(values) < 2:  # what statistics.quantiles needs
        return (round(values[0], 1), round(values[0], 1)) if values else (None, None)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return round(cuts[49], 1), round(cuts[94], 1)


def figures(timings: Sequence[Timing], stages: Sequence[str]) -> Report:
    """Percentiles of the calls that made it, and of each stage seen."""
    totals = [t.total_ms for t in timings if t.total_ms is not None]
    p50, p95 = quantiles(totals)
    by_stage = {}
    for stage in stages:
        seen = [1000 * t.stages[stage] for t in timings if stage in t.stages]
        s50, s95 = quantiles(seen)
        by_stage[stage] = {"p50": s50, "p95": s95}
    return {
        "p50_ms": p50,
        "p95_ms": p95,
        "max_ms": max(totals, default=None),
        "min_ms": min(totals, default=None),
        "failed": len(timings) - len(totals),
        "stages_ms": by_stage,
        "calls_ms": [t.total_ms for t in timings],
    }


# --- The physical reference: two aiortc peers, signalling in memory -----------------------


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


# --- The console in Chromium, calling the real unit through the hub -----------------------


class SocketSteps:
    """Marks a call's signalling steps as the console's stream socket carries them."""

    def __init__(self) -> None:
        """Nothing to mark until a call is being measured."""
        self.timing: Timing | None = None

    def watch(self, socket: WebSocket) -> None:
        """Watch a socket the page opened (the stream, and any reconnection)."""
        socket.on("framesent", self._frame)
        socket.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        if self.timing is None or not isinstance(payload, str) or '"call.' not in payload:
            return
        with contextlib.suppress(ValueError):
            kind = json.loads(payload).get("type")
            if kind in PAGE_STAGES:
                self.timing.mark(PAGE_STAGES[kind])


@dataclass
class ConsoleCaller:
    """A signed-in console page with a claimed alarm of the unit's home, placing calls."""

    page: Page
    unit: HomeUnit
    steps: SocketSteps
    timeout_s: float
    pause_s: float

    @property
    def call_button(self) -> Locator:
        """The alarm panel's "Chiama la casa"."""
        return self.page.locator("#detail").get_by_role("button", name=CALL_BUTTON)

    async def claim_alarm(self) -> None:
        """The unit reports a panic press; the operator opens it from the queue and claims it."""
        self.unit.report(
            Draft(PENDANT, EventKind.PANIC_BUTTON, {"active": True}, datetime.now(UTC))
        )
        where = self.page.locator(".where", has_text=re.compile(rf"^{re.escape(HOME)}( ·|$)"))
        row = self.page.locator("#queue [role=option]", has=where)
        await row.click(timeout=STEP_TIMEOUT_S * 1000)
        detail = self.page.locator("#detail")
        await detail.get_by_role("button", name=CLAIM_BUTTON).click(timeout=STEP_TIMEOUT_S * 1000)
        await self._until_enabled(self.call_button)

    @staticmethod
    async def _until_enabled(button: Locator) -> None:
        await expect(button).to_be_enabled(timeout=STEP_TIMEOUT_S * 1000)

    async def call(self) -> Timing:
        """One call: click, audio both ways (or the timeout), hang up, wait until it is over."""
        await self._until_enabled(self.call_button)
        # The pointer rests on the button first (Playwright's checks that it is there, enabled
        # and still happen here, untimed); the click is then the button pressed and released.
        await self.call_button.hover()
        speakerphone = self.unit.speakerphone
        timing = Timing(time.perf_counter())
        self.steps.timing = timing
        watching = asyncio.create_task(self._watch_unit(speakerphone, timing))
        try:
            await self.page.mouse.down()
            await self.page.mouse.up()
            timing.mark("clicked")
            async with asyncio.timeout(self.timeout_s):
                await self._until_heard(timing)
        except TimeoutError:
            say(f"console call: no audio both ways in {self.timeout_s} s ({sorted(timing.stages)})")
        finally:
            self.steps.timing = None
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
        await self._hang_up()
        return timing

    async def _watch_unit(self, speakerphone: Speakerphone, timing: Timing) -> None:
        await speakerphone.wait_for(CallState.ANSWERING, CallState.CONNECTED)
        timing.mark("unit_offered")
        await speakerphone.wait_for(CallState.CONNECTED)
        timing.mark("unit_connected")

    async def _until_heard(self, timing: Timing) -> None:
        """Poll the page and the unit until each has heard the other."""
        first_bytes: int | None = None
        while True:
            seen: dict[str, Any] | None = await self.page.evaluate(STATS_JS)
            call_id = seen.get("callId") if seen else None
            # Until call.placed the page's call has no id; before the click's handler ran the
            # page may still show the last call: only this call's own figures count.
            if seen is not None and call_id is not None and "placed" in timing.stages:
                stats = seen.get("stats") or {}
                received = int(stats.get("bytesReceived") or 0)
                if first_bytes is None:
                    first_bytes = received
                if seen.get("state") == "connected":
                    timing.mark("ice_connected")
                if received > first_bytes and float(stats.get("remoteLevel") or 0) > AUDIBLE_METER:
                    timing.mark("console_hears")
                status = self.unit.speakerphone.status
                if (
                    str(status.call_id) == call_id
                    and status.received.frames > 0
                    and status.received.level_dbfs > AUDIBLE_DBFS
                ):
                    timing.mark("unit_hears")
                if "console_hears" in timing.stages and "unit_hears" in timing.stages:
                    timing.stages["both_hear"] = max(
                        timing.stages["console_hears"], timing.stages["unit_hears"]
                    )
                    return
            await asyncio.sleep(POLL_S)

    async def _hang_up(self) -> None:
        """Hang up as the operator does; wait for both ends to have ended, and a pause."""
        hang_up = self.page.locator("#call-panel").get_by_role("button", name=HANG_UP_BUTTON)
        if await hang_up.is_enabled():
            await hang_up.click()
        else:
            await self.page.evaluate("() => window.telecareCall?.hangUp()")
        await self.page.wait_for_function(
            "() => window.telecareCall?.state === 'ended'", timeout=STEP_TIMEOUT_S * 1000
        )
        async with asyncio.timeout(STEP_TIMEOUT_S):
            await self.unit.speakerphone.wait_for(CallState.ENDED, CallState.IDLE)
        await self._until_enabled(self.call_button)
        await asyncio.sleep(self.pause_s)


# --- CPU ----------------------------------------------------------------------------------


@dataclass
class Cpu:
    """CPU seconds by role: this process, the browser, Playwright's driver, broker, database."""

    database_url: str
    broker_pid: int | None

    def _roles(self) -> dict[str, list[psutil.Process]]:
        me = psutil.Process()
        roles: dict[str, list[psutil.Process]] = {
            "bench": [me],
            "browser": [],
            "playwright_driver": [],
            "broker": [],
            "db_backends": [],
        }
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                name = child.name()
                if child.pid == self.broker_pid:
                    roles["broker"].append(child)
                elif name.startswith("node"):  # Playwright's Node.js driver ("node-MainThread")
                    roles["playwright_driver"].append(child)
                elif not name.startswith(("postgres", "pg_ctl")):
                    roles["browser"].append(child)  # Chromium's processes, the driver's children
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            ).fetchall()
        for (pid,) in rows:
            with contextlib.suppress(psutil.Error):
                roles["db_backends"].append(psutil.Process(int(pid)))
        return roles

    def sample(self) -> dict[str, Any]:
        """CPU seconds used so far, by role and process, and the machine's busy time."""
        used: dict[str, Any] = {}
        for role, processes in self._roles().items():
            used[f"{role}/none"] = 0.0  # every role reported, even with no process
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    used[f"{role}/{process.pid}"] = times.user + times.system
        total = psutil.cpu_times()
        used["machine"] = sum(total) - total.idle - getattr(total, "iowait", 0.0)
        used["at"] = time.monotonic()
        return used

    def percent(self, before: dict[str, Any]) -> dict[str, float]:
        """Percent of one core by role since ``before`` (processes started since count whole)."""
        after = self.sample()
        wall = after["at"] - before["at"]
        shares: dict[str, float] = {}
        for key, value in after.items():
            if key != "at":
                role = key.split("/", 1)[0]
                shares[role] = shares.get(role, 0.0) + value - before.get(key, 0.0)
        result = {role: round(100 * used / wall, 1) for role, used in shares.items()}
        result["machine_cores"] = float(psutil.cpu_count() or 0)
        return result


# --- The run ------------------------------------------------------------------------------


@dataclass
class Setup:
    """What the run was given: services, database, where to work."""

    args: argparse.Namespace
    services: Services
    database_url: str
    workdir: Path
    password: str
    chromium: str


async def prepare(database_url: str, password: str) -> None:
    """Schema and the home (as ``bench.ingest`` does), its resident and the operator."""
    await prepare_schema(database_url, [HOME])
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await registry.save_resident(
            conn,
            HOME,
            None,
            full_name="Maria Rossi",
            address="Via Roma 1, Udine",
            date_of_birth=None,
            language="it",
            medical_notes="",
            care_notes="",
            key_safe="",
        )
        await users.add_user(conn, OPERATOR, password, users.Role.OPERATOR, [DISTRICT])


async def wait_ready(base: str) -> None:
    """Wait until the hub's /readyz says ready."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(READY_TIMEOUT_S):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running_hub(setup: Setup) -> Any:  # noqa: ANN401 - an async context manager's type
    """The hub in this process, on a free port; its base URL."""
    tag = uuid.uuid4().hex[:8]
    settings = HubSettings(
        database_url=setup.database_url,
        mqtt_url=setup.services.hub_mqtt_url,
        mqtt_protocol=MqttProtocol.V5,
        mqtt_client_id=f"bench-call-{tag}",
        mqtt_share_group=f"bench-call-{tag}",
        http_host="127.0.0.1",
        http_port=free_port(),
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        base = f"http://127.0.0.1:{settings.http_port}"
        await wait_ready(base)
        yield base
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def running_unit(setup: Setup) -> Any:  # noqa: ANN401 - an async context manager's type
    """The home's real unit, connected, its speakerphone on a 1 kHz tone."""
    settings = GatewaySettings(
        mqtt_url=setup.services.target.url,
        home_id=HOME,
        outbox_path=setup.workdir / "outbox.sqlite3",
    )
    unit = HomeUnit(
        settings,
        Outbox(settings.outbox_path, HOME),
        microphone=tone_microphone(UNIT_HZ, UNIT_AMPLITUDE),
    )
    task = asyncio.create_task(unit.run())
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            while not unit.state.connected:
                if task.done():
                    task.result()
                    raise BenchError("the home unit stopped")
                await asyncio.sleep(0.05)
        yield unit
    finally:
        await unit.stop()
        await asyncio.wait_for(task, READY_TIMEOUT_S)


async def open_console(browser: Browser, base: str, password: str, steps: SocketSteps) -> Page:
    """A console page in a fresh context, its sockets watched, signed in as the operator."""
    context = await browser.new_context(
        locale="it-IT", permissions=["microphone"], viewport={"width": 1400, "height": 1000}
    )
    page = await context.new_page()
    page.on("pageerror", lambda error: say(f"page error: {error}"))
    page.on("websocket", steps.watch)
    await page.goto(base)
    await page.locator("#login-username").fill(OPERATOR)
    await page.locator("#login-password").fill(password)
    await page.locator("#login-form button[type=submit]").click()
    await page.locator("#shell").wait_for(state="visible", timeout=STEP_TIMEOUT_S * 1000)
    return page


async def measure(setup: Setup) -> Report:
    """The hub, the unit and the browser up; warm-up; the calls, interleaved with the reference."""
    args = setup.args
    tone = setup.workdir / "operator-440hz.wav"
    write_tone(tone, OPERATOR_HZ, OPERATOR_AMPLITUDE)
    reference = Reference()
    cpu = Cpu(setup.database_url, setup.services.broker_pid)
    async with (
        running_hub(setup) as base,
        running_unit(setup) as unit,
        async_playwright() as playwright,
    ):
        say(f"hub at {base}; home unit {HOME} connected")
        browser = await playwright.chromium.launch(
            executable_path=setup.chromium,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={tone}"],
        )
        try:
            say(f"chromium {browser.version}")
            steps = SocketSteps()
            page = await open_console(browser, base, setup.password, steps)
            caller = ConsoleCaller(page, unit, steps, args.timeout, args.pause)
            await caller.claim_alarm()
            say("signed in, alarm claimed; warm-up calls")
            warmup = await caller.call()
            limit_warmup = await reference.call(args.timeout)
            console_calls: list[Timing] = []
            reference_calls: list[Timing] = []
            load_before = loadavg()
            cpu_before = cpu.sample()
            for number in range(1, args.calls + 1):
                console_calls.append(await caller.call())
                reference_calls.append(await reference.call(args.timeout))
                say(
                    f"call {number}/{args.calls}: console {console_calls[-1].total_ms} ms,"
                    f" reference {reference_calls[-1].total_ms} ms"
                )
            cpu_used = cpu.percent(cpu_before)
            load_after = loadavg()
            version = browser.version
        finally:
            await browser.close()
            await reference.close()
    console = figures(console_calls, STAGES)
    limit = figures(reference_calls, LIMIT_STAGES)
    ratio = (
        round(console["p50_ms"] / limit["p50_ms"], 2)
        if console["p50_ms"] is not None and limit["p50_ms"]
        else None
    )
    return {
        "calls": args.calls,
        "failed": console["failed"],
        "p50_ms": console["p50_ms"],
        "p95_ms": console["p95_ms"],
        "max_ms": console["max_ms"],
        "min_ms": console["min_ms"],
        "target_p50_ms": TARGET_P50_MS,
        "meets_target": console["p50_ms"] is not None and console["p50_ms"] <= TARGET_P50_MS,
        "stages_ms": console["stages_ms"],
        "calls_ms": console["calls_ms"],
        "limit_p50_ms": limit["p50_ms"],
        "limit_p95_ms": limit["p95_ms"],
        "limit_max_ms": limit["max_ms"],
        "limit_failed": limit["failed"],
        "limit_stages_ms": limit["stages_ms"],
        "ratio_p50": ratio,
        "warmup_ms": warmup.total_ms,
        "limit_warmup_ms": limit_warmup.total_ms,
        "cpu_percent": cpu_used,
        "loadavg": {"before": load_before, "after": load_after},
        "browser": version,
    }


def run(args: argparse.Namespace, chromium: str) -> Report:
    """Start the services, measure, stop everything."""
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-call-")))
        services = start_services(stack, workdir)
        database_url = fresh_database(stack, services.admin_url)
        password = secrets.token_urlsafe(16)
        asyncio.run(prepare(database_url, password))
        say(f"home {HOME} registered in district {DISTRICT!r} with a resident")
        setup = Setup(args, services, database_url, workdir, password, chromium)
        measured = asyncio.run(measure(setup))
        return {
            "benchmark": "call_setup",
            **measured,
            "timeout_s": args.timeout,
            "pause_s": args.pause,
            "poll_ms": round(1000 * POLL_S),
            "broker": services.broker,
            "database": services.database_kind,
            "wall_s": round(time.monotonic() - began, 1),
        }


def main() -> None:
    """Measure and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20, help="console calls measured")
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds a call may take to carry audio"
    )
    parser.add_argument(
        "--pause", type=float, default=1.0, help="seconds between a call's end and the next"
    )
    args = parser.parse_args()
    if args.calls <= 0 or args.timeout <= 0 or args.pause < 0:
        parser.error("--calls and --timeout must be positive, --pause not negative")
    chromium = chromium_path()
    if chromium is None:
        print(
            "bench.call_setup needs Debian's Chromium on PATH (chromium or chromium-browser);"
            " install it with: apt-get install -y chromium",
            file=sys.stderr,
        )
        sys.exit(2)
    configure_logging("warning")
    # SIGTERM unwinds like Ctrl-C does, so the hub, broker and database server are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        result = run(args, chromium)
    except (BenchError, ServiceError, psycopg.Error, aiohttp.ClientError, TimeoutError) as err:
        say(f"failed: {err!r}")
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
