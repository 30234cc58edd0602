"""Supervisors' figures and the consoles' call settings, through a running hub."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg
import pytest
from consoles import PASSWORD, Console
from fix_hub import register_homes

from hub.auth.users import Role, add_user

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only


def noon_zone(now: datetime) -> str:
    """A time zone where it is about noon: "today" holds the last hours whenever it runs."""
    offset = (12 - now.hour + 12) % 24 - 12  # UTC+offset, -12..+11
    return f"Etc/GMT{-offset:+d}"  # the Etc zones' signs are the other way round


async def test_a_supervisor_sees_the_queue_who_holds_what_and_todays_answer_times(
    start_hub: Callable[..., Awaitable[RunningHub]], database_url: str
) -> None:
    """Four alarms today: answered in 20 s, in 2 min, waiting for 5 min, and cancelled.

    The one the resident cancelled before anyone answered is left out: 1 of 3 within 60 s,
    2 of 3 within 180 s. An operator is refused the figures.
    """
    now = datetime.now(UTC)
    hub = await start_hub(centre_time_zone=noon_zone(now))
    await register_homes(database_url, "casa-1", "casa-2", "casa-3", "casa-4")
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await add_user(conn, "sara", PASSWORD, Role.SUPERVISOR, ["ats-test"])
        await add_user(conn, "anna", PASSWORD, Role.OPERATOR, ["ats-test"])
        await add_user(conn, "other", PASSWORD, Role.OPERATOR, ["ats-elsewhere"])
        await add_user(conn, "multi", PASSWORD, Role.OPERATOR, ["ats-test", "ats-elsewhere"])
        await conn.execute(
            "INSERT INTO homes (home_id, district) VALUES ('casa-fuori', 'ats-elsewhere')"
        )
        await conn.execute(
            "INSERT INTO alarms (alarm_id, home_id, kind, priority, state, reason_key,"
            " reason_params, raised_at, last_trigger_at, claimed_by, claimed_at)"
            " VALUES (%s, 'casa-fuori', 'fall', 1, 'claimed', 'alarm.fall', '{}', %s, %s,"
            " 'multi', %s)",
            (uuid.uuid4(), now, now, now),
        )
        quick, slow = uuid.uuid4(), uuid.uuid4()
        for alarm_id, home, state, raised, claimed in [
            (quick, "casa-1", "claimed", now - timedelta(minutes=10), timedelta(seconds=20)),
            (slow, "casa-2", "in_progress", now - timedelta(minutes=9), timedelta(minutes=2)),
            (uuid.uuid4(), "casa-3", "raised", now - timedelta(minutes=5), None),
            (uuid.uuid4(), "casa-4", "cancelled", now - timedelta(minutes=4), None),
        ]:
            await conn.execute(
                "INSERT INTO alarms (alarm_id, home_id, kind, priority, state, reason_key,"
                " reason_params, raised_at, last_trigger_at, claimed_by, claimed_at)"
                " VALUES (%s, %s, 'panic_button', 1, %s, 'alarm.panic_button', '{}', %s, %s,"
                " %s, %s)",
                (
                    alarm_id,
                    home,
                    state,
                    raised,
                    raised,
                    "anna" if claimed else None,
                    raised + claimed if claimed else None,
                ),
            )
    sara, anna = Console(hub.url), Console(hub.url)
    try:
        assert await sara.login("sara") == 200
        assert await anna.login("anna") == 200
        assert (await anna.get("/api/v1/stats/today"))[0] == 403
        status, figures = await sara.get("/api/v1/stats/today")
        assert status == 200
        assert figures["queue"] == {"raised": 1, "claimed": 1, "in_progress": 1, "calls_due": 0}
        people = {p["username"]: p for p in figures["operators"]}
        assert set(people) == {"anna", "multi", "sara"}
        assert people["multi"]["alarms"] == []  # what multi holds elsewhere is not shown
        assert people["anna"]["signed_in"] is True
        assert sorted(people["anna"]["alarms"]) == sorted([str(quick), str(slow)])
        answered = figures["answered"]
        assert (answered["alarms"], answered["within_60s"]) == (3, 1)
        assert (answered["judged_180s"], answered["within_180s"]) == (3, 2)
        assert answered["share_60s"] == pytest.approx(1 / 3)
        assert (answered["goal_60s"], answered["goal_180s"]) == (0.975, 0.99)
    finally:
        await sara.close()
        await anna.close()


async def test_consoles_get_the_configured_ice_servers(
    start_hub: Callable[..., Awaitable[RunningHub]], database_url: str
) -> None:
    """The TURN server set for the hub is what a signed-in console is told to use."""
    turn = {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}
    hub = await start_hub(ice_servers=[turn])
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await add_user(conn, "anna", PASSWORD, Role.OPERATOR, ["ats-test"])
    anna = Console(hub.url)
    try:
        assert (await anna.get("/api/v1/webrtc"))[0] == 401
        assert await anna.login("anna") == 200
        assert await anna.get("/api/v1/webrtc") == (200, {"ice_servers": [turn]})
    finally:
        await anna.close()
