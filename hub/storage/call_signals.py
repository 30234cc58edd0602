"""Call signalling passed between hub replicas through the ``call_signals`` table.

A row's insert is announced with NOTIFY (a trigger of migration 0012), so the replica holding
the call's console hears of it and takes the row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uuid

    from psycopg import AsyncConnection


async def put(conn: AsyncConnection[Any], call_id: uuid.UUID, payload: str) -> None:
    """Store a home's message for ``call_id`` (its ``up/call`` payload) for another replica."""
    await conn.execute(
        "INSERT INTO call_signals (call_id, payload) VALUES (%s, %s)", (call_id, payload)
    )


async def take(conn: AsyncConnection[Any], signal_id: int) -> str | None:
    """Delete a stored message and return its payload; None if another took it first."""
    cursor = await conn.execute(
        "DELETE FROM call_signals WHERE signal_id = %s RETURNING payload", (signal_id,)
    )
    row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def delete_older_than(conn: AsyncConnection[Any], seconds: float) -> None:
    """Delete the messages stored more than ``seconds`` ago."""
    await conn.execute(
        "DELETE FROM call_signals WHERE created_at < now() - make_interval(secs => %s)",
        (seconds,),
    )
