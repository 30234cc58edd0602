"""Login throttling: after repeated failures, sign-ins are refused for a while.

Three limits over the same window, so that guessing is slow and locking someone out is hard:

- a user name from one address (5): the usual guesser, or a mistyping user, waits; the same
  user name from another address is not refused;
- an address, whatever user names it tries (20): one address cannot try many users;
- a user name from all addresses (50): a guesser with many addresses is still slowed; to
  lock a user name out everywhere takes ten addresses or more, each adding at most five.

An IPv6 client is counted by its /64 network: one host usually has the whole of it to pick
addresses from.

The attempts are kept in the database (``login_attempts``), so every hub replica counts the
same failures and a restart forgets none. The typed user name is kept only as a hash.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from ipaddress import ip_address, ip_network
from typing import TYPE_CHECKING

from hub.storage import login_attempts

if TYPE_CHECKING:
    from datetime import datetime

    from psycopg import AsyncConnection

WINDOW_S = 15 * 60.0
MAX_PER_USER_AT_ADDRESS = 5
MAX_PER_ADDRESS = 20
MAX_PER_USER = 50
_WINDOW = timedelta(seconds=WINDOW_S)
_LIMITS = {
    "user_at_source": MAX_PER_USER_AT_ADDRESS,
    "source": MAX_PER_ADDRESS,
    "user": MAX_PER_USER,
}


async def retry_after(
    conn: AsyncConnection[object], username: str, address: str, now: datetime
) -> float:
    """Seconds until ``username`` may be tried from ``address`` (0 when it may now)."""
    counts = await login_attempts.counts_since(
        conn, _key(username), _source(address), now - _WINDOW
    )
    wait = 0.0
    for limit, (attempts, oldest) in counts.items():
        if attempts >= _LIMITS[limit] and oldest is not None:
            wait = max(wait, (oldest + _WINDOW - now).total_seconds())
    return wait


async def attempt(conn: AsyncConnection[object], username: str, address: str, now: datetime) -> int:
    """Note an attempt as a failure before it is checked; return its id.

    Noted first, so that many at once (on any replica) cannot all get past the limits;
    :func:`succeeded` takes a right one back. Attempts past the window are deleted here.
    """
    await login_attempts.forget_before(conn, now - _WINDOW)
    return await login_attempts.note(conn, _key(username), _source(address), now)


async def succeeded(
    conn: AsyncConnection[object], username: str, address: str, attempt_id: int
) -> None:
    """The attempt ``attempt_id`` was right.

    The user's earlier slips from this address are forgiven. The address's and the user
    name's other failures stand: signing in to one's own account must not reset the count of
    guesses at others, nor the guesses of other addresses at this one.
    """
    await login_attempts.succeeded(conn, attempt_id, _key(username), _source(address))


def _key(username: str) -> str:
    """The user name as kept: a hash, since people type passwords into that field."""
    return hashlib.sha256(username.encode()).hexdigest()


def _source(address: str) -> str:
    """What an address is counted as: itself, or its /64 for IPv6."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address  # not an IP address (a Unix socket's peer): counted as it is
    if parsed.version == 6:
        return str(ip_network((parsed, 64), strict=False))
    return address
