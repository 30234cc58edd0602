"""Every query on ``login_attempts``: sign-in attempts counted for throttling."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from psycopg import AsyncConnection


async def note(conn: AsyncConnection[object], user_key: str, source: str, at: datetime) -> int:
    """Note an attempt (a failure until taken back); return its id."""
    cursor = await conn.execute(
        "INSERT INTO login_attempts (user_key, source, at) VALUES (%s, %s, %s) RETURNING id",
        (user_key, source, at),
    )
    row = await cursor.fetchone()
    assert row is not None  # noqa: S101 - INSERT ... RETURNING always returns a row
    return int(row[0])  # type: ignore[index]


async def counts_since(
    conn: AsyncConnection[object], user_key: str, source: str, since: datetime
) -> dict[str, tuple[int, datetime | None]]:
    """Attempts since ``since`` and the oldest one's time, for each limit.

    Of the user name at the source (not forgiven), of the source, and of the user name.
    """
    cursor = await conn.execute(
        "SELECT count(*) FILTER (WHERE user_key = %(u)s AND source = %(s)s AND NOT forgiven),"
        " min(at) FILTER (WHERE user_key = %(u)s AND source = %(s)s AND NOT forgiven),"
        " count(*) FILTER (WHERE source = %(s)s), min(at) FILTER (WHERE source = %(s)s),"
        " count(*) FILTER (WHERE user_key = %(u)s), min(at) FILTER (WHERE user_key = %(u)s)"
        " FROM login_attempts WHERE at > %(since)s AND (user_key = %(u)s OR source = %(s)s)",
        {"u": user_key, "s": source, "since": since},
    )
    row = await cursor.fetchone()
    assert row is not None  # noqa: S101 - an aggregate always returns a row
    values = list(row)  # type: ignore[call-overload]
    return {
        "user_at_source": (int(values[0]), values[1]),
        "source": (int(values[2]), values[3]),
        "user": (int(values[4]), values[5]),
    }


async def succeeded(
    conn: AsyncConnection[object], attempt_id: int, user_key: str, source: str
) -> None:
    """Take back a right attempt and forgive the user's earlier slips from the source."""
    await conn.execute("DELETE FROM login_attempts WHERE id = %s", (attempt_id,))
    await conn.execute(
        "UPDATE login_attempts SET forgiven = true"
        " WHERE user_key = %s AND source = %s AND NOT forgiven",
        (user_key, source),
    )


async def forget_before(conn: AsyncConnection[object], before: datetime) -> int:
    """Delete attempts older than ``before``; return how many."""
    cursor = await conn.execute("DELETE FROM login_attempts WHERE at < %s", (before,))
    return cursor.rowcount
