"""An operator's day in the console: a press comes in, is claimed, handled and resolved."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from browsing import alarm_row, sign_in
from consoles import Console
from playwright.async_api import expect

from hub.api.models import Outcome
from protocol import EventKind

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from browsing import Centre, Opened
    from playwright.async_api import Locator

pytestmark = [pytest.mark.mqtt5, pytest.mark.browser]

OUTCOMES = [
    "Risolto al telefono",
    "Soccorritore inviato",
    "Familiare avvisato",
    "Servizi di emergenza (112/118)",
    "Falso allarme",
    "Problema tecnico risolto",
    "Prova",
]
"""The resolve form's outcomes, in the hub's order, in Italian."""
RESULTS = ["Non risponde", "Raggiunto", "In arrivo", "Arrivato", "Non può venire"]
"""What came of calling a contact, in the hub's order, in Italian."""


async def assert_in_progress_with_the_hubs_choices(row: Locator, detail: Locator) -> None:
    """An alarm in progress stays in the queue (an open state); its forms offer the hub's choices.

    The outcomes and the responder results, in words, each with the hub's value.
    """
    await expect(row).to_have_attribute("data-state", "in_progress")
    outcomes = detail.get_by_label("Esito", exact=True).locator("option")
    await expect(outcomes).to_have_text(["— scegli —", *OUTCOMES])
    values = await outcomes.evaluate_all("options => options.map(option => option.value)")
    assert values == ["", *(outcome.value for outcome in Outcome)]
    await expect(detail.get_by_label("Risultato").locator("option")).to_have_text(
        ["— scegli —", *RESULTS]
    )


async def test_a_panic_press_is_claimed_handled_and_resolved_with_its_whole_timeline(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """A press reaches the queue and is handled to the end, every step on its timeline.

    It comes with the resident's name and a sound; the operator claims it (the sound stops),
    starts, notes, records a call to the daughter and resolves it; the alarm then leaves the
    queue for the history. States, outcomes and results are the hub's vocabulary, in words.
    """
    console = await open_console()
    page = console.page
    await sign_in(page, "anna")
    await expect(page.locator("#alarms-empty")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-alert-sound", "off")

    await centre.press(centre.home)
    row = alarm_row(page, centre.home)
    await expect(row).to_contain_text("Pulsante di emergenza premuto (pendant-1)")
    await expect(row).to_contain_text("Maria Rossi")
    await expect(row).to_contain_text("In attesa")
    await expect(page.locator("body")).to_have_attribute("data-alert-sound", "1")
    await page.screenshot(path=artifacts / "1-alarm-in-queue.png")

    await row.click()
    detail = page.locator("#detail")
    await expect(detail.locator("#detail-title")).to_have_text(
        "Pulsante di emergenza premuto (pendant-1)"
    )
    await expect(detail.locator(".card")).to_contain_text(
        "Cassetta a sinistra della porta, codice 4711"
    )
    await expect(detail.locator(".card")).to_contain_text("Diabete; pacemaker")
    daughter = detail.get_by_role("link", name=re.compile("Lucia Rossi"))
    await expect(daughter).to_have_attribute("href", "tel:+393331234567")

    await detail.get_by_role("button", name="Prendi in carico").click()
    await expect(row).to_contain_text("Con te")
    await expect(page.locator("body")).to_have_attribute("data-alert-sound", "off")
    await detail.get_by_role("button", name="Inizia la gestione").click()
    await expect(detail.locator(".panel-head .state")).to_contain_text("In gestione")
    await assert_in_progress_with_the_hubs_choices(row, detail)

    await detail.get_by_label("Nota").fill("Risponde, dice di essere caduta in bagno")
    await detail.get_by_role("button", name="Aggiungi nota").click()
    await detail.get_by_role("button", name="Registra chiamata a Lucia Rossi").click()
    await expect(detail.get_by_label("Nome")).to_have_value("Lucia Rossi")
    await detail.get_by_label("Risultato").select_option("on_the_way")
    await detail.get_by_role("button", name="Registra la chiamata").click()
    await expect(detail.locator("#alarm-timeline [data-action=responder]")).to_contain_text(
        "Lucia Rossi (+39 333 1234567): In arrivo"
    )

    await detail.get_by_label("Esito", exact=True).select_option("relative_contacted")
    await detail.get_by_label("Note sull'esito").fill("La figlia è con lei")
    await detail.get_by_role("button", name="Chiudi l'allarme").click()
    await expect(row).to_have_count(0)
    await expect(detail.locator(".panel-head .state")).to_contain_text(
        "Risolto · Familiare avvisato"
    )
    steps = detail.locator("#alarm-timeline li")
    await expect(steps).to_have_count(6)
    assert await steps.evaluate_all("items => items.map(item => item.dataset.action)") == [
        "raised",
        "claimed",
        "in_progress",
        "note",
        "responder",
        "resolved",
    ]
    await expect(steps.nth(1)).to_contain_text("Preso in carico da anna")
    await expect(steps.nth(3)).to_contain_text("Risponde, dice di essere caduta in bagno")
    await expect(steps.nth(5)).to_contain_text("Familiare avvisato — La figlia è con lei")
    await page.screenshot(path=artifacts / "2-resolved-timeline.png", full_page=True)

    await page.get_by_role("button", name="Storico").click()
    history = page.locator("#history-rows tr")
    await expect(history).to_have_count(1)
    await expect(history.first).to_contain_text("Risolto · Familiare avvisato")
    await expect(history.first).to_contain_text("anna")


async def test_a_second_operator_sees_the_claim_and_cannot_claim_it(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """A claim reaches the other operator's console, whose claim is then refused.

    When anna claims, bruno's queue and panel say so, his claim button is disabled and the
    claim key is refused, naming who has it.
    """
    anna = (await open_console()).page
    bruno = (await open_console()).page
    await sign_in(anna, "anna")
    await sign_in(bruno, "bruno")
    await centre.press(centre.home)
    for page in (anna, bruno):
        await alarm_row(page, centre.home).click()
        await expect(page.get_by_role("button", name="Prendi in carico")).to_be_enabled()

    await anna.get_by_role("button", name="Prendi in carico").click()
    await expect(alarm_row(bruno, centre.home)).to_contain_text("Con anna")
    claim = bruno.locator("#detail .actions button.primary")
    await expect(claim).to_have_text("Preso in carico da anna")
    await expect(claim).to_be_disabled()
    await expect(bruno.locator("body")).to_have_attribute("data-alert-sound", "off")

    await alarm_row(bruno, centre.home).focus()
    await bruno.keyboard.press("c")
    await expect(bruno.locator("#alert")).to_have_text("Già preso in carico da anna.")
    await bruno.screenshot(path=artifacts / "bruno-sees-the-claim.png")
    await expect(alarm_row(anna, centre.home)).to_contain_text("Con te")


async def test_the_queue_is_ordered_by_priority_and_worked_from_the_keyboard(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """The queue sorts by priority, then age, and is worked from the keyboard.

    A flood (priority 2) raised first sorts below a later panic (priority 1); arrows move,
    Enter opens and moves to the panel, Esc goes back, C claims; the sound follows the most
    urgent waiting alarm.
    """
    page = (await open_console()).page
    await sign_in(page, "anna")
    await centre.press(centre.other_home, EventKind.FLOOD)
    await expect(alarm_row(page, centre.other_home)).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-alert-sound", "2")
    await centre.press(centre.home)
    rows = page.locator("#queue [role=option]")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text(centre.home)
    await expect(rows.nth(1)).to_contain_text("Allagamento rilevato (cucina, flood-1)")
    await expect(page.locator("body")).to_have_attribute("data-alert-sound", "1")

    await rows.nth(0).focus()
    await page.keyboard.press("ArrowDown")
    await expect(rows.nth(1)).to_be_focused()
    await page.keyboard.press("ArrowUp")
    await expect(rows.nth(0)).to_be_focused()
    await page.keyboard.press("End")
    await page.keyboard.press("Enter")
    await expect(page.locator("#detail-title")).to_be_focused()
    await expect(page.locator("#detail-title")).to_have_text(
        "Allagamento rilevato (cucina, flood-1)"
    )
    await expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    await page.keyboard.press("Escape")
    await expect(rows.nth(1)).to_be_focused()
    await page.keyboard.press("Home")
    await page.keyboard.press("c")
    await expect(rows.nth(0)).to_contain_text("Con te")
    await expect(page.locator("body")).to_have_attribute("data-alert-sound", "2")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("c")
    await expect(rows.nth(1)).to_contain_text("Con te")
    await expect(page.locator("body")).to_have_attribute("data-alert-sound", "off")
    await page.screenshot(path=artifacts / "keyboard.png")


async def test_the_history_is_searched_by_resident_or_home_and_paged(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """Closed alarms newest first; a resident's name or a home id narrows them; more on demand.

    An opened one shows its timeline and card, and offers a call to the home without an alarm.
    """
    anna = Console(centre.url)
    try:
        assert await anna.login("anna") == 200
        for home in (centre.home, centre.other_home) * 13:
            await centre.press(home)
            status, found = await anna.get(f"/api/v1/alarms?state=open&home_id={home}")
            assert status == 200
            (alarm,) = found["items"]
            path = f"/api/v1/alarms/{alarm['alarm_id']}"
            assert (await anna.post(f"{path}/claim", {}))[0] == 200
            assert (await anna.post(f"{path}/resolve", {"outcome": "false_alarm"}))[0] == 200
    finally:
        await anna.close()
    page = (await open_console()).page
    await sign_in(page, "bruno")
    await page.get_by_role("button", name="Storico").click()
    rows = page.locator("#history-rows tr")
    await expect(rows).to_have_count(25)
    await page.get_by_role("button", name="Mostra altri").click()
    await expect(rows).to_have_count(26)
    await expect(page.get_by_role("button", name="Mostra altri")).to_be_hidden()

    await page.get_by_label("Casa o nome dell'assistito").fill("bianchi")
    await page.get_by_role("button", name="Cerca").click()
    await expect(rows).to_have_count(13)
    for text in await rows.all_inner_texts():
        assert centre.other_home in text
        assert "Falso allarme" in text
    await page.get_by_label("Casa o nome dell'assistito").fill(centre.home)
    await page.get_by_role("button", name="Cerca").click()
    await expect(rows).to_have_count(25)
    await page.get_by_role("button", name="Azzera").click()
    await expect(rows).to_have_count(25)

    await rows.first.get_by_role("button").click()
    detail = page.locator("#detail")
    await expect(detail.locator("#detail-title")).to_be_focused()
    await expect(detail.locator(".panel-head .state")).to_have_text("Risolto · Falso allarme")
    await expect(detail.locator("#alarm-timeline li")).to_have_count(3)
    await expect(
        detail.locator(".card").get_by_role("button", name="Chiama la casa")
    ).to_be_enabled()
    await page.screenshot(path=artifacts / "history.png", full_page=True)
