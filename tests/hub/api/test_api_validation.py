"""Bodies the API refuses, and the OpenAPI document saying the same (hub/fields.py).

Each bad body goes to a running hub and must come back 422 naming the field, with nothing
stored; the document's schemas must refuse it too, so that a client generating valid data
from the document never sends it.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
import uuid
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from consoles import PASSWORD, Console
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError
from queries import rows

from hub.alarms.rules import trigger_for
from hub.api.models import ContactIn, HomeDetail, HomeIn, ResidentOut, RulesIn
from hub.auth.users import Role, add_user
from hub.fields import (
    TEXT_PATTERN,
    TIME_PATTERN,
    WHITESPACE,
    LocalTime,
    OptionalText,
    RawText,
    Text,
    checked_text,
    refuse_nul,
)
from hub.storage import alarm_changes, homes, migrate
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
        (raised,) = await alarm_changes.apply_triggers(conn, [(event, trigger)], datetime.now(UTC))
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


async def test_path_and_query_parameters_are_checked_like_bodies(centre: Centre) -> None:
    """A NUL or a bad value in the path or the query is a 422 naming it, never a 500.

    ``GET /api/v1/homes/x%00`` and ``?home_id=a%00b`` reached PostgreSQL and ended in
    ``psycopg.DataError``; a missing body was read as ``{}`` and answered 200.
    """
    before = await centre.stored()
    cases = [
        ("/api/v1/homes/x%00", "home_id"),
        (f"/api/v1/homes/{HOME}/events?from=2026-01-01T00:00:00%00", "from"),
        ("/api/v1/homes/casa%00/events", "home_id"),
        ("/api/v1/alarms?home_id=a%00b", "home_id"),
        ("/api/v1/alarms?q=a%00b", "q"),
        ("/api/v1/alarms?state=raised,sleeping", "state"),
        ("/api/v1/alarms/not-a-uuid", "alarm_id"),
        ("/api/v1/calls?home_id=a%00b", "home_id"),
        ("/api/v1/calls?limit=0", "limit"),
    ]
    for path, field in cases:
        status, answer = await centre.console.get(path)
        assert (status, [f["field"] for f in answer["fields"]]) == (422, [field]), path
        assert answer["error"] == "bad request", path
    assert await centre.stored() == before
    # An unknown parameter is ignored, whatever its name: it is not written to the audit log
    # as sent (jsonb cannot hold a NUL), the checked query is.
    status, page = await centre.console.get("/api/v1/alarms?x%00y=a%00b&state=all")
    assert (status, len(page["items"])) == (200, 1)
    (audited,) = await rows(
        centre.database_url,
        "SELECT detail->'query' FROM audit_log WHERE action = 'alarms.list'",
    )
    assert audited[0] == {"state": "all", "limit": 50}
    before = await centre.stored()
    status, answer = await centre.send("DELETE", f"/api/v1/homes/{HOME}/devices/d%00", None)
    assert (status, [f["field"] for f in answer["fields"]]) == (422, ["device_id"])
    async with centre.console.http.put(
        f"{centre.console.base}/api/v1/homes/{HOME}/rules",
        headers={"X-CSRF-Token": centre.console.csrf},
    ) as r:
        answer = await r.json()
        assert (r.status, answer["error"]) == (422, "the request body is not valid")
        assert [f["field"] for f in answer["fields"]] == ["body"]
    assert await centre.stored() == before
    status, document = await centre.console.get("/api/v1/openapi.json")
    (state,) = [
        p for p in document["paths"]["/api/v1/alarms"]["get"]["parameters"] if p["name"] == "state"
    ]
    assert re.fullmatch(state["schema"]["pattern"], "raised,claimed")
    assert not re.fullmatch(state["schema"]["pattern"], "raised,sleeping")


async def test_a_time_of_day_is_local_and_an_offset_is_refused(centre: Centre) -> None:
    """``check_in_before`` and every other time of day: HH:MM[:SS] in the home's time zone.

    "+20:00" was PostgreSQL's "displacement out of range" (a 500); any offset, a fraction of a
    second, 24:00 or a number of seconds is a 422 naming the field. Times are answered
    HH:MM:SS.
    """
    rules = f"/api/v1/homes/{HOME}/rules"
    for bad in ("10:00:00+20:00", "10:00+01:00", "10:00Z", "10:00:00.5", "24:00", "9:00", 36000):
        message = await centre.refused("PUT", rules, {"check_in_before": bad}, "check_in_before")
        assert "without a UTC offset" in message
    night = {"wellbeing": {"night": {"starts": "22:00", "ends": "06:00-05:00"}}}
    await centre.refused("PUT", rules, night, "wellbeing.night.ends")
    late = {"wellbeing": {"late_rise": {"morning_starts": "05:00:00+00:00"}}}
    await centre.refused("PUT", rules, late, "wellbeing.late_rise.morning_starts")
    plan = {"schedules": [{"weekdays": [2, 5], "at": "10:00+02:00"}]}
    await centre.refused("PUT", f"/api/v1/homes/{HOME}/call_schedule", plan, "schedules.0.at")

    status, saved = await centre.send("PUT", rules, {"check_in_before": "10:00"})
    assert (status, saved["check_in_before"]) == (200, "10:00:00")
    plan["schedules"][0]["at"] = "17:30"
    assert (await centre.send("PUT", f"/api/v1/homes/{HOME}/call_schedule", plan))[0] == 200
    status, card = await centre.console.get(f"/api/v1/homes/{HOME}")
    assert status == 200
    assert card["rules"]["check_in_before"] == "10:00:00"
    assert card["rules"]["wellbeing"]["late_rise"]["morning_starts"] == "05:00:00"
    assert card["call_schedules"][0]["at"] == "17:30:00"
    stored = await rows(centre.database_url, "SELECT check_in_before FROM home_rules")
    assert stored == [(time(10, 0),)]


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


async def test_request_bodies_are_strict_json(centre: Centre) -> None:
    """No coercion: a date is "YYYY-MM-DD", a boolean true or false, an integer not "1".

    (2.0 is an integer, as JSON Schema says.)

    ``date_of_birth: 0`` was stored as 1970-01-01 and ``has_key: 1`` or "yes" as true.
    """
    residents = f"/api/v1/homes/{HOME}/residents"
    contacts = f"/api/v1/homes/{HOME}/contacts"
    plans = f"/api/v1/homes/{HOME}/call_schedule"
    rules = f"/api/v1/homes/{HOME}/rules"
    plan: dict[str, Any] = {"weekdays": [2, 5], "at": "10:00"}
    cases: list[tuple[str, Any, str]] = [
        (residents, RESIDENT | {"date_of_birth": bad}, "date_of_birth")
        for bad in (0, "0", "1938-05-02T00:00:00", "02/05/1938", "1938-02-30", "19380502")
    ]
    cases += [
        (contacts, {"contacts": [CONTACT | {field: bad}]}, f"contacts.0.{field}")
        for field in ("has_key", "responder")
        for bad in (1, "yes", "true", None)
    ]
    cases += [
        (plans, {"schedules": [plan | {field: bad}]}, f"schedules.0.{field}{at}")
        for field, bad, at in [
            ("weekdays", ["2"], ".0"),
            ("attempts", 3.5, ""),
            ("retry_minutes", "30", ""),
            ("resident_id", 7, ""),
        ]
    ]
    cases += [
        (rules, {"wellbeing": {rule: {field: bad}}}, f"wellbeing.{rule}.{field}")
        for rule, field, bad in [
            ("inactivity", "enabled", 0),
            ("out_of_bed", "minutes", "45"),
            ("temperature", "low_celsius", "12"),
            ("device_supervision", "hours", 2.5),
        ]
    ]
    for path, body, field in cases:
        await centre.refused("PUT" if path != residents else "POST", path, body, field)
    alarm = f"/api/v1/alarms/{centre.alarm_id}"
    await centre.refused("POST", f"{alarm}/resolve", {"outcome": 1}, "outcome")

    # What the console and the documented examples send still goes through.
    status, saved = await centre.send("POST", residents, RESIDENT | {"date_of_birth": "1938-05-02"})
    assert (status, saved["date_of_birth"]) == (200, "1938-05-02")
    body = {"contacts": [CONTACT | {"has_key": True, "responder": False}]}
    assert (await centre.send("PUT", contacts, body))[0] == 200
    body = {"schedules": [plan | {"resident_id": saved["resident_id"], "attempts": 2}]}
    assert (await centre.send("PUT", plans, body))[0] == 200
    body = {"wellbeing": {"temperature": {"low_celsius": 12, "high_celsius": 28.5}}}
    assert (await centre.send("PUT", rules, body))[0] == 200
    assert (await centre.send("POST", f"{alarm}/claim", {}))[0] == 200
    assert (await centre.send("POST", f"{alarm}/start", {}))[0] == 200
    responder = {"name": "Luca Rossi", "result": "on_the_way", "phone": "+39 333 1234567"}
    assert (await centre.send("POST", f"{alarm}/responders", responder))[0] == 200
    resolved = {"outcome": "relative_contacted", "notes": "son on his way"}
    assert (await centre.send("POST", f"{alarm}/resolve", resolved))[0] == 200


# The document -----------------------------------------------------------------------------


def _ecma_pattern(validator: Any, pattern: str, instance: Any, _schema: Any) -> Iterator[Any]:
    """JSON Schema's ``pattern`` with ECMA-262's ``$``: the end, not before a final newline."""
    if not validator.is_type(instance, "string"):
        return
    python = pattern.removesuffix("$") + r"\Z" if pattern.endswith("$") else pattern
    if not re.search(python, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Ecma = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


def _schema_of(document: dict[str, Any], name: str) -> Any:
    return _Ecma(
        {"$ref": f"#/components/schemas/{name}", "components": document["components"]},
        format_checker=FormatChecker(),
    )


def _request_schemas(document: dict[str, Any]) -> set[str]:
    """The component schemas request bodies use, and every schema they refer to."""
    schemas = document["components"]["schemas"]
    found: set[str] = set()
    todo = [
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for path in document["paths"].values()
        for operation in path.values()
        if "requestBody" in operation
    ]
    while todo:
        name = todo.pop().removeprefix("#/components/schemas/")
        if name in found:
            continue
        found.add(name)
        todo.extend(_refs(schemas[name]))
    return found


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _strings(node: object, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema of a string (not an enum) below ``node``, with where it is."""
    if isinstance(node, dict):
        if node.get("type") == "string" and "enum" not in node and "const" not in node:
            yield where, node
        for key, value in node.items():
            yield from _strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{where}.{index}")


async def test_the_openapi_document_states_every_rule_the_bodies_are_checked_by(
    centre: Centre,
) -> None:
    """The document says what the hub checks, for a client generating bodies from it.

    Every string a request takes has a pattern refusing NUL; times are local, without
    ``format: time``; and what the hub refuses, the document refuses too.
    """
    status, document = await centre.console.get("/api/v1/openapi.json")
    assert status == 200
    schemas = document["components"]["schemas"]
    requests = _request_schemas(document)
    assert {"HomeIn", "ResidentIn", "ContactIn", "RulesIn", "WellbeingSettings"} <= requests
    for name in requests:
        for where, schema in _strings(schemas[name], name):
            if schema.get("format") == "uuid":
                continue
            assert "pattern" in schema, where
            assert not re.search(schema["pattern"], NUL), where
    assert '"format": "time"' not in json.dumps(document)
    times = [
        schemas["RulesIn"]["properties"]["check_in_before"]["anyOf"][0],
        schemas["CallScheduleIn"]["properties"]["at"],
        schemas["LateRiseRule"]["properties"]["morning_starts"],
        schemas["NightWindow"]["properties"]["starts"],
    ]
    for schema in times:
        assert schema["type"] == "string"
        assert schema["pattern"] == TIME_PATTERN
    assert schemas["HomeIn"]["properties"]["district"]["pattern"] == TEXT_PATTERN

    home, resident = _schema_of(document, "HomeIn"), _schema_of(document, "ResidentIn")
    rules, contacts = _schema_of(document, "RulesIn"), _schema_of(document, "ContactsIn")
    plans = _schema_of(document, "CallSchedulesIn")
    for bad in (NUL, "\t" + "d" * 64, "\u00a0", "ats\n", "d" * 65):
        assert not home.is_valid({"home_id": "x", "district": bad}), repr(bad)
    assert home.is_valid({"home_id": "x", "district": "d" * 64})
    for bad_time in ("10:00:00+20:00", "10:00Z", "10:00:00.5", "24:00"):
        assert not rules.is_valid({"check_in_before": bad_time}), bad_time
        assert not plans.is_valid({"schedules": [{"weekdays": [1], "at": bad_time}]})
    status, answered = await centre.send("PUT", f"/api/v1/homes/{HOME}/rules", {})
    assert status == 200
    assert rules.is_valid(answered)  # "05:00:00" and the rest, as answered
    for bad_day in (0, "0", "1938-02-30", "19380502"):
        assert not resident.is_valid(RESIDENT | {"date_of_birth": bad_day}), bad_day
    assert resident.is_valid(RESIDENT | {"date_of_birth": "1938-05-02"})
    for bad_flag in (1, "yes"):
        assert not contacts.is_valid({"contacts": [CONTACT | {"has_key": bad_flag}]})
    # JSON Schema counts 2.0 as an integer, and so does the hub; "2" is refused by both.
    assert plans.is_valid({"schedules": [{"weekdays": [2.0], "at": "10:00"}]})
    assert not plans.is_valid({"schedules": [{"weekdays": ["2"], "at": "10:00"}]})


def test_the_document_answers_times_as_it_describes_them() -> None:
    """Response (serialization) schemas say the same as request ones, and answers fit them."""
    schema = HomeDetail.model_json_schema(mode="serialization")
    assert schema["$defs"]["CallScheduleIn"]["properties"]["at"]["pattern"] == TIME_PATTERN
    assert schema["$defs"]["NightWindow"]["properties"]["starts"]["pattern"] == TIME_PATTERN
    assert "format" not in schema["$defs"]["NightWindow"]["properties"]["starts"]
    answered = json.loads(RulesIn(check_in_before=time(10, 0, 30, 5)).model_dump_json())
    assert answered["check_in_before"] == "10:00:30"
    assert re.search(TIME_PATTERN, answered["wellbeing"]["night"]["starts"])
    resident = ResidentOut(
        resident_id=uuid.uuid4(), full_name="A", address="B", date_of_birth=date(1938, 5, 2)
    )
    assert json.loads(resident.model_dump_json())["date_of_birth"] == "1938-05-02"


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


def test_a_time_of_day_from_the_database_or_code_keeps_working() -> None:
    """Stored settings (strings in jsonb) and ``time`` values from rows validate as before."""
    adapter = TypeAdapter[time](LocalTime)
    assert adapter.validate_python("05:00:00") == time(5)
    assert adapter.validate_python(time(22, 30)) == time(22, 30)
    with pytest.raises(PydanticError):
        adapter.validate_python(time(10, tzinfo=UTC))
    assert adapter.dump_json(time(5)) == b'"05:00:00"'
