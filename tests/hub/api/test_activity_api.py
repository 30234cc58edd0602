"""The person's page through the API: days in numbers, usual bands, heatmap, alarms, calls."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import psycopg
import pytest
from consoles import PASSWORD, Console
from queries import rows

from hub.auth.users import Role, add_user
from hub.indicators.daily import DailyIndicators
from hub.storage import homes, indicators, migrate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

ROME = ZoneInfo("Europe/Rome")
LAST = date(2026, 11, 30)
AWAY = {LAST - timedelta(days=n) for n in range(40, 47)}
"""A week at a relative's, six weeks before the last day."""


def a_day(day: date) -> DailyIndicators:
    """A steady person: up at 7:00 give or take, 14 active hours, out every other day."""
    if day in AWAY:
        return DailyIndicators(day, 0.0, None, None, 0, 0, None, None, None, 0, 0)
    wobble = day.toordinal() % 5
    return DailyIndicators(
        day,
        active_hours=14.0 + wobble / 4,
        rise_min=420 + wobble * 5,
        last_activity_min=1320,
        out_minutes=90 if day.toordinal() % 2 else 0,
        outings=day.toordinal() % 2,
        night_bathroom_visits=1,
        night_out_of_bed_minutes=6,
        kitchen_visits=3,
        check_ins=1,
        events=120,
        room_hours={"kitchen": [0] * 7 + [4] + [0] * 16},
        alarms={"panic_button": 1} if day == LAST - timedelta(days=3) else {},
    )


@pytest.fixture
async def consoles(hub: RunningHub, database_url: str) -> AsyncIterator[dict[str, Console]]:
    """A year and a half of kept days for casa-nord, a home in another district, three users."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["casa-nord"], "ats-nord")
        await homes.register(conn, ["casa-sud"], "ats-sud")
        kept = [("casa-nord", a_day(LAST - timedelta(days=n))) for n in range(500)]
        await indicators.save(conn, "Europe/Rome", kept)
        raised = datetime.combine(LAST - timedelta(days=3), time(10), ROME)
        await conn.execute(
            "INSERT INTO alarms (alarm_id, home_id, kind, priority, state, reason_key,"
            " raised_at, last_trigger_at, closed_at, outcome)"
            " VALUES (%s, 'casa-nord', 'panic_button', 1, 'resolved', 'k', %s, %s, %s,"
            " 'relative')",
            (uuid.uuid4(), raised, raised, raised + timedelta(minutes=20)),
        )
        for name, role in [("dario", Role.SOCIAL_WORKER), ("anna", Role.OPERATOR)]:
            await add_user(conn, name, PASSWORD, role, ["ats-nord"])
        await add_user(conn, "sara", PASSWORD, Role.SUPERVISOR, ["ats-sud"])
    made = {name: Console(hub.url) for name in ("dario", "anna", "sara")}
    for name, console in made.items():
        assert await console.login(name) == 200
    yield made
    for console in made.values():
        await console.close()


PAGE = f"/api/v1/homes/casa-nord/activity?until={LAST.isoformat()}"


async def test_twelve_weeks_of_days_with_the_usual_band_heatmap_and_alarms(
    consoles: dict[str, Console], database_url: str
) -> None:
    """The default range: 84 days, each with its band from the 8 weeks before, and the alarm."""
    status, page = await consoles["dario"].get(PAGE)
    assert status == 200
    assert (page["first"], page["last"], page["range"]) == (
        (LAST - timedelta(days=83)).isoformat(),
        LAST.isoformat(),
        "12w",
    )
    assert len(page["days"]) == 84
    away = [d for d in page["days"] if not d["present"]]
    assert {d["day"] for d in away} == {d.isoformat() for d in AWAY}
    assert all(d["active_hours"] is None for d in away)
    rise = next(u for u in page["usual"] if u["indicator"] == "rise_min")
    assert rise["unit"] == "time_of_day"
    assert 420 <= rise["low"][-1] <= rise["median"][-1] <= rise["high"][-1] <= 440
    assert page["heatmap"]["rooms"] == [
        "bedroom",
        "bathroom",
        "kitchen",
        "living",
        "entrance",
        "other",
    ]
    kitchen = page["heatmap"]["counts"][2]
    assert len(kitchen) == 84
    assert kitchen[-1][7] == 4
    assert [a["kind"] for a in page["alarms"]] == ["panic_button"]
    assert page["days"][-4]["alarms"] == {"panic_button": 1}
    (audited,) = await rows(
        database_url,
        "SELECT actor, subject, detail FROM audit_log WHERE action = 'person.activity.read'",
    )
    assert audited[:2] == ("dario", "home:casa-nord")
    assert audited[2]["range"] == "12w"


async def test_four_weeks_and_a_year(consoles: dict[str, Console]) -> None:
    """The shorter and the longer range, each with a band on every day."""
    dario = consoles["dario"]
    for asked, count in [("4w", 28), ("1y", 365)]:
        status, page = await dario.get(f"{PAGE}&range={asked}")
        assert (status, len(page["days"]), len(page["heatmap"]["counts"][0])) == (
            200,
            count,
            count,
        )
        active = next(u for u in page["usual"] if u["indicator"] == "active_hours")
        assert len(active["median"]) == count
        assert all(m is not None for m in active["median"])


async def test_only_social_roles_of_the_district_see_the_page(
    consoles: dict[str, Console],
) -> None:
    """An operator is refused; another district's supervisor is told there is no such home."""
    assert (await consoles["anna"].get(PAGE))[0] == 403
    assert (await consoles["sara"].get(PAGE))[0] == 404
    assert (await consoles["dario"].get("/api/v1/homes/casa-sud/activity"))[0] == 404
    status, body = await consoles["dario"].get(f"{PAGE}&range=2w")
    assert (status, [f["field"] for f in body["fields"]]) == (422, ["range"])
