"""Users, their sessions and API tokens in PostgreSQL.

Secrets arrive here already hashed (:mod:`hub.auth.users` hashes passwords and digests tokens),
so nothing stored lets anybody log in. A user is read as ``(username, role, districts)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg

from hub.errors import TokenNameInUseError, UnknownUserError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from psycopg import AsyncConnection

UserRow = tuple[str, str, list[str]]
"""A user as stored: (username, role, districts)."""


async def save_user(
    conn: AsyncConnection[Any],
    username: str,
    password_hash: str,
    role: str,
    districts: Sequence[str],
) -> None:
    """Create a user, or replace their password hash, role and districts (not ``active``)."""
    await conn.execute(
        "INSERT INTO users (username, password_hash, role, districts) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,"
        " role = EXCLUDED.role, districts = EXCLUDED.districts",
        (username, password_hash, role, list(districts)),
    )


async def set_active(conn: AsyncConnection[Any], username: str, *, active: bool) -> bool:
    """Enable or disable a user; False when there is no such user."""
    cursor = await conn.execute(
        "UPDATE users SET active = %s WHERE username = %s", (active, username)
    )
    return cursor.rowcount != 0


async def exists(conn: AsyncConnection[Any], username: str) -> bool:
    """Whether there is a user of this name (active or not)."""
    cursor = await conn.execute("SELECT 1 FROM users WHERE username = %s", (username,))
    return await cursor.fetchone() is not None


async def active_password_hash(
    conn: AsyncConnection[Any], username: str
) -> tuple[str, UserRow] | None:
    """An active user's password hash and the user; None for a missing or disabled user."""
    cursor = await conn.execute(
        "SELECT password_hash, role, districts FROM users WHERE username = %s AND active",
        (username,),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return row[0], (username, row[1], row[2])


async def active_user(conn: AsyncConnection[Any], username: str) -> UserRow | None:
    """An active user; None for a missing or disabled one."""
    cursor = await conn.execute(
        "SELECT username, role, districts FROM users WHERE username = %s AND active",
        (username,),
    )
    row = await cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2])


async def count_not_named(conn: AsyncConnection[Any], names: Sequence[str]) -> int:
    """How many users have none of ``names``."""
    cursor = await conn.execute(
        "SELECT count(*) FROM users WHERE username <> ALL(%s)", (list(names),)
    )
    return int((await cursor.fetchone() or (0,))[0])


async def add_session(  # noqa: PLR0913 - one row's columns
    conn: AsyncConnection[Any],
    token_hash: bytes,
    username: str,
    csrf_token: str,
    *,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    """Store a new browser session, known by its token's hash."""
    await conn.execute(
        "INSERT INTO sessions (token_hash, username, csrf_token, created_at, expires_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        (token_hash, username, csrf_token, created_at, expires_at),
    )


async def delete_expired_sessions(conn: AsyncConnection[Any], now: datetime) -> None:
    """Forget the sessions that expired before ``now``."""
    await conn.execute("DELETE FROM sessions WHERE expires_at < %s", (now,))


async def end_sessions_of(conn: AsyncConnection[Any], username: str) -> None:
    """End every session of ``username``."""
    await conn.execute("DELETE FROM sessions WHERE username = %s", (username,))


async def end_session(conn: AsyncConnection[Any], token_hash: bytes) -> None:
    """End the session known by ``token_hash``."""
    await conn.execute("DELETE FROM sessions WHERE token_hash = %s", (token_hash,))


async def live_session(
    conn: AsyncConnection[Any], token_hash: bytes, now: datetime
) -> tuple[UserRow, str] | None:
    """The active user of an unexpired session, and the session's CSRF token."""
    cursor = await conn.execute(
        "SELECT u.username, u.role, u.districts, s.csrf_token FROM sessions s"
        " JOIN users u USING (username) WHERE s.token_hash = %s AND s.expires_at > %s"
        " AND u.active",
        (token_hash, now),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return (row[0], row[1], row[2]), row[3]


async def add_token(
    conn: AsyncConnection[Any], token_hash: bytes, username: str, name: str
) -> None:
    """Store a new API token of ``username``, known by its hash.

    Raises:
        UnknownUserError: there is no such user.
        TokenNameInUseError: the user has a live token of that name.
    """
    try:
        await conn.execute(
            "INSERT INTO api_tokens (token_hash, username, name) VALUES (%s, %s, %s)",
            (token_hash, username, name),
        )
    except psycopg.errors.ForeignKeyViolation as err:
        raise UnknownUserError(username) from err
    except psycopg.errors.UniqueViolation as err:
        raise TokenNameInUseError(username, name) from err


async def live_token(
    conn: AsyncConnection[Any], token_hash: bytes
) -> tuple[UserRow, datetime | None] | None:
    """The active user a live (unrevoked) API token acts as, and when it was last used."""
    cursor = await conn.execute(
        "SELECT u.username, u.role, u.districts, t.last_used_at FROM api_tokens t"
        " JOIN users u USING (username)"
        " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.active",
        (token_hash,),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return (row[0], row[1], row[2]), row[3]


async def note_token_use(conn: AsyncConnection[Any], token_hash: bytes, now: datetime) -> None:
    """Write ``now`` as the token's last use."""
    await conn.execute(
        "UPDATE api_tokens SET last_used_at = %s WHERE token_hash = %s", (now, token_hash)
    )


async def tokens_of(
    conn: AsyncConnection[Any], username: str
) -> list[tuple[int, str, datetime, datetime | None, datetime | None]]:
    """A user's tokens, oldest first: (id, name, created_at, last_used_at, revoked_at)."""
    cursor = await conn.execute(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens"
        " WHERE username = %s ORDER BY created_at, id",
        (username,),
    )
    return [(row[0], row[1], row[2], row[3], row[4]) for row in await cursor.fetchall()]


async def revoke_token(
    conn: AsyncConnection[Any], username: str, name: str, now: datetime
) -> int | None:
    """Mark a user's live token of this name revoked at ``now``; its id, or None if none."""
    cursor = await conn.execute(
        "UPDATE api_tokens SET revoked_at = %s"
        " WHERE username = %s AND name = %s AND revoked_at IS NULL RETURNING id",
        (now, username, name),
    )
    row = await cursor.fetchone()
    return None if row is None else int(row[0])
