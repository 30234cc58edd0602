"""Helpers of the console's browser tests: the centre they run against, pages, sign-in."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from consoles import PASSWORD
from homes import Fleet, panic
from playwright.async_api import expect

from protocol import EventBatch, EventKind, TriggerEvent

if TYPE_CHECKING:
    from consoles import Console
    from playwright.async_api import BrowserContext, Locator, Page

DISTRICT = "ats-nord"
CONTROLS = "button:visible, input:visible, select:visible, textarea:visible, a:visible"
"""Everything a user can press, type into or follow."""


@dataclass
class Centre:
    """A hub with two homes of one district, their residents, and staff to sign in."""

    url: str
    home: str
    other_home: str
    fleet: Fleet
    database_url: str
    supervisor: Console

    async def press(self, home_id: str, kind: EventKind = EventKind.PANIC_BUTTON) -> None:
        """A home unit reports an alarm sensor firing (published on MQTT, acked by the hub)."""
        seq = self.fleet.next_seq()
        if kind is EventKind.PANIC_BUTTON:
            batch = panic(home_id, seq)
        else:
            event = TriggerEvent.model_validate(
                {
                    "event_id": uuid.uuid4(),
                    "home_id": home_id,
                    "device_id": f"{kind.value}-1",
                    "ts": datetime.now(UTC),
                    "seq": seq,
                    "location": "cucina",
                    "kind": kind,
                    "value": {"active": True},
                }
            )
            batch = EventBatch(home_id=home_id, events=[event])
        await self.fleet.send(batch)
        await self.fleet.wait_acked({event.event_id for event in batch.events})


@dataclass
class Opened:
    """A console page in a browser context of its own, and what it asked for."""

    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def origin(url: str) -> tuple[str, str]:
    """Host and port of ``url`` (http and ws to one host and port are the same hub)."""
    parts = urlsplit(url)
    return parts.hostname or "", str(parts.port)


async def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as an operator does."""
    await page.locator("#login-username").fill(username)
    await page.locator("#login-password").fill(password)
    await page.locator("#login-form button[type=submit]").click()
    await page.locator("#shell").wait_for(state="visible")


def alarm_row(page: Page, home_id: str) -> Locator:
    """The queue's row of ``home_id``'s alarm (not of a home whose id merely starts the same)."""
    where = page.locator(".where", has_text=re.compile(rf"^{re.escape(home_id)}( ·|$)"))
    return page.locator("#queue [role=option]", has=where)


async def assert_every_control_named(page: Page) -> int:
    """Every visible control has a non-empty accessible name; returns how many were checked."""
    controls = page.locator(CONTROLS)
    count = await controls.count()
    for index in range(count):
        await expect(controls.nth(index)).to_have_accessible_name(re.compile(r"\S"))
    options = page.locator("[role=option]:visible")
    for index in range(await options.count()):
        await expect(options.nth(index)).to_have_accessible_name(re.compile(r"\S"))
    return count
