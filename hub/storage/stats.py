"""The service's figures for supervisors: the queue, who handles what, today's answer times.

The monitoring standard (TEC Services Association, DOMAIN.md) asks that 97.5% of alarm calls
be answered within 60 s and 99% within 180 s; "answered" here is an operator's claim. An
alarm the resident cancelled before anyone claimed it needed no answer and is left out; one
still waiting counts against a target once that target's time has passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence
    from datetime import datetime

    from psycopg import AsyncConnection

GOAL_60S = 0.975
GOAL_180S = 0.99


@dataclass(frozen=True, slots=True)
class AnswerTimes:
    """How many of today's alarms were answered within each target's time."""

    judged_60s: int
    within_60s: int
    judged_180s: int
    within_180s: int

    @staticmethod
    def share(within: int, judged: int) -> float | None:
        """The share answered in time, or None when nothing is judged yet."""
        return None if judged == 0 else within / judged


@dataclass(frozen=True, slots=True)
class OperatorLoad:
    """One operator: signed in or not, and the alarms and calls they hold."""

    username: str
    role: str
    signed_in: bool
    alarms: list[uuid.UUID] = field(default_factory=list)
    calls: list[uuid.UUID] = field(default_factory=list)


async def queue(
    conn: AsyncConnection[Any], districts: Sequence[str] | None, now: datetime
) -> dict[str, int]:
    """Open alarms by state, and the well-being calls due now."""
    params = {"districts": None if districts is None else list(districts), "now": now}
    counts = {"raised": 0, "claimed": 0, "in_progress": 0}
    cursor = await conn.execute(
        "SELECT a.state, count(*) FROM alarms a JOIN homes h USING (home_id)"
        " WHERE a.state IN ('raised', 'claimed', 'in_progress')"
        " AND (%(districts)s::text[] IS NULL OR h.district = ANY(%(districts)s::text[]))"
        " GROUP BY a.state",
        params,
    )
    counts.update({state: int(n) for state, n in await cursor.fetchall()})
    cursor = await conn.execute(
        "SELECT count(*) FROM call_tasks t JOIN homes h USING (home_id)"
        " WHERE t.state = 'open' AND t.next_try_at <= %(now)s"
        " AND (%(districts)s::text[] IS NULL OR h.district = ANY(%(districts)s::text[]))",
        params,
    )
    row = await cursor.fetchone()
    counts["calls_due"] = int(row[0]) if row else 0
    return counts


async def operators(
    conn: AsyncConnection[Any], districts: Sequence[str] | None, now: datetime
) -> list[OperatorLoad]:
    """The operators and supervisors of ``districts`` (all when None), and what each holds."""
    cursor = await conn.execute(
        "SELECT u.username, u.role,"
        " EXISTS (SELECT 1 FROM sessions s WHERE s.username = u.username"
        "  AND s.expires_at > %(now)s),"
        # Only what they hold in the caller's districts: an operator serving two districts
        # shows a supervisor of one nothing of the other.
        " ARRAY(SELECT a.alarm_id FROM alarms a JOIN homes h USING (home_id)"
        "  WHERE a.claimed_by = u.username AND a.state IN ('claimed', 'in_progress')"
        "  AND (%(districts)s::text[] IS NULL OR h.district = ANY(%(districts)s::text[]))"
        "  ORDER BY a.raised_at),"
        " ARRAY(SELECT t.task_id FROM call_tasks t JOIN homes h USING (home_id)"
        "  WHERE t.claimed_by = u.username AND t.state = 'claimed'"
        "  AND (%(districts)s::text[] IS NULL OR h.district = ANY(%(districts)s::text[]))"
        "  ORDER BY t.next_try_at)"
        " FROM users u WHERE u.active AND u.role IN ('operator', 'supervisor')"
        " AND (%(districts)s::text[] IS NULL OR u.districts && %(districts)s::text[])"
        " ORDER BY u.username",
        {"districts": None if districts is None else list(districts), "now": now},
    )
    return [
        OperatorLoad(name, role, bool(signed_in), list(held), list(calls))
        for name, role, signed_in, held, calls in await cursor.fetchall()
    ]


async def answer_times(
    conn: AsyncConnection[Any], districts: Sequence[str] | None, since: datetime, now: datetime
) -> AnswerTimes:
    """Today's alarms (raised since ``since``) against the 60 s and 180 s targets."""
    cursor = await conn.execute(
        "WITH today AS (SELECT a.raised_at, a.claimed_at FROM alarms a JOIN homes h"
        " USING (home_id) WHERE a.raised_at >= %(since)s"
        "  AND (%(districts)s::text[] IS NULL OR h.district = ANY(%(districts)s::text[]))"
        "  AND NOT (a.state = 'cancelled' AND a.claimed_at IS NULL))"
        " SELECT"
        "  count(*) FILTER (WHERE claimed_at IS NOT NULL"
        "   OR %(now)s - raised_at > interval '60 seconds'),"
        "  count(*) FILTER (WHERE claimed_at - raised_at <= interval '60 seconds'),"
        "  count(*) FILTER (WHERE claimed_at IS NOT NULL"
        "   OR %(now)s - raised_at > interval '180 seconds'),"
        "  count(*) FILTER (WHERE claimed_at - raised_at <= interval '180 seconds')"
        " FROM today",
        {"districts": None if districts is None else list(districts), "since": since, "now": now},
    )
    row = await cursor.fetchone()
    judged_60, within_60, judged_180, within_180 = (int(n) for n in (row or (0, 0, 0, 0)))
    return AnswerTimes(judged_60, within_60, judged_180, within_180)
