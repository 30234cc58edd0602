"""Building the end-to-end receipts (``down/acks``) for committed events."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from protocol import MAX_ACK_EVENTS, Ack

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from uuid import UUID


def receipts(committed: Iterable[tuple[str, UUID]], now: datetime) -> list[Ack]:
    """One ack per home (more when a home has over MAX_ACK_EVENTS ids), ids in arrival order.

    Args:
        committed: (home id, event id) of every event durably stored, in the order received.
        now: the time to put on the acks.
    """
    # dict keys as an ordered set: a redelivered event named twice is acknowledged once.
    by_home: dict[str, dict[UUID, None]] = defaultdict(dict)
    for home_id, event_id in committed:
        by_home[home_id][event_id] = None
    acks: list[Ack] = []
    for home_id, unique in by_home.items():
        ids = list(unique)
        acks.extend(
            Ack(home_id=home_id, ts=now, committed=ids[start : start + MAX_ACK_EVENTS])
            for start in range(0, len(ids), MAX_ACK_EVENTS)
        )
    return acks
