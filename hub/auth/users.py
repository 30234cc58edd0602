"""Users, their password hashes (argon2), sessions and API tokens.

Session and token secrets are random and stored only as SHA-256 hashes: a copy of the
database lets nobody log in. The rows are read and written by :mod:`hub.storage.users`.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.errors import UnknownTokenError, UnknownUserError
from hub.storage import audit
from hub.storage import users as stored

if TYPE_CHECKING:
    from collections.abc import Sequence

    from psycopg import AsyncConnection

    from hub.storage.users import UserRow

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


def _user(row: UserRow) -> User:
    username, role, districts = row
    return User(username, Role(role), tuple(districts))


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
    await stored.end_sessions_of(conn, username)
    await stored.save_user(conn, username, _HASHER.hash(password), role.value, districts)


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
        if not await stored.set_active(conn, username, active=active):
            raise UnknownUserError(username)
        if not active:
            await stored.end_sessions_of(conn, username)
        action = "user.enable" if active else "user.disable"
        await audit.record(conn, actor, action, f"user:{username}")


async def active_user(conn: AsyncConnection[Any], username: str) -> User | None:
    """The active user of this name (None for a missing or disabled one)."""
    found = await stored.active_user(conn, username)
    return None if found is None else _user(found)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


async def check_password(conn: AsyncConnection[Any], username: str, password: str) -> User | None:
    """The user, if ``password`` is theirs and they are active; None otherwise."""
    found = await stored.active_password_hash(conn, username)
    # argon2 takes tens of milliseconds of CPU on purpose: off the event loop, and a few at a
    # time, so a flood of sign-ins cannot stall the hub's ingest.
    async with _CHECKS:
        matches = await asyncio.to_thread(_verify, found[0] if found else _DUMMY_HASH, password)
    if not matches:
        return None
    if found is None:
        return None
    return _user(found[1])


async def start_session(conn: AsyncConnection[Any], user: User, now: datetime) -> tuple[str, str]:
    """A new session for ``user``: (session token for the cookie, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await stored.add_session(
        conn, _digest(token), user.username, csrf, created_at=now, expires_at=now + SESSION_TTL
    )
    await stored.delete_expired_sessions(conn, now)
    return token, csrf


async def session_of(conn: AsyncConnection[Any], token: str, now: datetime) -> Session | None:
    """The live session whose cookie is ``token``."""
    found = await stored.live_session(conn, _digest(token), now)
    if found is None:
        return None
    row, csrf = found
    return Session(_user(row), csrf)


async def end_session(conn: AsyncConnection[Any], token: str) -> None:
    """Log a browser out."""
    await stored.end_session(conn, _digest(token))


async def create_token(conn: AsyncConnection[Any], username: str, name: str) -> str:
    """A new API token for an integration acting as ``username``; shown once, kept hashed.

    Raises:
        UnknownUserError: there is no such user.
        TokenNameInUseError: the user has a live token of that name.
    """
    token = "tc_" + secrets.token_urlsafe(32)
    await stored.add_token(conn, _digest(token), username, name)
    return token


async def token_user(conn: AsyncConnection[Any], token: str, now: datetime) -> User | None:
    """The user a live API token acts as; notes the token's use."""
    digest = _digest(token)
    found = await stored.live_token(conn, digest)
    if found is None:
        return None
    row, last_used_at = found
    if last_used_at is None or last_used_at <= now - LAST_USE_STEP:
        await stored.note_token_use(conn, digest, now)
    return _user(row)


async def list_tokens(conn: AsyncConnection[Any], username: str) -> list[TokenInfo]:
    """A user's API tokens, revoked ones included, oldest first.

    Raises:
        UnknownUserError: there is no such user.
    """
    if not await stored.exists(conn, username):
        raise UnknownUserError(username)
    return [TokenInfo(*row) for row in await stored.tokens_of(conn, username)]


async def revoke_token(
    conn: AsyncConnection[Any], username: str, name: str, *, actor: str, now: datetime
) -> int:
    """Revoke a user's live token by its name, with an audit row; returns the token's id.

    The token is kept, marked revoked, so what the audit log says it did stays traceable.

    Raises:
        UnknownTokenError: the user has no live token of that name.
    """
    async with conn.transaction():
        token_id = await stored.revoke_token(conn, username, name, now)
        if token_id is None:
            raise UnknownTokenError(username, name)
        detail = {"token_id": token_id, "name": name}
        await audit.record(conn, actor, "token.revoke", f"user:{username}", detail)
    return token_id
