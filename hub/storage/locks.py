"""Advisory locks: how hubs sharing a database take turns at work only one should do at once."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from psycopg import AsyncConnection


@asynccontextmanager
async def advisory_lock(
    conn: AsyncConnection[object], key: int, *, lock_timeout: str
) -> AsyncIterator[None]:
    """Hold the session advisory lock ``key``, waiting for it as long as it takes, for the block.

    Inside, a statement waits at most ``lock_timeout`` (a PostgreSQL interval such as ``2s``)
    for any table lock. Use on a connection in autocommit mode: the lock is the session's.
    """
    await conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    # SET takes no bind parameters: the timeout is written in as a literal.
    await conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(lock_timeout)))
    try:
        yield
    finally:
        await conn.execute("RESET lock_timeout")
        await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
