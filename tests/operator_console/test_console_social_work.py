"""A social worker's month: the review list's reason and outcome, a care plan, the report."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg
import pytest
from browsing import DISTRICT, assert_every_control_named, sign_in
from lived_days import keep_days
from playwright.async_api import expect
from queries import rows

from hub.review.method import LEVELS
from hub.review.nightly import review_homes

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import date
    from pathlib import Path

    from browsing import Centre, Opened
    from playwright.async_api import Page

pytestmark = [pytest.mark.mqtt5, pytest.mark.browser]

REASON = "Bagno di notte 3 volte a notte negli ultimi 14 giorni; di solito 1"


async def drifted(centre: Centre) -> date:
    """Twelve weeks of Maria's days, lately up three times a night, reviewed as each night is."""
    last = await keep_days(centre, 84)
    async with await psycopg.AsyncConnection.connect(centre.database_url, autocommit=True) as conn:
        run = await review_homes(conn, last, [centre.home], datetime.now(UTC))
    assert run.opened == 1
    return last


async def signed_in_carla(open_console: Callable[..., Awaitable[Opened]]) -> Page:
    """Carla's console, on her district's people."""
    page = (await open_console()).page
    await sign_in(page, "carla")
    await expect(page.locator("#people-rows tr").first).to_be_visible()
    return page


async def test_a_social_worker_finds_a_listed_person_reads_the_reason_and_records_an_outcome(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """The people list flags Maria with the reason in words and numbers; seen with an outcome.

    The entry leaves the list, and her page shows what was done, by whom, and the note.
    """
    await drifted(centre)
    page = await signed_in_carla(open_console)
    maria = page.locator(f"#people-rows tr[data-home='{centre.home}']")
    await expect(maria.locator(".review-flag")).to_contain_text("1 voce aperta")
    await expect(maria.locator(".review-flag")).to_contain_text(REASON)
    await expect(page.locator(f"#people-rows tr[data-home='{centre.other_home}']")).to_contain_text(
        "—"
    )

    await page.get_by_role("button", name="Da rivedere").click()
    review = page.locator("#view-review")
    entry = review.locator(".review-entry")
    await expect(entry).to_have_count(1)
    await expect(entry.locator(".reason")).to_have_text(REASON)
    await expect(entry.locator("h3")).to_contain_text("Maria Rossi")
    await assert_every_control_named(page)
    await page.screenshot(path=artifacts / "review-list.png", full_page=True)
    form = entry.get_by_role("form", name="Segna come vista la voce di Maria Rossi")
    await form.get_by_role("button", name="Segna come vista").click()
    await expect(form.get_by_role("status")).to_have_text("Scegli che cosa hai fatto.")
    await form.get_by_label("Che cosa hai fatto").select_option(label="Visita a casa programmata")
    await form.get_by_label("Nota").fill("Passo giovedì con l'infermiera")
    await form.get_by_role("button", name="Segna come vista").click()
    await expect(page.locator("#status")).to_have_text("Voce di Maria Rossi segnata come vista.")
    await expect(review.locator(".review-entry")).to_have_count(0)
    await expect(review).to_contain_text("Nessuno da rivedere.")

    seen = await rows(
        centre.database_url,
        "SELECT state, outcome, seen_by, note FROM review_entries WHERE home_id = %s",
        centre.home,
    )
    assert seen == [("seen", "home_visit", "carla", "Passo giovedì con l'infermiera")]
    await page.get_by_role("button", name="Persone").click()
    await page.get_by_role("button", name="Apri la pagina di Maria Rossi").click()
    mine = page.locator(".person-review .review-entry")
    await expect(mine).to_have_attribute("data-state", "seen")
    await expect(mine).to_contain_text(REASON)
    await expect(mine).to_contain_text("Visita a casa programmata — segnata da carla il")
    await expect(mine).to_contain_text("Passo giovedì con l'infermiera")
    await page.get_by_label("Lingua").select_option("en")
    await expect(mine.locator(".reason")).to_have_text(
        "Bathroom at night 3 times a night over 14 days; usually 1"
    )


async def test_a_care_plan_is_written_changed_kept_in_its_history_and_listed_when_due(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """Goals, a service, the review date; a second version; the history; the plans due."""
    page = await signed_in_carla(open_console)
    await page.get_by_role("button", name="Apri la pagina di Maria Rossi").click()
    plan = page.locator(".care-plan")
    await expect(plan).to_contain_text("Nessun piano assistenziale per questa casa.")
    await plan.get_by_role("button", name="Scrivi il piano").click()
    await expect(plan.get_by_label("Per chi")).to_have_value(await maria_id(centre))
    await plan.get_by_label("Obiettivo 1", exact=True).fill("Restare a casa in sicurezza")
    await plan.get_by_role("button", name="Aggiungi un servizio").click()
    await plan.get_by_label("Servizio 1", exact=True).fill("Telefonata di controllo")
    await plan.get_by_label("Servizio 1: a cura di").fill("la centrale")
    await plan.get_by_label("Servizio 1: quante volte").fill("2")
    await plan.get_by_label("Servizio 1: ogni").select_option(label="a settimana")
    assert await plan.get_by_label("Assistente sociale responsabile").input_value() == "carla"
    due = datetime.now(UTC).date() - timedelta(days=1)
    await plan.get_by_label("Prossima verifica").fill(due.isoformat())
    await assert_every_control_named(page)
    await plan.get_by_role("button", name="Salva come nuova versione").click()
    await expect(page.locator("#status")).to_have_text("Piano salvato.")
    current = plan.locator(".plan-version").first
    await expect(current).to_contain_text("Versione 1, salvata da carla")
    await expect(current).to_contain_text(
        "Telefonata di controllo, a cura di la centrale: 2 volte a settimana"
    )
    await expect(current).to_contain_text("da verificare")

    await plan.get_by_role("button", name="Modifica il piano").click()
    await expect(plan.get_by_label("Obiettivo 1", exact=True)).to_have_value(
        "Restare a casa in sicurezza"
    )
    await plan.get_by_label("Servizio 1: quante volte").fill("3")
    await plan.get_by_role("button", name="Salva come nuova versione").click()
    await expect(plan.locator(".plan-version").first).to_contain_text("Versione 2")
    await plan.get_by_text("Storia del piano (2 versioni)").click()
    history = plan.locator(".plan-history li[data-version]")
    await expect(history).to_have_count(2)
    await expect(history.first).to_contain_text("Cambiato: servizi concordati")
    await expect(history.last).to_contain_text("Prima versione")
    await page.screenshot(path=artifacts / "care-plan.png", full_page=True)

    await page.get_by_role("button", name="Piani da verificare").click()
    due_row = page.locator(f"#view-plans tr[data-home='{centre.home}']")
    await expect(due_row).to_contain_text("Maria Rossi")
    await expect(due_row).to_contain_text("scaduto")
    await due_row.get_by_role("button", name="Apri la pagina e il piano di Maria Rossi").click()
    await expect(page.locator("#plan-title")).to_be_focused()


async def maria_id(centre: Centre) -> str:
    """Maria Rossi's resident id."""
    ((resident,),) = await rows(
        centre.database_url,
        "SELECT resident_id::text FROM residents WHERE full_name = 'Maria Rossi'",
    )
    return str(resident)


async def test_a_care_plan_changed_meanwhile_is_not_overwritten_unseen(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]]
) -> None:
    """Sara saves while Carla writes: Carla is told, keeps her words, and saves after it."""
    page = await signed_in_carla(open_console)
    await page.get_by_role("button", name="Apri la pagina di Maria Rossi").click()
    plan = page.locator(".care-plan")
    await plan.get_by_role("button", name="Scrivi il piano").click()
    await plan.get_by_label("Obiettivo 1", exact=True).fill("Uscire ogni giorno")
    await plan.get_by_label("Prossima verifica").fill("2027-03-01")
    body = {"goals": ["Mangiare regolarmente"], "responsible": "sara", "next_review": "2027-01-15"}
    headers = {"X-CSRF-Token": centre.supervisor.csrf}
    async with centre.supervisor.http.put(
        f"{centre.url}/api/v1/homes/{centre.home}/care-plan", json=body, headers=headers
    ) as response:
        assert response.status == 200
    await plan.get_by_role("button", name="Salva come nuova versione").click()
    await expect(plan.locator(".plan-form [role=status]")).to_contain_text(
        "Nel frattempo sara ha salvato la versione 1"
    )
    await expect(plan.get_by_label("Obiettivo 1", exact=True)).to_have_value("Uscire ogni giorno")
    await plan.get_by_role("button", name="Salva come nuova versione").click()
    await expect(plan.locator(".plan-version").first).to_contain_text(
        "Versione 2, salvata da carla"
    )
    await expect(plan.locator(".plan-version").first).to_contain_text("Uscire ogni giorno")


async def test_the_district_month_shows_its_figures_and_downloads_the_report(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """The month of the alarm: its figures and charts, the PDF and a CSV file downloaded."""
    last = await keep_days(centre, 28)
    month = (last - timedelta(days=3)).strftime("%Y-%m")
    page = await signed_in_carla(open_console)
    await page.get_by_role("button", name="Il mese del distretto").click()
    view = page.locator("#view-report")
    await view.get_by_label("Mese", exact=True).fill(month)
    await view.get_by_role("button", name="Mostra").click()
    await expect(view.locator("#report-heading")).to_contain_text(DISTRICT)
    await expect(view.locator("[data-figure=alarms] dd")).to_have_text("1")
    chart = view.locator("#report-alarms-chart")
    await expect(chart.get_by_role("img")).to_have_accessible_name(
        "Allarmi per tipo 1 allarme nel mese; il tipo più frequente: Pulsante di emergenza (1)."
    )
    await expect(chart.locator("tbody tr")).to_have_count(1)
    await assert_every_control_named(page)
    await page.screenshot(path=artifacts / "month.png", full_page=True)

    async with page.expect_download() as pdf:
        await view.get_by_role("link", name="Il report stampabile (PDF)").click()
    saved = await (await pdf.value).path()
    assert saved.read_bytes().startswith(b"%PDF")
    async with page.expect_download() as summary:
        await view.get_by_role("link", name="In sintesi (CSV)").click()
    table = list(csv.DictReader(io.StringIO((await (await summary.value).path()).read_text())))
    assert [(row["district"], row["month"], row["alarms"]) for row in table] == [
        (DISTRICT, month, "1")
    ]


async def test_every_reason_the_review_list_gives_has_words_in_both_languages(
    open_console: Callable[..., Awaitable[Opened]],
) -> None:
    """Each change the method finds reads as a sentence with its numbers, in Italian and English."""
    keys = [f"review.{level.indicator.value}.{level.direction.value}" for level in LEVELS]
    keys.append("review.outings.none")
    params = {"recent": "3.1", "usual": "1.2", "days": "14", "usual_share": "80"}
    page = (await open_console()).page
    words: dict[str, dict[str, str]] = await page.evaluate(
        """async ({ keys, params }) => {
          const i18n = await import("/console/i18n.js");
          const words = {};
          for (const code of ["it", "en"]) {
            i18n.setLanguage(code);
            const said = keys.map((key) => [key, i18n.reviewReason(key, params)]);
            words[code] = Object.fromEntries(said);
          }
          i18n.setLanguage("it");
          return words;
        }""",
        {"keys": keys, "params": params},
    )
    for code, said in words.items():
        for key, text in said.items():
            assert not re.search(r"review\.|\{|undefined", text), (code, key)
    assert words["it"]["review.night_bathroom_visits.up"] == (
        "Bagno di notte 3,1 volte a notte negli ultimi 14 giorni; di solito 1,2"
    )
    assert words["en"]["review.outings.none"] == (
        "No outings for 14 days; usually out on 80% of days"
    )
