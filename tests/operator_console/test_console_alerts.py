"""How the console presses for an answer: timers in colour and words, escalation, the sound."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import psycopg
import pytest
from browsing import alarm_row, sign_in
from playwright.async_api import expect

from protocol import EventKind

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from browsing import Centre, Opened

pytestmark = [pytest.mark.mqtt5, pytest.mark.browser]


async def raised_ago(centre: Centre, home_id: str, seconds: int) -> None:
    """Move the home's open alarm back in time, as if it had waited that long."""
    async with await psycopg.AsyncConnection.connect(centre.database_url, autocommit=True) as conn:
        await conn.execute(
            "UPDATE alarms SET raised_at = now() - make_interval(secs => %s)"
            " WHERE home_id = %s AND state = 'raised'",
            (seconds, home_id),
        )


async def test_a_waiting_alarm_turns_amber_then_red_in_words_too_and_escalates(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """Colour and words say how long an alarm has waited; the hub's escalation shows.

    Past 30 s amber with "over 30 s", past 60 s red with "over 60 s" (without the animation
    where the operator asked for reduced motion); a flood left two minutes is escalated by
    the hub to priority 1 and marked so.
    """
    opened = await open_console()
    page = opened.page
    await sign_in(page, "anna")
    await centre.press(centre.home)
    row = alarm_row(page, centre.home)
    await expect(row).to_be_visible()
    await expect(row).not_to_have_class(re.compile("timer-(amber|red)"))

    await raised_ago(centre, centre.home, 40)
    await expect(row).to_have_class(re.compile(r"\btimer-amber\b"))
    await expect(row.locator(".timer-note")).to_have_text("oltre 30 s")
    await expect(row.locator(".timer")).to_have_text(re.compile(r"^0:4\d$"))

    await raised_ago(centre, centre.home, 70)
    await expect(row).to_have_class(re.compile(r"\btimer-red\b"))
    await expect(row.locator(".timer-note")).to_have_text("oltre 60 s")
    animation = "getComputedStyle(document.querySelector('#queue .timer-red')).animationName"
    assert await page.evaluate(animation) == "attention"
    await page.emulate_media(reduced_motion="reduce")
    assert await page.evaluate(animation) == "none"

    await centre.press(centre.other_home, EventKind.FLOOD)
    flood = alarm_row(page, centre.other_home)
    await expect(flood).to_contain_text("P2")
    await raised_ago(centre, centre.other_home, 150)
    await expect(flood.locator(".badge.escalated")).to_have_text("Priorità alzata")
    await expect(flood).to_contain_text("P1")
    await page.screenshot(path=artifacts / "late-and-escalated.png")


async def test_the_sound_can_be_muted_for_now_but_a_new_alarm_brings_it_back(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]]
) -> None:
    """Muting lasts until a new alarm arrives; claiming every alarm silences it."""
    page = (await open_console()).page
    await sign_in(page, "anna")
    body = page.locator("body")
    await centre.press(centre.other_home, EventKind.FLOOD)
    await expect(body).to_have_attribute("data-alert-sound", "2")
    mute = page.get_by_role("button", name="Silenzia per 2 minuti")
    await mute.click()
    await expect(body).to_have_attribute("data-alert-sound", "muted")
    await expect(page.get_by_role("button", name="Riattiva il suono")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(page.locator("#sound-state")).to_contain_text("Suono silenziato fino alle")
    await centre.press(centre.home)
    await expect(body).to_have_attribute("data-alert-sound", "1")
    for home in (centre.home, centre.other_home):
        await alarm_row(page, home).focus()
        await page.keyboard.press("c")
        await expect(alarm_row(page, home)).to_contain_text("Con te")
    await expect(body).to_have_attribute("data-alert-sound", "off")
