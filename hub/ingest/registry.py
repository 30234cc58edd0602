"""Which homes are registered, asked of the database once and then remembered."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import psycopg
import structlog

from hub.storage import homes

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

log = structlog.get_logger(__name__)

RETRY_FIRST_S = 0.1
RETRY_MAX_S = 5.0
UNKNOWN_TTL_S = 10.0
"""How long a home found unregistered is believed so before the database is asked again."""
MAX_UNKNOWN = 10_000
"""Unregistered ids remembered at most; past it the memory starts again."""


class HomeRegister:
    """Answers "is this home registered?" without a query per message."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[object]]) -> None:
        """Start with nothing known; call :meth:`load` to read every registered home."""
        self._pool = pool
        self._known: set[str] = set()
        self._unknown_until: dict[str, float] = {}

    async def load(self) -> int:
        """Read every registered home; return how many there are."""
        async with self._pool.connection() as conn:
            self._known = await homes.registered(conn)
        self._unknown_until.clear()
        return len(self._known)

    async def is_registered(self, home_id: str) -> bool:
        """Whether ``home_id`` is registered; a home registered a moment ago is found too."""
        if home_id in self._known:
            return True
        now = time.monotonic()
        if self._unknown_until.get(home_id, 0.0) > now:
            return False
        found = await self._look_up(home_id)
        if found:
            self._known.add(home_id)
            self._unknown_until.pop(home_id, None)
            return True
        if len(self._unknown_until) >= MAX_UNKNOWN:
            self._unknown_until.clear()
        self._unknown_until[home_id] = now + UNKNOWN_TTL_S
        return False

    async def _look_up(self, home_id: str) -> set[str]:
        """Ask the database, waiting out an outage (the consumer pauses meanwhile)."""
        delay = RETRY_FIRST_S
        while True:
            try:
                async with self._pool.connection() as conn:
                    return await homes.registered(conn, [home_id])
            except psycopg.OperationalError as err:
                log.warning("home_lookup_retry", home_id=home_id, error=str(err), delay_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
