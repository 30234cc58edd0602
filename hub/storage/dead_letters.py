"""The dead-letter table: every refused message, with why, kept for people to look at.

Kept for a limited time (``TELECARE_DEAD_LETTER_RETENTION_DAYS``): a home unit stuck sending
the same bad message would otherwise grow the table without end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from psycopg import AsyncConnection

MAX_STORED_PAYLOAD = 256 * 1024
"""Longer payloads are cut to this many bytes (the broker refuses far larger ones anyway)."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A refused message."""

    received_at: datetime
    topic: str
    payload: bytes
    reason: str
    fields: tuple[str, ...]
    detail: str


async def store(conn: AsyncConnection[object], letters: Sequence[DeadLetter]) -> None:
    """Store refused messages in one transaction."""
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO dead_letters (received_at, topic, payload, reason, fields, detail)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    letter.received_at,
                    letter.topic.replace("\x00", "\ufffd"),
                    letter.payload[:MAX_STORED_PAYLOAD],
                    letter.reason,
                    [field.replace("\x00", "\ufffd") for field in letter.fields],
                    letter.detail.replace("\x00", "\ufffd"),
                )
                for letter in letters
            ],
        )


async def expire(conn: AsyncConnection[object], before: datetime) -> int:
    """Delete dead letters received before ``before``; return how many went."""
    cursor = await conn.execute("DELETE FROM dead_letters WHERE received_at < %s", (before,))
    await conn.execute("DELETE FROM dead_letter_counts WHERE minute < %s", (before,))
    return cursor.rowcount


async def count_unkept(
    conn: AsyncConnection[object], counts: Mapping[tuple[datetime, str, str], int]
) -> None:
    """Add the refused messages only counted, by (minute, home, reason)."""
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO dead_letter_counts (minute, home_id, reason, messages)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (minute, home_id, reason)"
            " DO UPDATE SET messages = dead_letter_counts.messages + EXCLUDED.messages",
            [
                (minute, home.replace("\x00", "\ufffd"), reason, n)
                for (minute, home, reason), n in sorted(counts.items())
            ],
        )
