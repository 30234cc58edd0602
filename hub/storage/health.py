"""Whether the database answers, for the hub's readiness check."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psycopg import AsyncConnection


async def ping(conn: AsyncConnection[object]) -> None:
    """Run the cheapest statement there is.

    Raises:
        psycopg.Error: the database did not answer.
    """
    await conn.execute("SELECT 1")
