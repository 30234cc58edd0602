"""Each role's own console: social workers get their district's people, operators the queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg
import pytest
from browsing import alarm_row, assert_every_control_named, sign_in
from playwright.async_api import expect
from queries import eventually, rows

from hub.storage import homes

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from browsing import Centre, Opened

pytestmark = [pytest.mark.mqtt5, pytest.mark.browser]

COUNT_AUDIO = """
window.audioContexts = 0;
const Original = window.AudioContext;
window.AudioContext = class extends Original {
  constructor(...args) {
    super(...args);
    window.audioContexts += 1;
  }
};
"""
"""Counts the audio contexts the page makes (each one is the real thing)."""


async def open_counting_audio(open_console: Callable[..., Awaitable[Opened]]) -> Opened:
    """A console page that counts its audio contexts from its first script on."""
    opened = await open_console()
    await opened.context.add_init_script(COUNT_AUDIO)
    await opened.page.reload()
    return opened


async def test_a_social_worker_lands_on_their_districts_people_with_no_queue_and_no_sound(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """No queue, stream, sound or alarm key; the district's people, found and opened.

    A press in her district raises an alarm she is never told of; "C" claims nothing; the
    person's page has no call button, and reading it is in the audit log.
    """
    async with await psycopg.AsyncConnection.connect(centre.database_url, autocommit=True) as conn:
        await homes.register(conn, [f"{centre.home}-sud"], "ats-sud")
    opened = await open_counting_audio(open_console)
    page = opened.page
    await sign_in(page, "carla")
    people = page.locator("#view-people")
    await expect(people.get_by_role("heading", level=2)).to_have_text("Le persone del distretto")
    await expect(people.locator("tbody tr")).to_have_count(2)
    await expect(people).to_contain_text("Maria Rossi")
    await expect(people).not_to_contain_text(f"{centre.home}-sud")
    for hidden in ("#view-queue", "#sound-box", "#connection", "#area-switch", "#nav-queue"):
        await expect(page.locator(hidden)).to_be_hidden()
    await expect(page.get_by_role("button", name="Coda")).to_have_count(0)

    await centre.press(centre.home)

    async def alarm_open() -> bool:
        status, found = await centre.supervisor.get(f"/api/v1/alarms?home_id={centre.home}")
        return status == 200 and len(found["items"]) == 1

    await eventually(alarm_open, "the press to raise an alarm")
    await page.keyboard.press("c")
    await page.get_by_label("Cerca per nome o casa").fill("rossi")
    await expect(people.locator("tbody tr")).to_have_count(1)
    await people.get_by_role("button", name="Apri la pagina di Maria Rossi").click()
    person = page.locator("#view-person")
    await expect(person.get_by_role("heading", level=2)).to_contain_text("Maria Rossi")
    await expect(person).to_contain_text("Lucia Rossi")
    await expect(page.locator("#nav-people")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_role("button", name="Chiama la casa")).to_have_count(0)
    await assert_every_control_named(page)
    await page.screenshot(path=artifacts / "person.png", full_page=True)

    assert await page.evaluate("window.audioContexts") == 0
    assert await page.locator("body").get_attribute("data-alert-sound") == "off"
    assert opened.sockets == []
    assert not [url for url in opened.requests if "/alarms" in url or "/calls" in url]
    reads = await rows(
        centre.database_url,
        "SELECT count(*) FROM audit_log WHERE actor = 'carla' AND action = 'home.read'"
        " AND subject = %s",
        f"home:{centre.home}",
    )
    assert reads == [(1,)]


async def test_an_operator_gets_the_queue_and_no_social_work(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]]
) -> None:
    """Queue, history and the sound as before; no people, no area switch."""
    opened = await open_counting_audio(open_console)
    page = opened.page
    await sign_in(page, "bruno")
    await centre.press(centre.home)
    await expect(alarm_row(page, centre.home)).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-alert-sound", "1")
    for view in ("Coda", "Storico"):
        await expect(page.get_by_role("button", name=view)).to_be_visible()
    for hidden in ("#area-switch", "#nav-social", "#area-social-main", "#nav-people"):
        await expect(page.locator(hidden)).to_be_hidden()
    await expect(page.get_by_role("button", name="Persone")).to_have_count(0)
    assert await page.evaluate("window.audioContexts") == 1


async def test_a_supervisor_switches_between_the_operations_room_and_the_social_work(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]]
) -> None:
    """Sara lands on the queue; the switch takes her to the people and back to her queue."""
    page = (await open_console()).page
    await sign_in(page, "sara")
    await centre.press(centre.home)
    await expect(alarm_row(page, centre.home)).to_be_visible()
    operations = page.get_by_role("button", name="Centrale operativa")
    social = page.get_by_role("button", name="Servizio sociale")
    await expect(operations).to_have_attribute("aria-pressed", "true")

    await social.click()
    await expect(social).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#view-queue")).to_be_hidden()
    await expect(page.locator("#view-people")).to_contain_text("Giovanni Bianchi")
    await page.get_by_role("button", name="Apri la pagina di Giovanni Bianchi").click()
    await expect(page.locator("#person-title")).to_contain_text("Giovanni Bianchi")

    await operations.click()
    await expect(alarm_row(page, centre.home)).to_be_visible()
    await social.click()
    await expect(page.locator("#person-title")).to_contain_text("Giovanni Bianchi")
