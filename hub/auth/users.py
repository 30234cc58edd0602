"""Users, their password hashes (argon2), sessions and API tokens, in PostgreSQL.

Session and token secrets are random and stored only as SHA-256 hashes: a copy of the
database lets nobody log in.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.errors import TokenNameInUseError, UnknownTokenError, UnknownUserError
from hub.storage import audit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from psycopg import AsyncConnection

_HASHER = PasswordHasher()
# Verifying against this when the user does not exist takes as long as a real check, so the
# answer's timing does not say which user names exist.
_DUMMY_HASH = _HASHER.hash("not a password anyone has")
_CHECKS = asyncio.Semaphore(2)
SESSION_TTL = timedelta(hours=12)
"""A console session lasts a long shift."""
LAST_USE_STEP = timedelta(minutes=1)
"""A token's last use is written at most this often, not on every request."""


class Role(StrEnum):
    """What a user does at the centre."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    SOCIAL_WORKER = "social_worker"
    ADMIN = "admin"


ANSWERING_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})
"""Who answers alarms and makes the well-being calls."""
OVERRIDING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""Who may change an alarm or call another user holds."""


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in user."""

    username: str
    role: Role
    districts: tuple[str, ...]

    def serves(self, district: str) -> bool:
        """Whether this user may see the people of ``district`` (admins see all)."""
        return self.role is Role.ADMIN or district in self.districts

    @property
    def acts_on_alarms(self) -> bool:
        """Whether this user may claim, note, resolve or cancel alarms."""
        return self.role in ANSWERING_ROLES


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: its user and the CSRF token its changes must carry."""

    user: User
    csrf_token: str


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What is kept of an API token besides its hash (the secret itself is never kept)."""

    token_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def add_user(
    conn: AsyncConnection[Any],
    username: str,
    password: str,
    role: Role,
    districts: Sequence[str],
) -> None:
    """Create a user, or replace their password, role and districts.

    Replacing signs them out everywhere: their sessions end. A disabled user stays disabled
    (:func:`set_active` enables them).
    """
    await conn.execute("DELETE FROM sessions WHERE username = %s", (username,))
    await conn.execute(
        "INSERT INTO users (username, password_hash, role, districts) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,"
        " role = EXCLUDED.role, districts = EXCLUDED.districts",
        (username, _HASHER.hash(password), role.value, list(districts)),
    )


async def set_active(
    conn: AsyncConnection[Any], username: str, *, active: bool, actor: str
) -> None:
    """Enable or disable a user, with an audit row naming ``actor``.

    A disabled user's sessions end at once; their API tokens and open streams fail their next
    check (every check requires an active user), and they cannot sign in.

    Raises:
        UnknownUserError: there is no such user.
    """
    async with conn.transaction():
        cursor = await conn.execute(
            "UPDATE users SET active = %s WHERE username = %s", (active, username)
        )
        if cursor.rowcount == 0:
            raise UnknownUserError(username)
        if not active:
            await conn.execute("DELETE FROM sessions WHERE username = %s", (username,))
        action = "user.enable" if active else "user.disable"
        await audit.record(conn, actor, action, f"user:{username}")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


async def check_password(conn: AsyncConnection[Any], username: str, password: str) -> User | None:
    """The user, if ``password`` is theirs and they are active; None otherwise."""
    cursor = await conn.execute(
        "SELECT password_hash, role, districts FROM users WHERE username = %s AND active",
        (username,),
    )
    row = await cursor.fetchone()
    # argon2 takes tens of milliseconds of CPU on purpose: off the event loop, and a few at a
    # time, so a flood of sign-ins cannot stall the hub's ingest.
    async with _CHECKS:
        matches = await asyncio.to_thread(_verify, row[0] if row else _DUMMY_HASH, password)
    if not matches:
        return None
    if row is None:
        return None
    return User(username, Role(row[1]), tuple(row[2]))


async def start_session(conn: AsyncConnection[Any], user: User, now: datetime) -> tuple[str, str]:
    """A new session for ``user``: (session token for the cookie, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO sessions (token_hash, username, csrf_token, created_at, expires_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        (_digest(token), user.username, csrf, now, now + SESSION_TTL),
    )
    await conn.execute("DELETE FROM sessions WHERE expires_at < %s", (now,))
    return token, csrf


async def session_of(conn: AsyncConnection[Any], token: str, now: datetime) -> Session | None:
    """The live session whose cookie is ``token``."""
    cursor = await conn.execute(
        "SELECT u.username, u.role, u.districts, s.csrf_token FROM sessions s"
        " JOIN users u USING (username) WHERE s.token_hash = %s AND s.expires_at > %s"
        " AND u.active",
        (_digest(token), now),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return Session(User(row[0], Role(row[1]), tuple(row[2])), row[3])


async def end_session(conn: AsyncConnection[Any], token: str) -> None:
    """Log a browser out."""
    await conn.execute("DELETE FROM sessions WHERE token_hash = %s", (_digest(token),))


async def create_token(conn: AsyncConnection[Any], username: str, name: str) -> str:
    """A new API token for an integration acting as ``username``; shown once, kept hashed.

    Raises:
        UnknownUserError: there is no such user.
        TokenNameInUseError: the user has a live token of that name.
    """
    token = "tc_" + secrets.token_urlsafe(32)
    try:
        await conn.execute(
            "INSERT INTO api_tokens (token_hash, username, name) VALUES (%s, %s, %s)",
            (_digest(token), username, name),
        )
    except psycopg.errors.ForeignKeyViolation as err:
        raise UnknownUserError(username) from err
    except psycopg.errors.UniqueViolation as err:
        raise TokenNameInUseError(username, name) from err
    return token


async def token_user(conn: AsyncConnection[Any], token: str, now: datetime) -> User | None:
    """The user a live API token acts as; notes the token's use."""
    digest = _digest(token)
    cursor = await conn.execute(
        "SELECT u.username, u.role, u.districts, t.last_used_at FROM api_tokens t"
        " JOIN users u USING (username)"
        " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.active",
        (digest,),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    if row[3] is None or row[3] <= now - LAST_USE_STEP:
        await conn.execute(
            "UPDATE api_tokens SET last_used_at = %s WHERE token_hash = %s", (now, digest)
        )
    return User(row[0], Role(row[1]), tuple(row[2]))


async def list_tokens(conn: AsyncConnection[Any], username: str) -> list[TokenInfo]:
    """A user's API tokens, revoked ones included, oldest first.

    Raises:
        UnknownUserError: there is no such user.
    """
    cursor = await conn.execute("SELECT 1 FROM users WHERE username = %s", (username,))
    if await cursor.fetchone() is None:
        raise UnknownUserError(username)
    cursor = await conn.execute(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens"
        " WHERE username = %s ORDER BY created_at, id",
        (username,),
    )
    return [TokenInfo(*row) for row in await cursor.fetchall()]


async def revoke_token(
    conn: AsyncConnection[Any], username: str, name: str, *, actor: str, now: datetime
) -> int:
    """Revoke a user's live token by its name, with an audit row; returns the token's id.

    The token is kept, marked revoked, so what the audit log says it did stays traceable.

    Raises:
        UnknownTokenError: the user has no live token of that name.
    """
    async with conn.transaction():
        cursor = await conn.execute(
            "UPDATE api_tokens SET revoked_at = %s"
            " WHERE username = %s AND name = %s AND revoked_at IS NULL RETURNING id",
            (now, username, name),
        )
        row = await cursor.fetchone()
        if row is None:
            raise UnknownTokenError(username, name)
        token_id: int = row[0]
        detail = {"token_id": token_id, "name": name}
        await audit.record(conn, actor, "token.revoke", f"user:{username}", detail)
    return token_id
