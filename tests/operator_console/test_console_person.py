"""A person's page for social workers: the heatmap, the trends against the usual, the alarms."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import psycopg
import pytest
from browsing import assert_every_control_named, sign_in
from playwright.async_api import expect

from hub.indicators.daily import DailyIndicators
from hub.storage import indicators

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from browsing import Centre, Opened
    from playwright.async_api import Page

pytestmark = [pytest.mark.mqtt5, pytest.mark.browser]

ROME = ZoneInfo("Europe/Rome")
WORSE_FOR = 14
"""The last days, when the bathroom visits at night went from one to three."""


def yesterday() -> date:
    """The last day the page shows: the home's yesterday."""
    return datetime.now(ROME).date() - timedelta(days=1)


def a_day(day: date, last: date) -> DailyIndicators:
    """Maria's day: kitchen at breakfast and lunch, bed at night; up more often lately."""
    worse = (last - day).days < WORSE_FOR
    wobble = day.toordinal() % 3
    kitchen = [0] * 24
    kitchen[8], kitchen[12] = 4 + wobble, 9
    bedroom = [2] * 7 + [0] * 15 + [3, 2]
    return DailyIndicators(
        day,
        active_hours=13.0 + wobble / 2,
        rise_min=450 + wobble * 10,
        last_activity_min=1310,
        out_minutes=60,
        outings=1,
        night_bathroom_visits=3 if worse else 1,
        night_out_of_bed_minutes=25 if worse else 8,
        kitchen_visits=3,
        check_ins=1,
        events=150,
        room_hours={"kitchen": kitchen, "bedroom": bedroom},
    )


async def keep_days(centre: Centre, days: int) -> date:
    """``days`` kept days of Maria's home up to yesterday, and a panic alarm 3 days ago."""
    last = yesterday()
    kept = [(centre.home, a_day(last - timedelta(days=n), last)) for n in range(days)]
    raised = datetime.combine(last - timedelta(days=3), time(10), ROME).astimezone(UTC)
    async with await psycopg.AsyncConnection.connect(centre.database_url, autocommit=True) as conn:
        await indicators.save(conn, "Europe/Rome", kept)
        await conn.execute(
            "INSERT INTO alarms (alarm_id, home_id, kind, priority, state, reason_key,"
            " raised_at, last_trigger_at, closed_at, outcome)"
            " VALUES (%s, %s, 'panic_button', 1, 'resolved', 'alarm.panic_button', %s, %s,"
            " %s, 'relative_contacted')",
            (uuid.uuid4(), centre.home, raised, raised, raised + timedelta(minutes=20)),
        )
    return last


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
    """The room is chosen from the hub's rooms, saved at once, and read back by the hub."""
    async with await psycopg.AsyncConnection.connect(centre.database_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO devices (home_id, device_id, battery_percent) VALUES (%s, 'pir-1', 80)",
            (centre.home,),
        )
    page = (await open_console()).page
    await sign_in(page, "carla")
    await open_maria(page)
    room = page.get_by_label("Stanza del sensore pir-1")
    await expect(room).to_have_value("")
    await room.select_option(label="Cucina")
    await expect(page.locator("#status")).to_have_text("pir-1: stanza «Cucina» salvata.")
    status, card = await centre.supervisor.get(f"/api/v1/homes/{centre.home}")
    assert (status, [device["room"] for device in card["devices"]]) == (200, ["kitchen"])
    await page.reload()
    await open_maria(page)
    await expect(page.get_by_label("Stanza del sensore pir-1")).to_have_value("kitchen")
