"""The console kept live: the stream's resync and a lost socket, well-being calls, the figures."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import psycopg
import pytest
from browsing import alarm_row, sign_in
from consoles import Console
from playwright.async_api import expect

from hub.storage import calls

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from browsing import Centre, Opened
    from playwright.async_api import WebSocketRoute

pytestmark = [pytest.mark.mqtt5, pytest.mark.browser]


class StreamTap:
    """The console's stream socket, passed through a test that can hold messages or cut it."""

    def __init__(self) -> None:
        """Pass everything, refuse nothing."""
        self.holding = False
        self.refusing = False
        self.sockets: list[WebSocketRoute] = []

    async def route(self, socket: WebSocketRoute) -> None:
        """Connect the page's socket to the hub (or close it at once while refusing)."""
        if self.refusing:
            await socket.close(code=1011, reason="test refuses")
            return
        hub = socket.connect_to_server()

        def to_page(message: str | bytes) -> None:
            if not self.holding:
                socket.send(message)

        hub.on_message(to_page)
        self.sockets.append(socket)


async def test_a_resync_or_a_lost_socket_reloads_what_was_missed(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """An alarm the stream did not bring shows after a resync, and after a reconnection.

    While the socket is down the console says so; it reconnects by itself.
    """
    page = (await open_console()).page
    tap = StreamTap()
    await page.route_web_socket(re.compile(r"/api/v1/stream$"), tap.route)
    await sign_in(page, "anna")
    connection = page.locator("#connection")
    await expect(connection).to_have_text("In linea")

    tap.holding = True
    await centre.press(centre.home)
    tap.sockets[-1].send('{"type": "resync"}')
    await expect(alarm_row(page, centre.home)).to_be_visible()

    tap.holding = False
    tap.refusing = True
    await tap.sockets[-1].close(code=1012, reason="hub restarting")
    await expect(connection).to_have_text("Collegamento perso: nuovo tentativo…")
    await page.screenshot(path=artifacts / "reconnecting.png")
    await centre.press(centre.other_home)
    tap.refusing = False
    await expect(connection).to_have_text("In linea")
    await expect(alarm_row(page, centre.other_home)).to_be_visible()
    assert len(tap.sockets) == 2


async def test_a_well_being_call_is_claimed_and_its_outcome_recorded(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """A planned call falls due below the alarms, is claimed and its outcome recorded.

    "No answer" is kept with its notes, and the call comes back later for its next attempt.
    """
    status, card = await centre.supervisor.get(f"/api/v1/homes/{centre.home}")
    assert status == 200
    maria = card["residents"][0]["resident_id"]
    moment = datetime.now(ZoneInfo("Europe/Rome")) - timedelta(minutes=1)
    plan = {
        "schedules": [
            {
                "resident_id": maria,
                "weekdays": [moment.isoweekday()],
                "at": moment.strftime("%H:%M"),
                "attempts": 3,
            }
        ]
    }
    headers = {"X-CSRF-Token": centre.supervisor.csrf}
    async with centre.supervisor.http.put(
        f"{centre.url}/api/v1/homes/{centre.home}/call_schedule", json=plan, headers=headers
    ) as response:
        assert response.status == 200
    page = (await open_console()).page
    await sign_in(page, "anna")
    await expect(page.locator("#calls-empty")).to_be_visible()
    async with await psycopg.AsyncConnection.connect(centre.database_url, autocommit=True) as conn:
        # As if planned yesterday, then the hub's timer's work done at once.
        await conn.execute("UPDATE call_schedules SET created_at = now() - interval '1 day'")
        assert len(await calls.plan_due(conn, datetime.now(ZoneInfo("UTC")))) == 1

    task = page.locator("#call-queue [role=option]")
    await expect(task).to_contain_text("Da fare ora")
    await expect(task).to_contain_text("Telefonata di controllo · Maria Rossi")
    await task.click()
    detail = page.locator("#detail")
    await detail.get_by_role("button", name="Prendi la telefonata").click()
    await expect(task).to_contain_text("Con te")
    await detail.get_by_label("Non risponde").check()
    await detail.get_by_label("Note della telefonata").fill("Squilla a vuoto")
    await detail.get_by_role("button", name="Registra l'esito").click()
    await expect(detail.locator("#task-log li")).to_contain_text(
        "Non risponde da anna — Squilla a vuoto"
    )
    await expect(task).to_contain_text("Più tardi")
    await expect(task).to_contain_text("Tentativi: 1 di 3")
    await expect(detail.get_by_role("button", name="Prendi la telefonata")).to_be_disabled()
    await page.screenshot(path=artifacts / "call-task.png", full_page=True)


async def test_the_supervisor_sees_the_queue_the_operators_and_todays_answer_times(
    centre: Centre, open_console: Callable[..., Awaitable[Opened]], artifacts: Path
) -> None:
    """Figures from the hub, kept up as alarms come in and are claimed; operators see none."""
    anna = Console(centre.url)
    try:
        assert await anna.login("anna") == 200
        operator = (await open_console()).page
        await sign_in(operator, "bruno")
        await expect(operator.get_by_role("button", name="Supervisione")).to_be_hidden()

        page = (await open_console()).page
        await sign_in(page, "sara")
        await page.get_by_role("button", name="Supervisione").click()
        view = page.locator("#view-supervisor")
        waiting = view.locator("[data-figure=raised] dd")
        await expect(waiting).to_have_text("0")
        await expect(view.locator("[data-target='60']")).to_contain_text("nessun allarme ancora")

        await centre.press(centre.home)
        await expect(waiting).to_have_text("1")
        status, page_of = await anna.get("/api/v1/alarms?state=open")
        assert status == 200
        alarm_id = page_of["items"][0]["alarm_id"]
        assert (await anna.post(f"/api/v1/alarms/{alarm_id}/claim", {}))[0] == 200
        await expect(waiting).to_have_text("0")
        await expect(view.locator("[data-figure=claimed] dd")).to_have_text("1")
        await expect(view.locator("[data-operator=anna]")).to_contain_text("sì")
        await expect(view.locator("[data-operator=anna]")).to_contain_text("1 allarme")
        await expect(view.locator("[data-figure=answered]")).to_have_text("1")
        sixty = view.locator("[data-target='60']")
        await expect(sixty).to_contain_text("100% (1 su 1); obiettivo 97,5%")
        await expect(sixty).to_contain_text("obiettivo raggiunto")
        await expect(sixty).to_have_class(re.compile(r"\bmet\b"))
        await page.screenshot(path=artifacts / "supervisor.png", full_page=True)
    finally:
        await anna.close()
