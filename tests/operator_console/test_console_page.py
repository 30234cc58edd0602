"""The console page itself: its words in two languages, names for every control, one origin."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from browsing import alarm_row, assert_every_control_named, origin, sign_in
from playwright.async_api import expect

from hub.api.vocabulary_routes import VOCABULARY, Vocabulary

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from browsing import Centre, Opened

pytestmark = [pytest.mark.mqtt5, pytest.mark.browser]

SEEN = "2026-01-02T03:04:05+00:00"
REASON_SAMPLES = {
    "alarm.panic_button": {"device_id": "pendant-1", "location": "soggiorno"},
    "alarm.pull_cord": {"device_id": "cord-1", "location": "bagno"},
    "alarm.fall": {"device_id": "fall-1"},
    "alarm.smoke": {"device_id": "smoke-1", "location": "cucina"},
    "alarm.co": {"device_id": "co-1"},
    "alarm.flood": {"device_id": "flood-1"},
    "alarm.tamper": {"device_id": "pir-1"},
    "alarm.mains_power": {"device_id": "unit"},
    "alarm.battery_low": {"device_id": "pendant-1"},
    "alarm.inactivity": {"idle_minutes": "310", "threshold_minutes": "220", "usual_minutes": "160"},
    "alarm.inactivity short": {"idle_minutes": "360", "threshold_minutes": "360"},
    "alarm.late_rise": {"expected_by": "11:00", "usual_up_by": "09:40"},
    "alarm.night_door": {"device_id": "door-front", "opened_at": "02:14"},
    "alarm.out_of_bed": {"left_bed_at": "01:30", "minutes_out": "52"},
    "alarm.room_temperature": {
        "celsius": "14.5",
        "side": "cold",
        "minutes": "70",
        "device_id": "t-1",
    },
    "alarm.device_silent": {"devices": "pir-1, door-1", "last_seen": SEEN},
    "alarm.unit_offline": {"last_seen": SEEN, "said_offline": "False"},
    "alarm.missed_check_in": {"expected_before": "10:00"},
    "alarm.wellbeing_call_unanswered": {"attempts": "3", "planned_at": SEEN},
    "alarm.new_kind": {"device_id": "x-1"},
}
"""Parameters as the hub sends them, for every reason (and one this console does not know)."""
LABELS = {
    "alarm_states": "state",
    "priorities": "priority",
    "resolve_outcomes": "outcome",
    "responder_results": "responder",
    "call_states": "task.state",
    "call_outcomes": "task",
    "roles": "role",
    "trigger_kinds": "kind",
    "rooms": "room",
    "review_outcomes": "review.outcome",
    "care_service_periods": "plan.per",
    "report_tables": "report.table",
}
"""Where the dictionaries keep the words for each list of the hub's vocabulary."""


async def test_every_button_and_field_has_an_accessible_name(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """Sign-in, queue, an open alarm with its forms and card, history and supervisor views."""
    page = (await open_console()).page
    assert await assert_every_control_named(page) >= 3
    await sign_in(page, "sara")
    await centre.press(centre.home)
    await alarm_row(page, centre.home).click()
    await page.get_by_role("button", name="Prendi in carico").click()
    await expect(page.locator("#detail .card")).to_contain_text("Lucia Rossi")
    checked = await assert_every_control_named(page)
    assert checked >= 20
    await page.screenshot(path=artifacts / "alarm-open.png", full_page=True)
    for view in ("Storico", "Supervisione"):
        await page.get_by_role("button", name=view).click()
        await assert_every_control_named(page)
    await page.get_by_role("button", name="Esci").click()
    await expect(page.locator("#login-username")).to_be_visible()


async def test_the_words_follow_the_chosen_language_and_it_is_remembered(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """Italian from an Italian browser; English when chosen, still after a reload; and back."""
    page = (await open_console("it-IT")).page
    await sign_in(page, "anna")
    await centre.press(centre.home)
    row = alarm_row(page, centre.home)
    await expect(row).to_contain_text("Pulsante di emergenza premuto")
    await expect(page.locator("#queue-title")).to_have_text("Coda")
    await expect(page.locator("html")).to_have_attribute("lang", "it")

    await page.get_by_label("Lingua").select_option("en")
    await expect(row).to_contain_text("Panic button pressed (pendant-1)")
    await expect(row).to_contain_text("Waiting")
    await expect(page.locator("#queue-title")).to_have_text("Queue")
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await row.click()
    await expect(page.locator("#detail")).to_contain_text("Resident card")
    press = page.locator("#detail .card-events [data-kind=panic_button] strong")
    await expect(press).to_have_text("Panic button")
    await page.screenshot(path=artifacts / "english.png", full_page=True)

    await page.reload()
    await expect(alarm_row(page, centre.home)).to_contain_text("Panic button pressed")
    await page.get_by_label("Language").select_option("it")
    await expect(alarm_row(page, centre.home)).to_contain_text("Pulsante di emergenza premuto")
    await expect(page.locator("#queue-title")).to_have_text("Coda")


async def test_an_english_browser_starts_in_english(
    open_console: Callable[..., Awaitable[Opened]],
) -> None:
    """With nothing chosen yet, the browser's language decides."""
    page = (await open_console("en-GB")).page
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await sign_in(page, "anna")
    await expect(page.locator("#queue-title")).to_have_text("Queue")


async def test_every_alarm_reason_is_put_into_words_in_both_languages(
    open_console: Callable[..., Awaitable[Opened]],
) -> None:
    """Both dictionaries have the same keys; each reason reads as words with its numbers.

    They have words for every value of the hub's vocabulary too; a value they lack (a newer
    hub's) is shown as it is.
    """
    assert set(LABELS) == set(Vocabulary.model_fields) - {"open_alarm_states"}
    vocabulary = VOCABULARY.model_dump(mode="json")
    page = (await open_console()).page
    found: dict[str, Any] = await page.evaluate(
        """async ({ samples, vocabulary, labels }) => {
        const { it } = await import("/console/locales/it.js");
        const { en } = await import("/console/locales/en.js");
        const i18n = await import("/console/i18n.js");
        const words = {};
        for (const code of ["it", "en"]) {
          i18n.setLanguage(code);
          words[code] = {};
          for (const [key, params] of Object.entries(samples)) {
            words[code][key] = i18n.reason(key.split(" ")[0], params);
          }
        }
        i18n.setLanguage("it");
        const reasons = Object.keys(it).filter((key) => key.startsWith("alarm."));
        const wanted = Object.entries(labels).flatMap(([list, group]) =>
          vocabulary[list].map((value) => `${group}.${value}`),
        );
        return {
          onlyIt: Object.keys(it).filter((key) => !(key in en)),
          onlyEn: Object.keys(en).filter((key) => !(key in it)),
          untested: reasons.filter((key) => !(key in samples)),
          // An alarm's kind in a word or two, where a page lists alarms without their reason.
          unnamed: reasons.filter((key) => !(`alarmkind.${key.slice(6)}` in it)),
          unlabelled: wanted.filter((key) => !(key in it)),
          // Outcomes the hub writes itself: a resident's cancel, an operator's.
          closedBy: ["cancelled", "cancelled_by_operator"].filter((o) => !(`outcome.${o}` in it)),
          unknown: [i18n.label("outcome", "new_outcome"), i18n.label("priority", 6)],
          words,
        };
      }""",
        {"samples": REASON_SAMPLES, "vocabulary": vocabulary, "labels": LABELS},
    )
    assert (found["onlyIt"], found["onlyEn"], found["untested"]) == ([], [], [])
    assert found["unnamed"] == []
    assert found["unlabelled"] == []
    assert found["closedBy"] == []
    assert found["unknown"] == ["new_outcome", "6"]
    for code in ("it", "en"):
        for key, text in found["words"][code].items():
            assert text, (code, key)
            assert key == "alarm.new_kind" or not re.search(r"undefined|NaN|\{|alarm\.", text)
    en, it = found["words"]["en"], found["words"]["it"]
    assert en["alarm.inactivity"] == (
        "No movement for 5 h 10 min; usual longest at this hour 2 h 40 min"
    )
    assert it["alarm.inactivity"] == (
        "Nessun movimento da 5 h 10 min; a quest'ora di solito al massimo 2 h 40 min"
    )
    assert en["alarm.inactivity short"] == "No movement for 6 h (threshold 6 h)"
    assert en["alarm.panic_button"] == "Panic button pressed (soggiorno, pendant-1)"
    assert it["alarm.room_temperature"] == "Stanza troppo fredda: 14.5 °C da 1 h 10 min (t-1)"
    assert en["alarm.late_rise"] == "No activity this morning by 11:00; usually up by 09:40"
    assert (it["alarm.new_kind"], en["alarm.new_kind"]) == (
        "Allarme «new_kind» (device_id: x-1)",
        "Alarm “new_kind” (device_id: x-1)",
    )


async def test_the_page_asks_nothing_of_any_other_origin(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]]
) -> None:
    """Everything it loads, fetches and connects to is the hub it came from."""
    console = await open_console()
    page = console.page
    await sign_in(page, "sara")
    await centre.press(centre.home)
    await alarm_row(page, centre.home).click()
    await expect(page.locator("#detail .card")).to_contain_text("Lucia Rossi")
    for view in ("Storico", "Supervisione", "Coda"):
        await page.get_by_role("button", name=view).click()
    await page.reload()
    await expect(alarm_row(page, centre.home)).to_be_visible()
    hub = origin(centre.url)
    assert len(console.requests) > 10
    assert {origin(url) for url in console.requests} == {hub}
    assert console.sockets
    assert {origin(url) for url in console.sockets} == {hub}
    assert all(url.startswith("ws://") for url in console.sockets)


async def test_the_hubs_refusals_are_put_into_the_operators_language(
    open_console: Callable[..., Awaitable[Opened]],
) -> None:
    """A 409 or a refused call is shown in the operator's language, from the hub's code.

    A code the console does not know falls back to the hub's own (English) text.
    """
    page = (await open_console()).page
    said: dict[str, str] = await page.evaluate(
        """async () => {
        const api = await import("/console/api.js");
        const i18n = await import("/console/i18n.js");
        const held = new api.ApiError(409, {
          error: "the call is handled by anna", code: "call.held_by", params: { user: "anna" },
        });
        const unknown = new api.ApiError(409, { error: "something new", code: "new.thing" });
        i18n.setLanguage("it");
        const it = api.describeError(held);
        const fallback = api.describeError(unknown);
        const refused = api.hubReason("call.role", { role: "social_worker" }, "english");
        i18n.setLanguage("en");
        const en = api.describeError(held);
        i18n.setLanguage("it");
        return { it, en, fallback, refused };
      }"""
    )
    assert said["it"] == "Questa telefonata è già di anna."
    assert said["en"] == "This call is already anna's."
    assert said["fallback"] == "Non si può: something new"
    assert said["refused"] == "Il tuo ruolo non permette di chiamare."
