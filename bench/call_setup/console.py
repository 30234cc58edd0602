"""The operator's console in Chromium, calling the home's real unit through the hub.

Playwright drives the page: sign in, claim the unit's alarm, press the call button, poll the
call's figures on the page and the unit's speakerphone until each hears the other, hang up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import shutil
import sys
import time
import wave
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from playwright.async_api import expect

from bench.call_setup import say
from bench.call_setup.system import HOME
from bench.call_setup.timing import AUDIBLE_DBFS, POLL_S, Timing
from bench.common.services import OPERATOR
from gateway.audio import SAMPLE_RATE
from gateway.outbox import Draft
from gateway.speakerphone.status import CallState
from protocol import EventKind

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.async_api import Browser, Locator, Page, WebSocket

    from gateway.speakerphone.phone import Speakerphone
    from gateway.unit import HomeUnit

CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
]
PENDANT = "pendant"
CALL_BUTTON = "Chiama la casa"
CLAIM_BUTTON = "Prendi in carico"
HANG_UP_BUTTON = "Riaggancia"
AUDIBLE_METER = 0.01
"""The console's meter above this hears the home (as in the console's call test)."""
STEP_TIMEOUT_S = 30.0
"""Waiting for the console, the unit or an alarm, outside the timed part."""
STATS_JS = """async () => {
  const call = window.telecareCall;
  if (!call) return null;
  const stats = await call.getStats();
  return { stats, state: call.state, callId: call.callId };
}"""
PAGE_STAGES = {"call.start": "offer_sent", "call.placed": "placed", "call.answer": "answer"}


def chromium_path() -> str | None:
    """Debian's Chromium on PATH, as the browser tests use it."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


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
