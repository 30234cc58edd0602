"""A voice call from the console to the real home unit, through the hub's relay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from browsing import alarm_row, sign_in
from playwright.async_api import expect
from queries import eventually

from gateway.speakerphone.status import CallState

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from browsing import Centre, Opened
    from playwright.async_api import Page

    from gateway.unit import HomeUnit

pytestmark = [pytest.mark.mqtt5, pytest.mark.browser]


async def call_stats(page: Page) -> dict[str, Any]:
    """What window.telecareCall says of the call: bytes, packets, levels, state."""
    stats: dict[str, Any] = await page.evaluate("window.telecareCall.getStats()")
    return stats


async def test_an_operator_calls_the_home_hears_it_and_hangs_up(
    centre: Centre,
    home_unit: HomeUnit,
    open_console: Callable[..., Awaitable[Opened]],
    artifacts: Path,
) -> None:
    """From a claimed alarm: the unit answers by itself, audio flows both ways, hang up.

    The panel says connected, counts the time and shows both levels; the unit hears the
    browser's (fake) microphone; after hanging up the alarm's timeline has the call's start
    and end, answered.
    """
    page = (await open_console()).page
    await sign_in(page, "anna")
    await centre.press(centre.home)
    await alarm_row(page, centre.home).click()
    detail = page.locator("#detail")
    await detail.get_by_role("button", name="Prendi in carico").click()
    await detail.get_by_role("button", name="Chiama la casa").click()

    panel = page.locator("#call-panel")
    await expect(panel.locator(".call-state")).to_have_text("In linea")
    await expect(panel).to_have_attribute("data-state", "connected")

    async def audio_both_ways() -> bool:
        stats = await call_stats(page)
        heard_by_unit = unit.speakerphone.status.received.frames
        return stats["bytesSent"] > 4000 and stats["bytesReceived"] > 4000 and heard_by_unit >= 50

    unit = home_unit
    await eventually(audio_both_ways, "a second of audio each way")
    stats = await call_stats(page)
    assert stats["packetsSent"] > 0
    assert stats["packetsReceived"] > 0

    async def home_heard() -> bool:
        level: float = (await call_stats(page))["remoteLevel"]
        return level > 0.01

    await eventually(home_heard, "the home's tone on the level meter")
    assert int(await panel.get_attribute("data-bytes-received") or "0") > 0
    await expect(panel.locator(".call-duration")).not_to_have_text("0:00")
    await page.screenshot(path=artifacts / "call-connected.png", full_page=True)

    await panel.get_by_role("button", name="Riaggancia").click()
    await expect(panel.locator(".call-state")).to_have_text(
        "Chiamata terminata: riagganciato dall'operatore"
    )

    async def unit_hung_up() -> bool:
        return unit.speakerphone.status.state is CallState.ENDED

    await eventually(unit_hung_up, "the unit to hang up")
    steps = detail.locator("#alarm-timeline li")
    await expect(detail.locator("#alarm-timeline [data-action=call_ended]")).to_contain_text(
        "riagganciato dall'operatore — conversazione di"
    )
    actions = await steps.evaluate_all("items => items.map(item => item.dataset.action)")
    assert actions == ["raised", "claimed", "call_started", "call_ended"]
    await page.screenshot(path=artifacts / "call-ended.png", full_page=True)
