"""The audit log: who read which person's data, and who did what to which alarm, when."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from psycopg import AsyncConnection


async def record(
    conn: AsyncConnection[Any],
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit row (in the caller's transaction, if it has one)."""
    await conn.execute(
        "INSERT INTO audit_log (actor, action, subject, detail) VALUES (%s, %s, %s, %s)",
        (actor, action, subject, Jsonb(detail or {})),
    )
