"""The review list through the API of a running hub, filled by the nightly review step.

Real PostgreSQL: the days in numbers are kept as the indicators' nightly run keeps them, the
review step reads them back and writes the list, and the social workers read and mark it
through the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from consoles import PASSWORD, Console
from queries import rows

from hub.auth.users import Role, add_user
from hub.indicators.daily import DailyIndicators
from hub.review.nightly import review_homes
from hub.storage import homes, indicators, migrate, registry

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

FIRST = date(2026, 4, 1)
"""The first kept day; the change starts 56 days later."""
CHANGE_FROM = FIRST + timedelta(days=56)
NORD, SUD = "casa-nord", "casa-sud"
USERS = [
    ("anna", Role.OPERATOR, "ats-nord"),
    ("dario", Role.SOCIAL_WORKER, "ats-nord"),
    ("sara", Role.SUPERVISOR, "ats-nord"),
    ("carla", Role.SOCIAL_WORKER, "ats-sud"),
]


@pytest.fixture
async def consoles(hub: RunningHub, database_url: str) -> AsyncIterator[dict[str, Console]]:
    """A home in each of two districts, with a resident; a signed-in console for each user."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, [NORD], "ats-nord")
        await homes.register(conn, [SUD], "ats-sud")
        await registry.save_resident(
            conn, NORD, None, full_name="Maria Rossi", address="Via Roma 1", date_of_birth=None,
            language="it", medical_notes="", care_notes="", key_safe="",
        )  # fmt: skip
        for name, role, district in USERS:
            await add_user(conn, name, PASSWORD, role, [district])
    made = {name: Console(hub.url) for name, _, _ in USERS}
    for name, console in made.items():
        assert await console.login(name) == 200
    yield made
    for console in made.values():
        await console.close()


def a_day(day: date, bathroom: int) -> DailyIndicators:
    """An ordinary day at home, with ``bathroom`` visits the night before."""
    wobble = day.toordinal() % 3  # a little different each day
    return DailyIndicators(
        day=day,
        active_hours=13.0 + wobble / 4,
        rise_min=420 + 5 * wobble,
        last_activity_min=1320,
        out_minutes=90,
        outings=1,
        night_bathroom_visits=bathroom,
        night_out_of_bed_minutes=6 * bathroom,
        kitchen_visits=3,
        check_ins=0,
        events=100,
    )


async def keep(database_url: str, home_ids: list[str], days: list[tuple[date, int]]) -> None:
    """Keep days in numbers for the homes, as the indicators' nightly run does."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await indicators.save(
            conn, "Europe/Rome", [(h, a_day(day, n)) for h in home_ids for day, n in days]
        )


async def night(database_url: str, day: date) -> dict[str, int]:
    """The nightly review of ``day`` for both homes; what it did."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        run = await review_homes(conn, day, [NORD, SUD], datetime.now(UTC))
    return {"opened": run.opened, "updated": run.updated, "going_on": run.going_on}


def usual_then(bathroom: int, until: date) -> list[tuple[date, int]]:
    """One bathroom visit a night (two on some) until the change, ``bathroom`` after it."""
    count = (until - FIRST).days + 1
    days = [FIRST + timedelta(days=n) for n in range(count)]
    return [(d, bathroom if d >= CHANGE_FROM else 1 + (d.toordinal() % 4 == 0)) for d in days]


async def first_listed(database_url: str, day: date) -> date:
    """The day Maria is first listed, reviewing each night of her change up to ``day``.

    On the nights after it her entry is updated, not opened again.
    """
    await keep(database_url, [NORD], usual_then(3, day))
    nothing = {"opened": 0, "updated": 0, "going_on": 0}
    assert await night(database_url, CHANGE_FROM - timedelta(days=1)) == nothing
    count = (day - CHANGE_FROM).days + 1
    nights = [await night(database_url, CHANGE_FROM + timedelta(days=n)) for n in range(count)]
    first = next(n for n, done in enumerate(nights) if done["opened"])
    assert nights[:first] == [nothing] * first
    assert nights[first + 1 :] == [{"opened": 0, "updated": 1, "going_on": 0}] * (count - 1 - first)
    return CHANGE_FROM + timedelta(days=first)


async def listed_again(database_url: str, dario: Console, day: date) -> dict[str, Any]:
    """Maria's entry when she is listed again, at four bathroom visits a night after ``day``.

    Each night before, the seen change goes on and the list stays empty.
    """
    while True:
        day += timedelta(days=1)
        await keep(database_url, [NORD], [(day, 4)])
        done = await night(database_url, day)
        listed = (await dario.get("/api/v1/review"))[1]["items"]
        if done["opened"]:
            (back,) = listed
            return dict(back)
        assert (done, listed) == ({"opened": 0, "updated": 0, "going_on": 1}, [])


async def put(console: Console, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """PUT with the console's CSRF token."""
    headers = {"X-CSRF-Token": console.csrf}
    async with console.http.put(f"{console.base}{path}", json=body, headers=headers) as r:
        return r.status, await r.json()


async def test_a_change_is_listed_seen_and_comes_back_only_when_it_grows(
    consoles: dict[str, Console], database_url: str
) -> None:
    """A change is listed once, marked seen, and listed again only when it has grown.

    Three bathroom visits a night for a fortnight lists Maria; found again it is updated, not
    listed twice; marked seen it leaves the list and stays off while the change stays the
    same; it comes back as a new entry once the change has grown by half as much again.
    """
    dario, sara, carla = consoles["dario"], consoles["sara"], consoles["carla"]
    day = CHANGE_FROM + timedelta(days=13)
    opened_on = await first_listed(database_url, day)
    status, listed = await dario.get("/api/v1/review")
    assert status == 200
    (entry,) = listed["items"]
    assert (entry["home_id"], entry["district"], entry["resident_name"]) == (
        NORD,
        "ats-nord",
        "Maria Rossi",
    )
    assert (entry["indicator"], entry["direction"], entry["state"]) == (
        "night_bathroom_visits",
        "up",
        "open",
    )
    assert entry["reason_key"] == "review.night_bathroom_visits.up"
    assert entry["reason_params"] == {"recent": "3.0", "usual": "1.2", "days": "14"}
    assert (entry["opened_on"], entry["last_found_on"]) == (opened_on.isoformat(), day.isoformat())
    assert (entry["recent"], round(entry["usual"], 3), entry["days"]) == (3.0, 1.196, 14)

    day += timedelta(days=1)
    await keep(database_url, [NORD], [(day, 3)])
    assert (await night(database_url, day))["updated"] == 1
    (again,) = (await dario.get("/api/v1/review"))[1]["items"]
    assert (again["entry_id"], again["last_found_on"]) == (entry["entry_id"], day.isoformat())

    seen = f"/api/v1/review/{entry['entry_id']}/seen"
    assert (await carla.post(seen, {"outcome": "home_visit"}))[0] == 404
    status, problem = await dario.post(seen, {"outcome": "dinner"})
    assert (status, problem["fields"][0]["field"]) == (422, "outcome")
    status, marked = await dario.post(
        seen, {"outcome": "home_visit", "note": "Visit on Thursday with the GP's nurse"}
    )
    assert status == 200
    assert (marked["state"], marked["outcome"], marked["seen_by"], marked["note"]) == (
        "seen",
        "home_visit",
        "dario",
        "Visit on Thursday with the GP's nurse",
    )
    status, refused = await sara.post(seen, {"outcome": "nothing_to_do"})
    assert (status, refused["code"]) == (409, "review.already_seen")
    assert refused["params"] == {"user": "dario"}
    assert (await dario.get("/api/v1/review"))[1]["items"] == []

    # The same change goes on: not listed again. Four a night from tomorrow: the fortnight's
    # value grows, and once it is half as much again past the usual as when seen (3.0 from
    # 1.196: back at 3.902 or more) Maria is listed again, as a new entry.
    day += timedelta(days=1)
    await keep(database_url, [NORD], [(day, 3)])
    assert await night(database_url, day) == {"opened": 0, "updated": 0, "going_on": 1}
    back = await listed_again(database_url, dario, day)
    assert back["entry_id"] != entry["entry_id"]
    assert back["recent"] >= 3.902
    status, history = await dario.get(f"/api/v1/homes/{NORD}/review")
    assert status == 200
    assert [(e["state"], e["outcome"]) for e in history["items"]] == [
        ("open", None),
        ("seen", "home_visit"),
    ]
    assert (await carla.get(f"/api/v1/homes/{NORD}/review"))[0] == 404

    audited = await rows(
        database_url, "SELECT actor, action, subject FROM audit_log WHERE action LIKE %s", "review%"
    )
    assert ("dario", "review.seen", f"review:{entry['entry_id']}") in audited
    assert ("dario", "review.home", f"home:{NORD}") in audited
    assert ("dario", "review.list", "review") in audited


async def test_it_is_not_an_alarm_and_operators_do_not_see_it(
    consoles: dict[str, Console], database_url: str
) -> None:
    """The review list is not an alarm, and only the district's social side sees it.

    A listed person raises no alarm and tells no stream; operators get 403 on every route,
    another district's social worker a 404 or an empty list.
    """
    anna, carla, dario = consoles["anna"], consoles["carla"], consoles["dario"]
    day = CHANGE_FROM + timedelta(days=13)
    await keep(database_url, [NORD], usual_then(3, day))
    assert (await night(database_url, day))["opened"] == 1
    assert await rows(database_url, "SELECT count(*) FROM alarms") == [(0,)]
    triggers = await rows(
        database_url,
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'review_entries'::regclass"
        " AND NOT tgisinternal",
    )
    assert triggers == []
    entry_id = (await dario.get("/api/v1/review"))[1]["items"][0]["entry_id"]
    for path in (
        "/api/v1/review",
        f"/api/v1/homes/{NORD}/review",
        "/api/v1/districts/ats-nord/review-settings",
    ):
        status, refused = await anna.get(path)
        assert status == 403
        assert refused["error"] == "a operator does not read or keep the review list"
    assert (await anna.post(f"/api/v1/review/{entry_id}/seen", {"outcome": "home_visit"}))[0] == 403
    assert (await put(anna, "/api/v1/districts/ats-nord/review-settings", {}))[0] == 403
    assert (await carla.get("/api/v1/review")) == (200, {"items": []})
    assert (await carla.get(f"/api/v1/homes/{NORD}/review"))[0] == 404
    assert (await carla.get("/api/v1/districts/ats-nord/review-settings"))[0] == 404
    missing = "/api/v1/review/00000000-0000-4000-8000-000000000000/seen"
    assert (await dario.post(missing, {"outcome": "home_visit"}))[0] == 404


async def test_thresholds_are_each_districts_own(
    consoles: dict[str, Console], database_url: str
) -> None:
    """Each district's thresholds apply to its own homes.

    The same change lists a person in a district with the defaults and not in one that
    watches only for a tripling; social workers read their district's settings, supervisors
    change them.
    """
    dario, sara, carla = consoles["dario"], consoles["sara"], consoles["carla"]
    status, settings = await dario.get("/api/v1/districts/ats-nord/review-settings")
    assert status == 200
    assert (settings["district"], settings["updated_by"]) == ("ats-nord", None)
    assert settings["settings"]["night_bathroom_visits"] == {
        "enabled": True,
        "ratio": 2.0,
        "at_least": 1.0,
    }
    assert settings["settings"]["active_hours"]["share"] == 0.25
    tripled = {**settings["settings"], "night_bathroom_visits": {"ratio": 3.0, "at_least": 1.0}}
    path = "/api/v1/districts/ats-sud/review-settings"
    assert (await put(dario, "/api/v1/districts/ats-nord/review-settings", tripled))[0] == 403
    assert (await put(sara, path, tripled))[0] == 404  # not her district
    status, problem = await put(sara, "/api/v1/districts/ats-nord/review-settings", {"x": 1})
    assert (status, problem["fields"][0]["field"]) == (422, "x")
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await add_user(conn, "ugo", PASSWORD, Role.SUPERVISOR, ["ats-sud"])
    ugo = Console(dario.base)
    try:
        assert await ugo.login("ugo") == 200
        status, saved = await put(ugo, path, tripled)
    finally:
        await ugo.close()
    assert (status, saved["updated_by"]) == (200, "ugo")
    assert saved["settings"]["night_bathroom_visits"]["ratio"] == 3.0
    assert (await carla.get(path))[1]["settings"] == saved["settings"]

    day = CHANGE_FROM + timedelta(days=13)
    await keep(database_url, [NORD, SUD], usual_then(3, day))
    assert (await night(database_url, day))["opened"] == 1
    assert [e["home_id"] for e in (await dario.get("/api/v1/review"))[1]["items"]] == [NORD]
    assert (await carla.get("/api/v1/review"))[1]["items"] == []
    audited = await rows(
        database_url,
        "SELECT actor, subject FROM audit_log WHERE action = %s",
        "review_settings.replace",
    )
    assert audited == [("ugo", "district:ats-sud")]
