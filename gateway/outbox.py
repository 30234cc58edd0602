"""The home unit's durable outbox: every event on disk before it is sent, until the hub acks it.

SQLite in WAL mode with ``synchronous=FULL``: an event is on disk when :meth:`Outbox.add`
returns, so a power cut or a SIGKILL after that loses nothing. Events leave the outbox only
when an ack from the hub names them. The outbox also hands out the gateway's sequence numbers,
in the same transaction as the event, so ``seq`` never repeats across restarts.

The size is bounded (``capacity`` events) with an explicit policy when it is full:

1. alarm-class events are never dropped (the outbox grows past its capacity for them);
2. low-value telemetry (motion, bed, chair, temperature) goes first: the oldest reading that a
   newer one of the same device and kind supersedes, then the oldest reading at all;
3. then the oldest of the other events (door, tamper, battery, mains, check-in, results);
4. if only alarm-class events are left, a new non-alarm event is itself the one dropped.

Every drop is counted (:attr:`Outbox.dropped`, reported in the heartbeat) and logged.
"""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import TypeAdapter

from protocol import Event, EventKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime
    from pathlib import Path

log = structlog.get_logger(__name__)

EVENT = TypeAdapter[Event](Event)


class Tier(IntEnum):
    """How much an event matters when the outbox is full (lower is kept longer)."""

    ALARM = 0
    OTHER = 1
    TELEMETRY = 2


TELEMETRY_KINDS = frozenset(
    {EventKind.MOTION, EventKind.BED, EventKind.CHAIR, EventKind.TEMPERATURE}
)


def tier_of(kind: EventKind) -> Tier:
    """The drop tier of an event kind."""
    if kind.is_alarm_class:
        return Tier.ALARM
    if kind in TELEMETRY_KINDS:
        return Tier.TELEMETRY
    return Tier.OTHER


_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq       INTEGER PRIMARY KEY,
    event_id  TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    tier      INTEGER NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_tier ON outbox (tier, seq);
CREATE INDEX IF NOT EXISTS outbox_device ON outbox (device_id, kind, seq);
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Draft:
    """An event as a device adapter reports it; the outbox gives it its id and ``seq``."""

    device_id: str
    kind: EventKind
    value: dict[str, Any]
    ts: datetime
    """When the device saw it (aware)."""
    location: str | None = None

    def to_event(self, home_id: str, seq: int, event_id: uuid.UUID | None = None) -> Event:
        """The event of this reading, as the home's ``seq``-th (a new id unless given).

        Raises:
            pydantic.ValidationError: the reading does not make a valid event.
        """
        return EVENT.validate_python(
            {
                "event_id": event_id or uuid.uuid4(),
                "home_id": home_id,
                "device_id": self.device_id,
                "ts": self.ts,
                "seq": seq,
                "location": self.location,
                "kind": self.kind,
                "value": self.value,
            }
        )


@dataclass(frozen=True, slots=True)
class Pending:
    """An event waiting in the outbox."""

    seq: int
    event: Event

    @property
    def alarm_class(self) -> bool:
        """Whether it raises or cancels an alarm."""
        return self.event.kind.is_alarm_class


class Outbox:
    """Events of one home, on disk until acknowledged."""

    def __init__(self, path: Path, home_id: str, capacity: int = 100_000) -> None:
        """Open (or create) the outbox file at ``path``."""
        self._home_id = home_id
        self._capacity = capacity
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._depth = int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        self.dropped = 0
        """Events dropped by the size policy since this outbox was opened."""
        self._dropped_ids: list[uuid.UUID] = []

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    @property
    def depth(self) -> int:
        """Events waiting for an ack."""
        return self._depth

    def add(self, draft: Draft) -> Event | None:
        """Store a new event durably and return it (None if the size policy dropped it).

        Raises:
            pydantic.ValidationError: the draft does not make a valid event of this home.
        """
        tier = tier_of(draft.kind)
        with _transaction(self._db):
            seq = self._next_seq()
            event = draft.to_event(self._home_id, seq)
            if self._full() and not self._make_room(tier):
                self._count_drop(event.kind, event.device_id, "no room")
                return None
            self._db.execute(
                "INSERT INTO outbox (seq, event_id, device_id, kind, tier, body)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    str(event.event_id),
                    event.device_id,
                    event.kind.value,
                    int(tier),
                    EVENT.dump_json(event).decode(),
                ),
            )
        self._depth += 1
        return event

    def pending(self, limit: int | None = None) -> list[Pending]:
        """Waiting events in ``seq`` order (at most ``limit``)."""
        rows = self._db.execute(
            "SELECT seq, body FROM outbox ORDER BY seq LIMIT ?", (-1 if limit is None else limit,)
        )
        return [Pending(seq, EVENT.validate_json(body)) for seq, body in rows]

    def first_to_send(self, limit: int) -> list[Pending]:
        """The ``limit`` events to send first, reading only those.

        First the events of devices with an alarm-class event waiting, then the rest, each
        in ``seq`` order.
        """
        rows = self._db.execute(
            "SELECT seq, body FROM outbox ORDER BY"
            " device_id NOT IN (SELECT device_id FROM outbox WHERE tier = ?), seq LIMIT ?",
            (int(Tier.ALARM), limit),
        )
        return [Pending(seq, EVENT.validate_json(body)) for seq, body in rows]

    def take_dropped(self) -> list[uuid.UUID]:
        """Ids of the events the size policy dropped since the last call."""
        taken, self._dropped_ids = self._dropped_ids, []
        return taken

    def acknowledge(self, event_ids: Iterable[uuid.UUID]) -> int:
        """Remove the events an ack names; return how many were still here."""
        ids = [(str(event_id),) for event_id in event_ids]
        with _transaction(self._db):
            before = self._db.total_changes
            self._db.executemany("DELETE FROM outbox WHERE event_id = ?", ids)
            removed = self._db.total_changes - before
        self._depth -= removed
        return removed

    def _next_seq(self) -> int:
        row = self._db.execute(
            "INSERT INTO counters (name, value) VALUES ('next_seq', 1)"
            " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value"
        ).fetchone()
        return int(row[0])

    def _full(self) -> bool:
        return self._depth >= self._capacity

    def _make_room(self, tier: Tier) -> bool:
        """Drop one event by the policy; False if none may go for an event of ``tier``."""
        superseded = self._db.execute(
            "SELECT o.seq, o.kind, o.device_id FROM outbox o WHERE o.tier = ? AND EXISTS"
            " (SELECT 1 FROM outbox n WHERE n.device_id = o.device_id AND n.kind = o.kind"
            "  AND n.seq > o.seq) ORDER BY o.seq LIMIT 1",
            (int(Tier.TELEMETRY),),
        ).fetchone()
        victim = superseded or self._oldest(Tier.TELEMETRY) or self._oldest(Tier.OTHER)
        if victim is None:
            # Only alarm-class events are waiting: an alarm goes in anyway, anything else not.
            return tier is Tier.ALARM
        seq, kind, device_id = victim
        gone = self._db.execute(
            "DELETE FROM outbox WHERE seq = ? RETURNING event_id", (seq,)
        ).fetchone()
        self._dropped_ids.append(uuid.UUID(gone[0]))
        self._depth -= 1
        self._count_drop(EventKind(kind), device_id, "outbox full")
        return True

    def _oldest(self, tier: Tier) -> tuple[int, str, str] | None:
        row = self._db.execute(
            "SELECT seq, kind, device_id FROM outbox WHERE tier = ? ORDER BY seq LIMIT 1",
            (int(tier),),
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]))

    def _count_drop(self, kind: EventKind, device_id: str, why: str) -> None:
        self.dropped += 1
        log.warning(
            "outbox_dropped_event",
            home_id=self._home_id,
            device_id=device_id,
            kind=kind.value,
            why=why,
            dropped=self.dropped,
        )


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on an autocommit connection."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
