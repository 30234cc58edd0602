"""Which events of a refused message the home unit is told about, and why (pure).

A unit resends an event until the hub's ack names it, so an event the hub will never store
must be named too, or the unit sends it for ever. The dead letter keeps the message itself.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING

from protocol import Ack, Channel, ProtocolError, RefusedEvent, parse_topic
from protocol.limits import MAX_ACK_EVENTS

if TYPE_CHECKING:
    from datetime import datetime

    from hub.storage.dead_letters import DeadLetter

NOT_FINAL = frozenset({"unregistered_home", "internal_error", "rate_limited"})
"""Reasons that can change without the unit doing anything (the home is registered later, the
hub is fixed, the home slows down): those events are not refused for good, and the unit keeps
resending them."""

_EVENT_FIELD = re.compile(r"^events\.(\d+)(?:\.|$)")


def refusal(letter: DeadLetter, now: datetime) -> Ack | None:
    """The ack telling the sending home which events of ``letter`` are refused, if any.

    Events named by the error's fields (``events.2.kind``) are refused, with the first such
    field; the others of the batch are in neither list of the ack, so the unit sends them
    again. An error of the batch as a whole (``home_mismatch``, too many events) refuses
    every event. None when the message is not an event batch, its event ids cannot be read,
    or the reason is not final.
    """
    if letter.reason in NOT_FINAL:
        return None
    try:
        where = parse_topic(letter.topic)
    except ProtocolError:
        return None
    if where.channel not in (Channel.EVENTS, Channel.ALARMS):
        return None
    ids = _event_ids(letter.payload)
    if not ids:
        return None
    named: dict[int, str] = {}
    for field in letter.fields:
        found = _EVENT_FIELD.match(field)
        if found is not None:
            named.setdefault(int(found.group(1)), field)
    chosen = {n: named[n] for n in named if n in ids} if named else dict.fromkeys(ids, None)
    refused = [
        RefusedEvent(event_id=ids[n], reason=letter.reason, field=field)
        for n, field in sorted(chosen.items())
    ][:MAX_ACK_EVENTS]
    if not refused:
        return None
    return Ack(home_id=where.home_id, ts=now, refused=refused)


def _event_ids(payload: bytes) -> dict[int, uuid.UUID]:
    """The readable event ids of a batch, by position; empty when there are none."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return {}
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        return {}
    ids = {}
    for n, event in enumerate(events):
        raw = event.get("event_id") if isinstance(event, dict) else None
        if isinstance(raw, str):
            try:
                ids[n] = uuid.UUID(raw)
            except ValueError:
                continue
    return ids
