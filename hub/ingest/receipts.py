"""Building the end-to-end receipts (``down/acks``) for committed events."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from protocol import MAX_ACK_EVENTS, Ack, RaisedAlarm

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime
    from uuid import UUID


def receipts(
    committed: Iterable[tuple[str, UUID]],
    now: datetime,
    alarms_of: Mapping[UUID, UUID] | None = None,
) -> list[Ack]:
    """One ack per home (more when a home has over MAX_ACK_EVENTS ids), ids in arrival order.

    Args:
        committed: (home id, event id) of every event durably stored, in the order received.
        now: the time to put on the acks.
        alarms_of: the alarm each event raised or joined, named in the ack that names it.
    """
    alarms_of = alarms_of or {}
    # dict keys as an ordered set: a redelivered event named twice is acknowledged once.
    by_home: dict[str, dict[UUID, None]] = defaultdict(dict)
    for home_id, event_id in committed:
        by_home[home_id][event_id] = None
    acks: list[Ack] = []
    for home_id, unique in by_home.items():
        ids = list(unique)
        for start in range(0, len(ids), MAX_ACK_EVENTS):
            chunk = ids[start : start + MAX_ACK_EVENTS]
            raised = [
                RaisedAlarm(event_id=event_id, alarm_id=alarms_of[event_id])
                for event_id in chunk
                if event_id in alarms_of
            ]
            acks.append(Ack(home_id=home_id, ts=now, committed=chunk, alarms=raised))
    return acks
