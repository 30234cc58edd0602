"""The register of homes: the hub takes messages only from registered homes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from psycopg import AsyncConnection


async def register(conn: AsyncConnection[object], home_ids: Iterable[str], district: str) -> int:
    """Register homes in ``district``; already registered ones are left as they are.

    Returns how many were new.
    """
    async with conn.transaction():
        cursor = await conn.execute(
            "INSERT INTO homes (home_id, district) SELECT unnest(%s::text[]), %s"
            " ON CONFLICT (home_id) DO NOTHING",
            (list(home_ids), district),
        )
    return cursor.rowcount


async def registered(
    conn: AsyncConnection[object], home_ids: Iterable[str] | None = None
) -> set[str]:
    """Which of ``home_ids`` are registered (all registered homes when None)."""
    if home_ids is None:
        cursor = await conn.execute("SELECT home_id FROM homes")
    else:
        cursor = await conn.execute(
            "SELECT home_id FROM homes WHERE home_id = ANY(%s)", (list(home_ids),)
        )
    return {str(row[0]) for row in await cursor.fetchall()}  # type: ignore[index]


async def count_not_matching(conn: AsyncConnection[object], pattern: str) -> int:
    """How many registered homes have an id the regular expression ``pattern`` does not match."""
    cursor = await conn.execute("SELECT count(*) FROM homes WHERE home_id !~ %s", (pattern,))
    return int((await cursor.fetchone() or (0,))[0])  # type: ignore[index]


async def registered_since(
    conn: AsyncConnection[object], home_ids: Sequence[str], since: datetime
) -> None:
    """Record ``home_ids`` and their residents as served from ``since``.

    For a register brought over from another system, or a demo whose history begins before
    it was set up.
    """
    await conn.execute(
        "UPDATE homes SET created_at = %s WHERE home_id = ANY(%s)", (since, list(home_ids))
    )
    await conn.execute(
        "UPDATE residents SET joined_at = %s WHERE home_id = ANY(%s)", (since, list(home_ids))
    )
