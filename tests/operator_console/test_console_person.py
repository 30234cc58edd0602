"""A person's page for social workers: the heatmap, the trends against the usual, the alarms."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import psycopg
import pytest
from browsing import assert_every_control_named, sign_in
from lived_days import WORSE_FOR, a_day, keep_days
from playwright.async_api import expect

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from browsing import Centre, Opened
    from playwright.async_api import Page

pytestmark = [pytest.mark.mqtt5, pytest.mark.browser]


async def open_maria(page: Page) -> None:
    """From the people list to Maria Rossi's page, her activity drawn."""
    await page.get_by_role("button", name="Apri la pagina di Maria Rossi").click()
    await expect(page.locator("#person-title")).to_contain_text("Maria Rossi")
    await expect(page.locator(".activity[data-drawn]")).to_be_visible()


async def cell_colour(page: Page, room: str, day: int, hour: int) -> list[int]:
    """The heatmap's colour (RGBA) at the middle of a day's hour, as drawn on its canvas."""
    found: list[int] = await page.evaluate(
        """({ room, day, hour }) => {
          const canvas = document.querySelector(`canvas.heatmap[data-room=${room}]`);
          const ratio = canvas.width / canvas.clientWidth;
          const days = Number(canvas.dataset.days);
          const plot = canvas.clientWidth - 44 - 8;
          const x = (44 + (day + 0.5) * (plot / days)) * ratio;
          const y = (6 + (hour + 0.5) * 6) * ratio;
          return [...canvas.getContext("2d").getImageData(x, y, 1, 1).data];
        }""",
        {"room": room, "day": day, "hour": hour},
    )
    return found


async def test_a_social_worker_reads_the_heatmap_and_the_trends_against_the_usual(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """Twelve weeks by room and hour, each indicator against her band, the alarm on the axis.

    Every chart has its words: the heatmap's busiest hours, the bathroom at night three
    times lately against once usually, and the numbers in a table.
    """
    last = await keep_days(centre, 84 + 56)
    page = (await open_console()).page
    await sign_in(page, "carla")
    await open_maria(page)
    activity = page.locator(".activity")
    await expect(activity.get_by_role("button", name="12 settimane")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(page.locator("#activity-span")).to_contain_text("84 giorni")

    kitchen = page.locator("#heat-kitchen")
    await expect(kitchen.locator("figcaption")).to_have_text("Cucina")
    readings = sum(
        sum(a_day(last - timedelta(days=n), last).room_hours["kitchen"]) for n in range(84)
    )
    # Italian groups thousands from five digits on: 1176, not 1.176.
    await expect(kitchen.get_by_role("img")).to_have_accessible_name(
        f"Cucina Cucina: {readings} letture in 84 giorni, soprattutto tra le 12:00 e le 13:00."
    )
    await expect(page.locator("#heat-bathroom")).to_have_count(0)
    await expect(activity).to_contain_text("Nessuna lettura da: Bagno, Soggiorno, Ingresso, Altro.")
    assert await cell_colour(page, "kitchen", 83, 12) != [255, 255, 255, 255]
    assert await cell_colour(page, "kitchen", 83, 3) == [255, 255, 255, 255]
    assert await cell_colour(page, "bedroom", 0, 3) != [255, 255, 255, 255]

    bathroom = page.locator("#trend-night_bathroom_visits")
    await expect(bathroom.locator("figcaption")).to_have_text("Bagno di notte")
    await expect(bathroom.locator(".chart-summary")).to_have_text(
        "Bagno di notte: 3 negli ultimi 14 giorni (valore centrale); di solito 1."
    )
    await expect(bathroom.locator(".u-legend")).to_contain_text("Il solito (limite alto)")
    await expect(bathroom.locator(".u-axis")).to_have_count(2)
    await expect(page.locator(".activity .uplot")).to_have_count(10)
    await bathroom.get_by_text("Mostra i numeri in una tabella").click()
    day_before = last - timedelta(days=WORSE_FOR)
    rows = bathroom.locator(".chart-table tbody tr")
    row = rows.nth(83 - WORSE_FOR)
    await expect(row.locator("th")).to_contain_text(str(day_before.day))
    await expect(row.locator("td").first).to_have_text("1")
    await expect(rows.last.locator("td").first).to_have_text("3")

    alarms = page.locator(".activity-events")
    await expect(alarms.locator(".chart-summary")).to_have_text(
        "1 allarme e 0 telefonate di controllo in 84 giorni."
    )
    await expect(alarms.locator(".alarm-list")).to_contain_text("Pulsante di emergenza · P1")
    await expect(alarms.locator(".alarm-list")).to_contain_text("Risolto · Familiare avvisato")
    await assert_every_control_named(page)
    await page.screenshot(path=artifacts / "twelve-weeks.png", full_page=True)

    for asked, days in [("4 settimane", 28), ("1 anno", 365)]:
        await activity.get_by_role("button", name=asked).click()
        await expect(page.locator("#activity-span")).to_contain_text(f"{days} giorni")
        await expect(
            page.locator(f".activity[data-drawn] canvas[data-days='{days}']")
        ).to_have_count(2)
    await page.screenshot(path=artifacts / "a-year.png", full_page=True)
    await page.get_by_label("Lingua").select_option("en")
    await expect(page.locator("#trend-night_bathroom_visits figcaption")).to_have_text(
        "Bathroom at night"
    )
    await expect(page.locator("#heat-kitchen figcaption")).to_have_text("Kitchen")


async def test_an_operator_has_no_persons_page(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]]
) -> None:
    """The console never offers an operator a person's page, nor loads the charts for one."""
    await keep_days(centre, 28)
    opened = await open_console()
    await sign_in(opened.page, "anna")
    await expect(opened.page.locator("#view-queue")).to_be_visible()
    await expect(opened.page.locator("#view-person")).to_be_hidden()
    status, _ = await centre.supervisor.get(f"/api/v1/homes/{centre.home}/activity")
    assert status == 200
    asked = [url for url in opened.requests if "/api/v1/homes/" in url or "uPlot.esm" in url]
    assert asked == []


async def test_a_social_worker_says_which_room_a_sensor_is_in(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]]
) -> None:
    """The room is chosen from the hub's rooms, saved at once, and read back by the hub.

    With no day worked out yet, the page says so instead of drawing empty charts.
    """
    async with await psycopg.AsyncConnection.connect(centre.database_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO devices (home_id, device_id, battery_percent) VALUES (%s, 'pir-1', 80)",
            (centre.home,),
        )
    page = (await open_console()).page
    await sign_in(page, "carla")
    await open_maria(page)
    await expect(page.locator(".activity")).to_contain_text("Nessun giorno calcolato")
    room = page.get_by_label("Stanza del sensore pir-1")
    await expect(room).to_have_value("")
    await room.select_option(label="Cucina")
    await expect(page.locator("#status")).to_have_text("pir-1: stanza «Cucina» salvata.")
    status, card = await centre.supervisor.get(f"/api/v1/homes/{centre.home}")
    assert (status, [device["room"] for device in card["devices"]]) == (200, ["kitchen"])
    await page.reload()
    await open_maria(page)
    await expect(page.get_by_label("Stanza del sensore pir-1")).to_have_value("kitchen")
