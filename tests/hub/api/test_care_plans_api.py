"""Care plans through the API of a running hub: versions, history, reviews due, who may see."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from consoles import PASSWORD, Console
from queries import rows

from hub.auth.users import Role, add_user, set_active
from hub.storage import homes, migrate, registry

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

NORD, SUD, OVEST = "casa-nord", "casa-sud", "casa-ovest"
PLAN = f"/api/v1/homes/{NORD}/care-plan"
DUE = "/api/v1/care-plans/due"
USERS = [
    ("dario", Role.SOCIAL_WORKER, ["ats-nord"]),
    ("elena", Role.SOCIAL_WORKER, ["ats-nord", "ats-ovest"]),
    ("sara", Role.SUPERVISOR, ["ats-nord"]),
    ("carla", Role.SOCIAL_WORKER, ["ats-sud"]),
    ("anna", Role.OPERATOR, ["ats-nord"]),
    ("ada", Role.ADMIN, []),
]


def rome_today() -> date:
    """Today in the homes' time zone (Europe/Rome, the default)."""
    return datetime.now(ZoneInfo("Europe/Rome")).date()


def plan(**changes: Any) -> dict[str, Any]:
    """A plan as a social worker writes it after the assessment, with ``changes``."""
    body: dict[str, Any] = {
        "goals": ["Keep living at home safely", "Go out at least twice a week"],
        "services": [
            {"what": "Well-being call", "provider": "Centrale", "times": 2, "per": "week"},
            {"what": "Home visit", "provider": "Coop. Il Faro", "times": 1, "per": "week"},
        ],
        "responsible": "dario",
        "next_review": (rome_today() + timedelta(days=90)).isoformat(),
        "notes": "Agreed with her daughter at the assessment.",
    }
    return body | changes


@pytest.fixture
async def consoles(hub: RunningHub, database_url: str) -> AsyncIterator[dict[str, Console]]:
    """Homes in three districts, a resident at casa-nord, a signed-in console per user."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        for home, district in ((NORD, "ats-nord"), (SUD, "ats-sud"), (OVEST, "ats-ovest")):
            await homes.register(conn, [home], district)
        for name, role, districts in USERS:
            await add_user(conn, name, PASSWORD, role, districts)
    made = {name: Console(hub.url) for name, _, _ in USERS}
    for name, console in made.items():
        assert await console.login(name) == 200
    yield made
    for console in made.values():
        await console.close()


async def put(console: Console, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """PUT with the console's CSRF token."""
    headers = {"X-CSRF-Token": console.csrf}
    async with console.http.put(f"{console.base}{path}", json=body, headers=headers) as r:
        return r.status, await r.json()


async def audited(database_url: str, action: str) -> list[tuple[Any, ...]]:
    """The audit rows of ``action``: actor, subject, detail, in order."""
    return await rows(
        database_url,
        "SELECT actor, subject, detail FROM audit_log WHERE action = %s ORDER BY id",
        action,
    )


async def test_a_plan_is_saved_and_read_back_and_every_version_is_kept(
    consoles: dict[str, Console], database_url: str
) -> None:
    """Each save is a new version with who and when; the old ones stay as they were written."""
    dario, sara = consoles["dario"], consoles["sara"]
    status, empty = await dario.get(PLAN)
    assert (status, empty) == (200, {"home_id": NORD, "current": None, "history": []})

    status, maria = await dario.post(
        f"/api/v1/homes/{NORD}/residents", {"full_name": "Maria Rossi", "address": "Via Roma 1"}
    )
    assert status == 200
    first = plan(resident_id=maria["resident_id"], based_on_version=0)
    before = datetime.now(UTC)
    status, saved = await put(dario, PLAN, first)
    assert status == 200, saved
    assert (saved["version"], saved["saved_by"], saved["home_id"]) == (1, "dario", NORD)
    for field in ("resident_id", "goals", "services", "responsible", "next_review", "notes"):
        assert saved[field] == first[field], field

    # The supervisor reviews it: another provider, a sooner review, another responsible.
    second = plan(
        services=[{"what": "Meals delivered", "provider": "Comune", "times": 5, "per": "week"}],
        responsible="elena",
        next_review=(rome_today() + timedelta(days=30)).isoformat(),
        notes="",
        based_on_version=1,
    )
    status, saved = await put(sara, PLAN, second)
    assert (status, saved["version"], saved["saved_by"]) == (200, 2, "sara")
    after = datetime.now(UTC)

    status, read = await dario.get(PLAN)
    assert status == 200
    assert read["current"] == read["history"][0]
    assert [(v["version"], v["saved_by"]) for v in read["history"]] == [(2, "sara"), (1, "dario")]
    newest, oldest = read["history"]
    assert (newest["responsible"], newest["resident_id"], newest["notes"]) == ("elena", None, "")
    assert newest["services"] == second["services"]
    assert (oldest["responsible"], oldest["resident_id"]) == ("dario", maria["resident_id"])
    assert oldest["services"] == first["services"]
    assert oldest["next_review"] == first["next_review"]
    times = [datetime.fromisoformat(v["saved_at"]) for v in reversed(read["history"])]
    assert before <= times[0] <= times[1] <= after
    stored = await rows(database_url, "SELECT version FROM care_plans ORDER BY version")
    assert stored == [(1,), (2,)]


async def test_a_change_made_from_an_old_version_is_refused_and_nothing_is_saved(
    consoles: dict[str, Console], database_url: str
) -> None:
    """Two workers edit the same plan: the second save, made from version 1, gets a 409."""
    dario, elena = consoles["dario"], consoles["elena"]
    assert (await put(dario, PLAN, plan(based_on_version=0)))[0] == 200
    assert (await put(elena, PLAN, plan(notes="Elena's", based_on_version=1)))[0] == 200
    status, refused = await put(dario, PLAN, plan(notes="Dario's", based_on_version=1))
    assert (status, refused["code"], refused["params"]) == (
        409,
        "care_plan.changed",
        {"version": "2"},
    )
    status, again = await put(dario, PLAN, plan(based_on_version=0))
    assert (status, again["params"]) == (409, {"version": "2"})
    # Without a version to start from, the change is saved over whatever is in force.
    status, saved = await put(dario, PLAN, plan(notes="Dario's"))
    assert (status, saved["version"]) == (200, 3)
    assert len(await audited(database_url, "care_plan.save")) == 3


async def test_saves_at_the_same_moment_get_distinct_versions_or_a_409(
    consoles: dict[str, Console],
) -> None:
    """Concurrent saves never share a version number and never answer 500."""
    workers = [consoles[name] for name in ("dario", "elena", "sara", "ada")]
    answers = await asyncio.gather(
        *(put(worker, PLAN, plan(notes=f"save {n}")) for n, worker in enumerate(workers))
    )
    assert {status for status, _ in answers} <= {200, 409}
    saved = sorted(body["version"] for status, body in answers if status == 200)
    assert saved == list(range(1, len(saved) + 1))
    status, read = await consoles["dario"].get(PLAN)
    assert (status, [v["version"] for v in read["history"]]) == (200, saved[::-1])


async def test_a_plan_is_seen_only_by_social_roles_of_its_district(
    consoles: dict[str, Console], database_url: str
) -> None:
    """Operators get 403; another district's home is 404 like a missing one, to read or save."""
    dario, carla, anna, ada = (consoles[n] for n in ("dario", "carla", "anna", "ada"))
    assert (await put(dario, PLAN, plan()))[0] == 200
    status, refused = await anna.get(PLAN)
    assert (status, refused["error"]) == (403, "a operator does not read care plans")
    status, refused = await put(anna, PLAN, plan())
    assert (status, refused["error"]) == (403, "a operator does not change care plans")
    assert (await anna.get(DUE))[0] == 403
    for path in (PLAN, "/api/v1/homes/casa-nessuna/care-plan"):
        status, hidden = await carla.get(path)
        assert (status, hidden["error"]) == (404, "no such home"), path
        status, hidden = await put(carla, path, plan(responsible="carla"))
        assert (status, hidden["error"]) == (404, "no such home"), path
    assert (await ada.get(PLAN))[0] == 200
    versions = await rows(database_url, "SELECT version, saved_by FROM care_plans")
    assert versions == [(1, "dario")]


async def test_what_the_schema_cannot_check_is_a_422_naming_the_field(
    consoles: dict[str, Console], database_url: str
) -> None:
    """A responsible who could not follow the plan, a resident of another home, bad fields.

    Every problem of the body in one 422, each naming its field; nothing saved.
    """
    dario = consoles["dario"]
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        elsewhere = await registry.save_resident(
            conn,
            SUD,
            None,
            full_name="Pia Neri",
            address="Via Sud 2",
            date_of_birth=None,
            language="it",
            medical_notes="",
            care_notes="",
            key_safe="",
        )
        await add_user(conn, "gone", PASSWORD, Role.SOCIAL_WORKER, ["ats-nord"])
        await set_active(conn, "gone", active=False, actor="ada")
    cases: list[tuple[dict[str, Any], dict[str, str]]] = [
        (plan(responsible="nobody"), {"responsible": "no active user of this name"}),
        (plan(responsible="gone"), {"responsible": "no active user of this name"}),
        (
            plan(responsible="anna"),
            {"responsible": "has the role operator: a social worker, supervisor or admin answers"},
        ),
        (plan(responsible="carla"), {"responsible": "does not serve this home's district"}),
        (
            plan(resident_id=str(elsewhere), responsible="carla"),
            {
                "resident_id": "not a resident of this home",
                "responsible": "does not serve this home's district",
            },
        ),
    ]
    for body, expected in cases:
        status, refused = await put(dario, PLAN, body)
        assert status == 422, body
        assert {f["field"]: f["message"] for f in refused["fields"]} == expected
    # An admin serves every district, and a supervisor may answer for a plan.
    for responsible in ("ada", "sara"):
        assert (await put(dario, PLAN, plan(responsible=responsible)))[0] == 200

    schema_cases = [
        (plan(goals=[]), "goals"),
        (plan(goals=["ok", " padded"]), "goals.1"),
        (plan(goals=["a\x00b"]), "goals.0"),
        (plan(goals=["x" * 1001]), "goals.0"),
        (plan(next_review="2026-02-30"), "next_review"),
        (plan(next_review=20260101), "next_review"),
        (plan(responsible=""), "responsible"),
        (plan(notes="a\x00b"), "notes"),
        (plan(based_on_version=-1), "based_on_version"),
        (plan(based_on_version="1"), "based_on_version"),
        (plan(resident_id="someone"), "resident_id"),
        (plan(unknown=True), "unknown"),
        ({k: v for k, v in plan().items() if k != "responsible"}, "responsible"),
    ]
    service = plan()["services"][0]
    for field, bad in [("times", 0), ("times", 2.5), ("times", "2"), ("per", "year"), ("what", "")]:
        schema_cases.append(
            (plan(services=[service, service | {field: bad}]), f"services.1.{field}")
        )
    for body, field in schema_cases:
        status, refused = await put(dario, PLAN, body)
        assert (status, [f["field"] for f in refused["fields"]]) == (422, [field]), body
    # 2.0 is an integer, as JSON Schema says; so the hub takes it.
    body = plan(services=[service | {"times": 2.0}], based_on_version=2.0)
    status, saved = await put(dario, PLAN, body)
    assert (status, saved["version"], saved["services"][0]["times"]) == (200, 3, 2)
    assert len(await rows(database_url, "SELECT 1 FROM care_plans")) == 3
    status, refused = await dario.get(f"{DUE}?within_days=367")
    assert (status, [f["field"] for f in refused["fields"]]) == (422, ["within_days"])


async def test_the_plans_due_for_review_are_listed_by_date_in_the_callers_districts(
    consoles: dict[str, Console], database_url: str
) -> None:
    """Due today or overdue by default; within N days when asked; the version in force only."""
    dario, elena, carla, ada = (consoles[n] for n in ("dario", "elena", "carla", "ada"))
    today = rome_today()
    status, maria = await dario.post(
        f"/api/v1/homes/{NORD}/residents", {"full_name": "Maria Rossi", "address": "Via Roma 1"}
    )
    assert status == 200
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await homes.register(conn, ["casa-nord-2", "casa-nord-3"], "ats-nord")

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    # casa-nord: overdue at first; reviewed below, its version in force is due in 20 days.
    assert (await put(dario, PLAN, plan(next_review=day(-3))))[0] == 200
    # casa-nord-2: due today, with elena answering for it.
    nord2 = "/api/v1/homes/casa-nord-2/care-plan"
    assert (await put(dario, nord2, plan(next_review=day(0), responsible="elena")))[0] == 200
    # casa-nord-3: overdue by ten days.
    nord3 = "/api/v1/homes/casa-nord-3/care-plan"
    assert (await put(dario, nord3, plan(next_review=day(-10))))[0] == 200
    # casa-ovest: elena's other district, due in 5 days; casa-sud: carla's, overdue.
    ovest = f"/api/v1/homes/{OVEST}/care-plan"
    assert (await put(elena, ovest, plan(next_review=day(5), responsible="elena")))[0] == 200
    sud = f"/api/v1/homes/{SUD}/care-plan"
    assert (await put(carla, sud, plan(next_review=day(-1), responsible="carla")))[0] == 200

    status, due = await dario.get(DUE)
    assert status == 200
    listed = [(p["home_id"], p["next_review"], p["responsible"]) for p in due["items"]]
    assert listed == [
        ("casa-nord-3", day(-10), "dario"),
        (NORD, day(-3), "dario"),
        ("casa-nord-2", day(0), "elena"),
    ]
    reviewed = plan(resident_id=maria["resident_id"], next_review=day(20))
    assert (await put(dario, PLAN, reviewed))[0] == 200
    status, due = await dario.get(DUE)
    assert [p["home_id"] for p in due["items"]] == ["casa-nord-3", "casa-nord-2"]

    status, due = await dario.get(f"{DUE}?within_days=20")
    (maria_plan,) = [p for p in due["items"] if p["home_id"] == NORD]
    assert maria_plan == {
        "home_id": NORD,
        "district": "ats-nord",
        "version": 2,
        "resident_id": maria["resident_id"],
        "resident_name": "Maria Rossi",
        "residents": ["Maria Rossi"],
        "responsible": "dario",
        "next_review": day(20),
    }
    assert [p["home_id"] for p in due["items"]] == ["casa-nord-3", "casa-nord-2", NORD]
    assert [p["home_id"] for p in (await dario.get(f"{DUE}?within_days=19"))[1]["items"]] == [
        "casa-nord-3",
        "casa-nord-2",
    ]
    status, due = await elena.get(f"{DUE}?within_days=5")
    assert [p["home_id"] for p in due["items"]] == ["casa-nord-3", "casa-nord-2", OVEST]
    assert [p["home_id"] for p in (await carla.get(DUE))[1]["items"]] == [SUD]
    status, due = await ada.get(DUE)
    assert [p["home_id"] for p in due["items"]] == ["casa-nord-3", SUD, "casa-nord-2"]

    (last,) = (await audited(database_url, "care_plans.due"))[-1:]
    assert last == (
        "ada",
        "care_plans",
        {"within_days": 0, "home_ids": ["casa-nord-3", SUD, "casa-nord-2"]},
    )


async def test_every_read_and_change_of_a_plan_is_audited(
    consoles: dict[str, Console], database_url: str
) -> None:
    """Who read which home's plan and who saved which version, in the audit log."""
    dario, sara = consoles["dario"], consoles["sara"]
    assert (await put(dario, PLAN, plan()))[0] == 200
    assert (await sara.get(PLAN))[0] == 200
    assert (await put(sara, PLAN, plan(responsible="sara")))[0] == 200
    assert (await dario.get(PLAN))[0] == 200
    assert await audited(database_url, "care_plan.save") == [
        ("dario", f"home:{NORD}", {"version": 1, "responsible": "dario"}),
        ("sara", f"home:{NORD}", {"version": 2, "responsible": "sara"}),
    ]
    assert await audited(database_url, "care_plan.read") == [
        ("sara", f"home:{NORD}", {"versions": 1}),
        ("dario", f"home:{NORD}", {"versions": 2}),
    ]
    # Refused calls read nothing and change nothing, so they leave no row.
    assert (await consoles["anna"].get(PLAN))[0] == 403
    assert (await consoles["carla"].get(PLAN))[0] == 404
    assert len(await audited(database_url, "care_plan.read")) == 2
