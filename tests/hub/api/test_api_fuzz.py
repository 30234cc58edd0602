"""The API does what its document says: a bounded schemathesis run over every route.

Schemathesis reads the hub's own OpenAPI document, makes requests from it (valid ones, and
ones the document says are invalid) and checks each answer: never a 5xx, only the statuses
and content types the document lists, bodies valid against its schemas, invalid requests
refused. The route table builds both the routes and the document, so this keeps them honest.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from hub.auth.users import Role, add_user, create_token
from hub.storage import homes, migrate

if TYPE_CHECKING:
    from fix_hub import RunningHub
    from hypothesis.strategies import SearchStrategy

RULES_BEYOND_SCHEMA = {
    "PUT /api/v1/homes/{home_id}/rules",
    "PUT /api/v1/homes/{home_id}/call_schedule",
    "PUT /api/v1/homes/{home_id}/care-plan",
}
"""Bodies with rules JSON Schema cannot write, between fields (a cold limit below the hot one)
or against stored data (a resident of this home): a schema-valid body may still be a 422
naming the field, so only there is the check that valid data is accepted left out."""

EXAMPLES = 25
"""Requests per route and mode: enough to find a missing status or a 500, bounded for CI."""


async def _admin_token(database_url: str) -> str:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["casa-nord"], "ats-nord")
        await add_user(conn, "ada", "a long enough password", Role.ADMIN, [])
        return await create_token(conn, "ada", "fuzzing")


def _fuzz(url: str, token: str) -> list[str]:
    """Run every operation of the document; the failures, one entry each."""
    document = requests.get(f"{url}/api/v1/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    client = _Client(url, requests.Session(), {"Authorization": f"Bearer {token}"})
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr] # an invalid document raises here
        if operation.path == "/api/v1/stream":
            continue  # a WebSocket, which HTTP requests cannot open: tests/operator_console use it
        # ignored_auth: the document offers a session cookie or a token; with a good token, a
        # spoiled cookie beside it is rightly ignored (signing in has its own tests).
        excluded = [ignored_auth]
        if operation.label in RULES_BEYOND_SCHEMA:
            excluded.append(positive_data_acceptance)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                client.run(operation.as_strategy(generation_mode=mode), excluded)
            except Unsatisfiable:
                continue  # nothing of this route can be sent wrong (no parameters, no body)
            except (AssertionError, BaseExceptionGroup) as err:
                failures.append(f"{operation.label} ({mode.value}): {str(err).strip()[:1500]}")
    return failures


@dataclass(frozen=True)
class _Client:
    url: str
    session: requests.Session
    headers: dict[str, str]

    def run(self, strategy: SearchStrategy[Any], excluded: list[Any]) -> None:
        """Send the strategy's requests and check every answer; raise on the first failure."""

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(
                base_url=self.url,
                session=self.session,
                headers=self.headers,
                excluded_checks=excluded,
            )

        check()


@pytest.mark.usefixtures("hub")
async def test_every_route_answers_as_its_document_says(hub: RunningHub, database_url: str) -> None:
    """No 5xx, no status or body the document does not list, on any route, with a token."""
    token = await _admin_token(database_url)
    failures = await asyncio.to_thread(_fuzz, hub.url, token)
    assert failures == [], "\n\n".join(failures)
