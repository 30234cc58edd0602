"""The hub's vocabulary: its enumerations as a console reads them, and as the hub checks them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, get_args

import aiohttp
import psycopg
import pytest
from consoles import PASSWORD, Console
from fix_hub import register_homes

from hub.alarms.lifecycle import AlarmState
from hub.alarms.rules import PRIORITY_LEVELS
from hub.alarms.wellbeing_calls import CallOutcome, CallState
from hub.api.models import CallOut, CallOutcomeRequest, CareServiceIn, Outcome, ResponderResult
from hub.api.review_models import ReviewOutcome
from hub.auth.users import Role, add_user, create_token
from hub.reports.figures import Table
from protocol import EventKind, Room, TriggerEvent

if TYPE_CHECKING:
    from enum import StrEnum

    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

PATH = "/api/v1/vocabulary"


def values(enum: type[StrEnum]) -> list[str]:
    """An enumeration's values, in its order."""
    return [member.value for member in enum]


async def test_every_signed_in_user_reads_the_hubs_own_enumerations(
    hub: RunningHub, database_url: str
) -> None:
    """The answer is the enumerations the hub works with, value for value and in their order.

    A social worker (who acts on nothing) and an API token read it too; nobody else does.
    """
    await register_homes(database_url, "casa-1")
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await add_user(conn, "dario", PASSWORD, Role.SOCIAL_WORKER, ["ats-test"])
        token = await create_token(conn, "dario", "test vocabulary")
    dario = Console(hub.url)
    try:
        assert await dario.login("dario") == 200
        status, vocabulary = await dario.get(PATH)
    finally:
        await dario.close()
    assert status == 200
    assert vocabulary == {
        "alarm_states": values(AlarmState),
        "open_alarm_states": [state.value for state in AlarmState if state.is_open],
        "priorities": list(PRIORITY_LEVELS),
        "resolve_outcomes": values(Outcome),
        "responder_results": values(ResponderResult),
        "call_states": values(CallState),
        "call_outcomes": values(CallOutcome),
        "roles": values(Role),
        "trigger_kinds": [
            kind.value for kind in get_args(TriggerEvent.model_fields["kind"].annotation)
        ],
        "rooms": values(Room),
        "review_outcomes": values(ReviewOutcome),
        "care_service_periods": list(get_args(CareServiceIn.model_fields["per"].annotation)),
        "report_tables": values(Table),
    }
    assert set(vocabulary["trigger_kinds"]) <= set(values(EventKind))

    async with aiohttp.ClientSession() as http:
        bearer = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{hub.url}{PATH}", headers=bearer) as r:
            assert (r.status, await r.json()) == (200, vocabulary)
        async with http.get(f"{hub.url}{PATH}") as r:
            assert (r.status, (await r.json())["error"]) == (401, "sign in first")
        async with http.get(f"{hub.url}/api/v1/openapi.json") as r:
            operation = (await r.json())["paths"][PATH]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Vocabulary"}


async def test_what_the_vocabulary_offers_is_what_the_hub_accepts(database_url: str) -> None:
    """Every value a console is offered passes the hub's checks, and nothing else does.

    The database allows exactly the priorities and alarm states listed; the call routes'
    bodies, typed apart from the enumerations, hold the same values as them.
    """
    await register_homes(database_url, "casa-1")
    now = datetime.now(UTC)
    accepted: dict[str, list[object]] = {"priority": [], "state": []}
    tried: dict[str, list[object]] = {
        "priority": [min(PRIORITY_LEVELS) - 1, *PRIORITY_LEVELS, max(PRIORITY_LEVELS) + 1],
        "state": [*values(AlarmState), "waiting"],
    }
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        for column, candidates in tried.items():
            for value in candidates:
                alarm = {"priority": 1, "state": "raised", column: value}
                try:
                    async with conn.transaction(force_rollback=True):
                        await conn.execute(
                            "INSERT INTO alarms (alarm_id, home_id, kind, priority, state,"
                            " reason_key, reason_params, raised_at, last_trigger_at)"
                            " VALUES (%s, 'casa-1', 'fall', %s, %s, 'alarm.fall', '{}', %s, %s)",
                            (uuid.uuid4(), alarm["priority"], alarm["state"], now, now),
                        )
                except psycopg.errors.CheckViolation:
                    continue
                accepted[column].append(value)
    assert accepted == {"priority": list(PRIORITY_LEVELS), "state": values(AlarmState)}
    assert list(get_args(CallOutcomeRequest.model_fields["outcome"].annotation)) == values(
        CallOutcome
    )
    assert list(get_args(CallOut.model_fields["state"].annotation)) == values(CallState)
