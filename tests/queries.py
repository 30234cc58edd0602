"""Reading the hub's database from tests, and waiting for what it should come to hold."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

WAIT_S = 60


async def rows(database_url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    """Run a query on the hub's database."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cursor = await conn.execute(query, params)
        return await cursor.fetchall()


async def until_rows(
    database_url: str,
    query: str,
    done: Callable[[list[tuple[Any, ...]]], bool] = bool,
    *params: object,
    timeout_s: float = WAIT_S,
) -> list[tuple[Any, ...]]:
    """Run ``query`` until ``done(rows)`` (by default: until it returns rows).

    PostgreSQL has no event to wait on, so this polls.
    """
    async with asyncio.timeout(timeout_s):
        while not done(found := await rows(database_url, query, *params)):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return found


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = WAIT_S
) -> None:
    """Wait until ``check`` holds, failing the test with ``what`` after ``timeout_s``."""
    try:
        async with asyncio.timeout(timeout_s):
            while not await check():  # noqa: ASYNC110 - polling state that has no event
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")
