"""Alarms as the API reads them: lists, one alarm, and its timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from psycopg import AsyncConnection

    from hub.alarms.lifecycle import AlarmState


@dataclass(frozen=True, slots=True)
class AlarmRow:
    """An alarm as the API shows it."""

    alarm_id: uuid.UUID
    home_id: str
    district: str
    kind: str
    priority: int
    state: str
    reason_key: str
    reason_params: dict[str, str]
    raised_at: datetime
    last_trigger_at: datetime
    trigger_count: int
    escalated_at: datetime | None
    claimed_by: str | None
    closed_at: datetime | None
    outcome: str | None


_ALARM_COLUMNS = sql.SQL(
    "a.alarm_id, a.home_id, h.district, a.kind, a.priority, a.state, a.reason_key,"
    " a.reason_params, a.raised_at, a.last_trigger_at, a.trigger_count, a.escalated_at,"
    " a.claimed_by, a.closed_at, a.outcome"
)


async def list_alarms(  # noqa: PLR0913 - the API's filters
    conn: AsyncConnection[Any],
    *,
    districts: Sequence[str] | None,
    states: Sequence[AlarmState],
    home_id: str | None,
    limit: int,
    before: datetime | None,
    before_id: uuid.UUID | None = None,
    search: str | None = None,
) -> list[AlarmRow]:
    """Alarms newest first, in ``districts`` (all when None), in ``states``.

    ``search`` keeps the alarms whose home id or a resident's name contains it (any case).

    Paged by (``before``, ``before_id``), the last row of the previous page: alarms raised in
    the same instant (one timer tick raises many) are neither skipped nor repeated.
    """
    # The words searched for are matched literally: LIKE's wildcards in them are escaped.
    pattern = None
    if search is not None:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
    cursor = await conn.execute(
        sql.SQL(
            "SELECT {} FROM alarms a JOIN homes h USING (home_id)"
            " WHERE (%s::text[] IS NULL OR h.district = ANY(%s::text[]))"
            " AND a.state = ANY(%s) AND (%s::text IS NULL OR a.home_id = %s)"
            " AND (%s::timestamptz IS NULL OR (a.raised_at, a.alarm_id) < (%s, %s::uuid))"
            " AND (%s::text IS NULL OR a.home_id ILIKE %s OR EXISTS (SELECT 1 FROM residents r"
            "  WHERE r.home_id = a.home_id AND r.full_name ILIKE %s))"
            " ORDER BY a.raised_at DESC, a.alarm_id DESC LIMIT %s"
        ).format(_ALARM_COLUMNS),
        (
            None if districts is None else list(districts),
            None if districts is None else list(districts),
            [s.value for s in states],
            home_id,
            home_id,
            before,
            before,
            before_id or uuid.UUID(int=2**128 - 1),
            search,
            pattern,
            pattern,
            limit,
        ),
    )
    return [AlarmRow(*row) for row in await cursor.fetchall()]


async def get_alarm(conn: AsyncConnection[Any], alarm_id: uuid.UUID) -> AlarmRow | None:
    """One alarm, with its home's district."""
    cursor = await conn.execute(
        sql.SQL(
            "SELECT {} FROM alarms a JOIN homes h USING (home_id) WHERE a.alarm_id = %s"
        ).format(_ALARM_COLUMNS),
        (alarm_id,),
    )
    row = await cursor.fetchone()
    return None if row is None else AlarmRow(*row)


async def timeline(conn: AsyncConnection[Any], alarm_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """Every change of an alarm in order: (at, actor, action, from, to, detail)."""
    cursor = await conn.execute(
        "SELECT at, actor, action, from_state, to_state, detail FROM alarm_log"
        " WHERE alarm_id = %s ORDER BY id",
        (alarm_id,),
    )
    return [tuple(row) for row in await cursor.fetchall()]
