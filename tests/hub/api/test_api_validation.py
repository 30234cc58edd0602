"""Bodies the API refuses (hub/fields.py).

Each bad body goes to a running hub and must come back 422 naming the field, with nothing
stored.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from consoles import PASSWORD, Console
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError
from queries import rows

from hub.alarms.rules import trigger_for
from hub.api.models import ContactIn, HomeIn
from hub.auth.users import Role, add_user
from hub.fields import (
    TEXT_PATTERN,
    WHITESPACE,
    OptionalText,
    RawText,
    Text,
    checked_text,
    refuse_nul,
)
from hub.storage import alarms, homes, migrate
from protocol import Event, EventKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

HOME = "casa-1"
NUL = "a\x00b"
STORED = (
    "homes",
    "residents",
    "contacts",
    "home_rules",
    "call_schedules",
    "call_tasks",
    "alarm_log",
    "audit_log",
)
"""Every table a body could end up in; a refused body changes none of them."""


class Centre:
    """A hub with one home, an open alarm on it, and an admin signed in (who may do it all)."""

    def __init__(self, console: Console, database_url: str, alarm_id: uuid.UUID) -> None:
        """The signed-in ``console`` on the hub whose database is ``database_url``."""
        self.console = console
        self.database_url = database_url
        self.alarm_id = alarm_id

    async def send(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """``method`` ``path`` with ``body`` as JSON (and the CSRF header): status and JSON."""
        async with self.console.http.request(
            method,
            f"{self.console.base}{path}",
            data=json.dumps(body),
            headers={"X-CSRF-Token": self.console.csrf, "Content-Type": "application/json"},
        ) as r:
            return r.status, await r.json()

    async def stored(self) -> dict[str, int]:
        """How many rows each table a body could reach holds."""
        return {
            table: (await rows(self.database_url, f"SELECT count(*) FROM {table}"))[0][0]  # noqa: S608 - our own table names
            for table in STORED
        }

    async def refused(self, method: str, path: str, body: Any, field: str) -> str:
        """Send a bad body: a 422 naming ``field`` (only it), nothing stored; its message."""
        before = await self.stored()
        status, answer = await self.send(method, path, body)
        assert status == 422, (path, body, answer)
        assert [f["field"] for f in answer["fields"]] == [field], answer
        assert await self.stored() == before
        message: str = answer["fields"][0]["message"]
        return message


@pytest.fixture
async def centre(hub: RunningHub, database_url: str) -> AsyncIterator[Centre]:
    """One home with an open panic alarm, and its admin ada signed in."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, [HOME], "ats-nord")
        await add_user(conn, "ada", PASSWORD, Role.ADMIN, ["ats-nord"])
        event = TypeAdapter[Event](Event).validate_python(
            {
                "event_id": uuid.uuid4(),
                "home_id": HOME,
                "device_id": "pendant",
                "ts": datetime.now(UTC),
                "seq": 1,
                "kind": EventKind.PANIC_BUTTON,
                "value": {"active": True},
            }
        )
        trigger = trigger_for(event)
        assert trigger is not None
        (raised,) = await alarms.apply_triggers(conn, [(event, trigger)], datetime.now(UTC))
    console = Console(hub.url)
    assert await console.login("ada") == 200
    yield Centre(console, database_url, raised.alarm_id)
    await console.close()


RESIDENT: dict[str, Any] = {"full_name": "Maria Rossi", "address": "Via Roma 1, Ancona"}
CONTACT: dict[str, Any] = {"name": "Luca Rossi", "phone": "+39 333 1234567"}


def _bodies_with(bad: str) -> Iterator[tuple[str, str, Any, str]]:
    """Every text field of every body, holding ``bad``: method, path, body, field named."""
    alarm = "/api/v1/alarms/{alarm_id}"
    yield "POST", "/api/v1/homes", {"home_id": "casa-2", "district": bad}, "district"
    for field in ("full_name", "address", "medical_notes", "care_notes", "key_safe"):
        body = RESIDENT | {field: bad}
        yield "POST", f"/api/v1/homes/{HOME}/residents", body, field
    for field in ("name", "relation", "notes"):
        body = {"contacts": [CONTACT, CONTACT | {field: bad}]}
        yield "PUT", f"/api/v1/homes/{HOME}/contacts", body, f"contacts.1.{field}"
    yield "PUT", f"/api/v1/homes/{HOME}/rules", {"time_zone": bad}, "time_zone"
    devices = {"wellbeing": {"night_door": {"devices": ["door-front", bad]}}}
    yield "PUT", f"/api/v1/homes/{HOME}/rules", devices, "wellbeing.night_door.devices.1"
    yield "POST", f"{alarm}/notes", {"text": bad}, "text"
    for field in ("name", "phone", "notes"):
        body = {"name": "Luca Rossi", "result": "reached"} | {field: bad}
        yield "POST", f"{alarm}/responders", body, field
    yield "POST", f"{alarm}/resolve", {"outcome": "test", "notes": bad}, "notes"
    yield "POST", f"{alarm}/cancel", {"reason": bad}, "reason"
    outcome = {"outcome": "spoke", "notes": bad}
    yield "POST", f"/api/v1/calls/{uuid.uuid4()}/outcome", outcome, "notes"


async def test_nul_in_any_text_field_is_a_422_naming_it_and_nothing_is_stored(
    centre: Centre,
) -> None:
    """PostgreSQL cannot hold NUL: every text field refuses it before the database is asked."""
    for method, path, body, field in _bodies_with(NUL):
        message = await centre.refused(method, path.format(alarm_id=centre.alarm_id), body, field)
        assert "NUL" in message or field.startswith("wellbeing.night_door"), message
    for field in ("username", "password"):
        body = {"username": "ada", "password": PASSWORD} | {field: NUL}
        async with centre.console.http.post(
            f"{centre.console.base}/api/v1/auth/login", json=body
        ) as r:
            assert r.status == 422
            assert [f["field"] for f in (await r.json())["fields"]] == [field]
    status, alarm = await centre.console.get(f"/api/v1/alarms/{centre.alarm_id}")
    assert (status, alarm["state"], len(alarm["timeline"])) == (200, "raised", 1)


async def test_text_is_checked_as_sent_never_stripped(centre: Centre) -> None:
    """The length counted is the length sent; whitespace at either end is refused, not trimmed.

    A 65-character district starting with a tab passed ``maxLength 64`` after stripping, and a
    lone no-break space was refused as empty; now both are refused for what they are. Spaces
    inside are text like any other, and a password keeps its spaces.
    """
    homes_path = "/api/v1/homes"
    district = "\t" + "d" * 64
    message = await centre.refused(
        "POST", homes_path, {"home_id": "x", "district": district}, "district"
    )
    assert "whitespace" in message
    message = await centre.refused(
        "POST", homes_path, {"home_id": "x", "district": "\u00a0"}, "district"
    )
    assert "whitespace" in message
    message = await centre.refused(
        "POST", homes_path, {"home_id": "x", "district": "d" * 65}, "district"
    )
    assert "64" in message
    for bad in (" ats-nord", "ats-nord ", "ats-nord\n", "\u3000ats", "ats\ufeff"):
        await centre.refused("POST", homes_path, {"home_id": "x", "district": bad}, "district")
    note = f"/api/v1/alarms/{centre.alarm_id}/notes"
    await centre.refused("POST", note, {"text": "spoke with her\n"}, "text")
    await centre.refused("POST", note, {"text": " "}, "text")
    contacts = {"contacts": [CONTACT | {"phone": "+39 333 1234567 "}]}
    await centre.refused("PUT", f"/api/v1/homes/{HOME}/contacts", contacts, "contacts.0.phone")

    status, home = await centre.send("POST", homes_path, {"home_id": "x", "district": "d" * 64})
    assert (status, home["district"]) == (200, "d" * 64)
    status, _ = await centre.send("POST", note, {"text": "line one\n\tline two"})
    assert status == 200
    status, alarm = await centre.console.get(f"/api/v1/alarms/{centre.alarm_id}")
    assert alarm["timeline"][-1]["detail"]["text"] == "line one\n\tline two"

    async with await psycopg.AsyncConnection.connect(centre.database_url, autocommit=True) as conn:
        await add_user(conn, "spaced", f" {PASSWORD} ", Role.OPERATOR, ["ats-nord"])
    spaced = Console(centre.console.base)
    try:
        assert await spaced.login("spaced", PASSWORD) == 401
        assert await spaced.login("spaced", f" {PASSWORD} ") == 200
    finally:
        await spaced.close()


# The rules themselves ---------------------------------------------------------------------


def _whitespace() -> list[str]:
    """What any of Python's ``strip()``, JavaScript's ``trim()`` and Unicode call whitespace."""
    javascript = "\t\n\v\f\r \u00a0\u2028\u2029\ufeff"
    return [
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if c.isspace() or c in javascript or unicodedata.category(c) == "Zs"
    ]


class _Texts(BaseModel):
    text: Text = ""
    optional: OptionalText = None
    raw: RawText = ""


def test_whitespace_at_either_end_is_refused_and_inside_is_kept() -> None:
    """The pattern pydantic checks, the message's check and :data:`WHITESPACE` agree."""
    spaces = _whitespace()
    assert len(spaces) > 25
    ends = re.compile(f"[{WHITESPACE}]")
    for c in spaces:
        assert ends.fullmatch(c), hex(ord(c))
        for bad in (c, f"{c}x", f"x{c}"):
            for field in ("text", "optional"):
                with pytest.raises(PydanticError):
                    _Texts.model_validate_json(json.dumps({field: bad}))
            with pytest.raises(ValueError, match="whitespace"):
                checked_text(bad)
            assert _Texts.model_validate_json(json.dumps({"raw": bad})).raw == bad
        inside = f"x{c}y"
        assert _Texts.model_validate_json(json.dumps({"text": inside})).text == inside
        assert checked_text(inside) == inside
        assert re.fullmatch(TEXT_PATTERN, inside)
    for fine in ("x", "\u200bx", "x\u200b", "émigré", "日本", "🙂", "\x01"):
        assert _Texts.model_validate_json(json.dumps({"text": fine})).text == fine


def test_nul_is_refused_everywhere_also_for_path_and_query_parameters() -> None:
    """The small functions for parameters word it as a body's field does."""
    for check in (refuse_nul, checked_text):
        with pytest.raises(ValueError, match="NUL"):
            check("x\x00")
        assert check("x y") == "x y"
    assert refuse_nul(" x ") == " x "
    for field in ("text", "optional", "raw"):
        with pytest.raises(PydanticError, match="NUL"):
            _Texts.model_validate_json(json.dumps({field: NUL}))
    with pytest.raises(PydanticError):
        ContactIn.model_validate_json(json.dumps(CONTACT | {"phone": "333\x00 1234"}))
    with pytest.raises(PydanticError):
        HomeIn.model_validate_json(json.dumps({"home_id": "x\x00", "district": "d"}))
