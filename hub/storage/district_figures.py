"""A district's figures for one calendar month, counted from what the hub keeps anyway.

People served come from the residents' dates (``residents.joined_at`` and
``resident_departures``); alarms, their answer times and outcomes from ``alarms`` and their
timeline (``alarm_log``); well-being calls from ``call_tasks``; the review list from
``review_entries``. Each query reads one district and one month: the month's bounds are
instants (local midnights, worked out by the caller in the district's time zone), and
``now`` decides whether an alarm still waiting has already missed a target.

"Answered" is an operator's first claim, as on the supervisors' dashboard
(:mod:`hub.storage.stats`): a claim released and taken again does not restart the clock. An
alarm closed before anyone claimed it (the resident cancelled it, or an operator cancelled it
unclaimed) needed no answer and is left out of the answer times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime

    from psycopg import AsyncConnection

OPEN = "open"
"""What an alarm or a review entry still open counts as among the outcomes."""


@dataclass(frozen=True, slots=True)
class MonthSpan:
    """One district's calendar month, as instants and as local days."""

    district: str
    start: datetime
    """Local midnight of the month's first day."""
    end: datetime
    """Local midnight of the next month's first day (not included)."""
    first_day: date
    next_first_day: date
    now: datetime
    """When the figures are read: an alarm unclaimed by now has missed what it could."""

    def params(self) -> dict[str, Any]:
        """The span as query parameters."""
        return {
            "district": self.district,
            "start": self.start,
            "end": self.end,
            "first_day": self.first_day,
            "next_first_day": self.next_first_day,
            "now": self.now,
        }


@dataclass(frozen=True, slots=True)
class PeopleCounts:
    """Residents served in the month, and homes."""

    served: int
    """Residents on the register at any time in the month."""
    at_start: int
    joined: int
    left: int
    at_end: int
    homes: int
    """Homes registered in the district by the end of the month."""
    homes_joined: int


@dataclass(frozen=True, slots=True)
class AlarmCount:
    """Alarms of one kind and priority (as raised) in the month."""

    kind: str
    priority: int
    alarms: int
    escalated: int
    """How many waited unclaimed long enough to be escalated."""


@dataclass(frozen=True, slots=True)
class AnswerCounts:
    """Alarms of a priority (None: all together) against the 60 s and 180 s targets."""

    priority: int | None
    judged_60s: int
    within_60s: int
    judged_180s: int
    within_180s: int
    median_s: float | None
    """Seconds from raised to first claim, of the alarms claimed."""
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    """Alarms of the month that ended one way (``open``: not closed yet)."""

    outcome: str
    alarms: int


@dataclass(frozen=True, slots=True)
class KindCount:
    """Alarms of one kind in the month, and how many homes they came from."""

    kind: str
    alarms: int
    homes: int


@dataclass(frozen=True, slots=True)
class CallCounts:
    """Well-being calls planned in the month, by how they ended."""

    planned: int
    done: int
    unanswered: int
    skipped: int
    pending: int
    """Still open or claimed."""
    attempts: int


@dataclass(frozen=True, slots=True)
class ReviewCount:
    """Review list entries opened in the month for one indicator, by outcome."""

    indicator: str
    outcome: str
    """The social worker's outcome, or ``open`` while the entry is not seen."""
    entries: int


async def one_snapshot(conn: AsyncConnection[Any]) -> None:
    """Make the transaction just begun read one snapshot throughout (its first statement)."""
    await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


async def district_known(conn: AsyncConnection[Any], district: str) -> bool:
    """Whether any home is or was in ``district`` (a departure keeps its district)."""
    cursor = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM homes WHERE district = %(d)s)"
        " OR EXISTS (SELECT 1 FROM resident_departures WHERE district = %(d)s)",
        {"d": district},
    )
    row = await cursor.fetchone()
    return bool(row and row[0])


async def people(conn: AsyncConnection[Any], span: MonthSpan) -> PeopleCounts:
    """Residents on the register in the month (now, or departed since), and homes."""
    cursor = await conn.execute(
        "WITH stays AS ("
        "  SELECT r.joined_at, NULL::timestamptz AS left_at FROM residents r"
        "  JOIN homes h USING (home_id) WHERE h.district = %(district)s"
        "  UNION ALL"
        "  SELECT joined_at, left_at FROM resident_departures WHERE district = %(district)s)"
        " SELECT"
        "  count(*) FILTER (WHERE joined_at < %(end)s"
        "   AND (left_at IS NULL OR left_at >= %(start)s)),"
        "  count(*) FILTER (WHERE joined_at < %(start)s"
        "   AND (left_at IS NULL OR left_at >= %(start)s)),"
        "  count(*) FILTER (WHERE joined_at >= %(start)s AND joined_at < %(end)s),"
        "  count(*) FILTER (WHERE left_at >= %(start)s AND left_at < %(end)s),"
        "  count(*) FILTER (WHERE joined_at < %(end)s AND (left_at IS NULL OR left_at >= %(end)s)),"
        "  (SELECT count(*) FROM homes WHERE district = %(district)s AND created_at < %(end)s),"
        "  (SELECT count(*) FROM homes WHERE district = %(district)s"
        "   AND created_at >= %(start)s AND created_at < %(end)s)"
        " FROM stays",
        span.params(),
    )
    row = await cursor.fetchone()
    assert row is not None  # noqa: S101 - an aggregate without GROUP BY returns one row
    return PeopleCounts(*(int(n) for n in row))


_IN_MONTH = sql.SQL(
    # The district's homes as an array: the planner then reads each home's rows of the month
    # from the (home_id, time) index, where a join to homes made it scan the whole year.
    "home_id = ANY(ARRAY(SELECT home_id FROM homes WHERE district = %(district)s))"
    " AND {at} >= %(start)s AND {at} < %(end)s"
)
"""The rows of the district's homes whose ``at`` column falls in the month."""

_MONTH_ALARMS = sql.SQL(
    "month_alarms AS (SELECT a.kind, a.state, a.raised_at,"
    "  COALESCE(timeline.from_priority, a.priority) AS priority,"
    "  timeline.from_priority IS NOT NULL AS escalated,"
    # The timeline's first claim; alarms.claimed_at is the last one (a released alarm claimed
    # again). LEAST ignores a NULL, so an alarm without a timeline still has its claim.
    "  LEAST(timeline.first_claim, a.claimed_at) AS answered_at"
    "  FROM alarms a LEFT JOIN LATERAL (SELECT"
    "   min(l.at) FILTER (WHERE l.action = 'claimed') AS first_claim,"
    "   (array_agg((l.detail ->> 'from_priority')::smallint ORDER BY l.at, l.id)"
    "    FILTER (WHERE l.action = 'escalated'))[1] AS from_priority"
    "   FROM alarm_log l WHERE l.alarm_id = a.alarm_id"
    "   AND l.action IN ('claimed', 'escalated')) timeline ON true"
    "  WHERE {in_month})"
).format(in_month=_IN_MONTH.format(at=sql.Identifier("raised_at")))
"""The month's alarms with the priority they were raised at and the time of the first claim."""


async def alarms_by_kind(conn: AsyncConnection[Any], span: MonthSpan) -> list[AlarmCount]:
    """The month's alarms by kind and the priority they were raised at (before escalation)."""
    query = sql.SQL(
        "WITH {month_alarms} SELECT kind, priority, count(*), count(*) FILTER (WHERE escalated)"
        " FROM month_alarms GROUP BY kind, priority ORDER BY priority, kind"
    ).format(month_alarms=_MONTH_ALARMS)
    cursor = await conn.execute(query, span.params())
    return [AlarmCount(kind, int(p), int(n), int(e)) for kind, p, n, e in await cursor.fetchall()]


async def answer_times(conn: AsyncConnection[Any], span: MonthSpan) -> list[AnswerCounts]:
    """The month's alarms against the 60 s and 180 s targets: all, then by priority as raised.

    An alarm still waiting counts against a target once that target's time has passed by
    ``now``; one closed before any claim is left out.
    """
    query = sql.SQL(
        "WITH {month_alarms},"
        " judged AS (SELECT priority, raised_at, answered_at,"
        "  extract(epoch FROM answered_at - raised_at) AS wait_s FROM month_alarms"
        "  WHERE answered_at IS NOT NULL OR state IN ('raised', 'claimed', 'in_progress'))"
        " SELECT priority,"
        "  count(*) FILTER (WHERE answered_at IS NOT NULL"
        "   OR %(now)s - raised_at > interval '60 seconds'),"
        "  count(*) FILTER (WHERE answered_at - raised_at <= interval '60 seconds'),"
        "  count(*) FILTER (WHERE answered_at IS NOT NULL"
        "   OR %(now)s - raised_at > interval '180 seconds'),"
        "  count(*) FILTER (WHERE answered_at - raised_at <= interval '180 seconds'),"
        "  percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_s),"
        "  percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_s)"
        " FROM judged GROUP BY ROLLUP (priority) ORDER BY priority NULLS FIRST"
    ).format(month_alarms=_MONTH_ALARMS)
    cursor = await conn.execute(query, span.params())
    return [
        AnswerCounts(
            None if priority is None else int(priority),
            int(j60),
            int(w60),
            int(j180),
            int(w180),
            None if median is None else float(median),
            None if p90 is None else float(p90),
        )
        for priority, j60, w60, j180, w180, median, p90 in await cursor.fetchall()
    ]


async def outcomes(conn: AsyncConnection[Any], span: MonthSpan) -> list[OutcomeCount]:
    """The month's alarms by how they ended (``open`` for those not closed yet)."""
    query = sql.SQL(
        "SELECT CASE WHEN state IN ('raised', 'claimed', 'in_progress') THEN %(open)s"
        "  ELSE COALESCE(outcome, state) END AS outcome, count(*)"
        " FROM alarms WHERE {in_month} GROUP BY 1 ORDER BY 1"
    ).format(in_month=_IN_MONTH.format(at=sql.Identifier("raised_at")))
    cursor = await conn.execute(query, {**span.params(), "open": OPEN})
    return [OutcomeCount(outcome, int(n)) for outcome, n in await cursor.fetchall()]


async def kinds(
    conn: AsyncConnection[Any], span: MonthSpan, wanted: Sequence[str]
) -> list[KindCount]:
    """The month's alarms of the ``wanted`` kinds, each with the homes they came from."""
    query = sql.SQL(
        "SELECT kind, count(*), count(DISTINCT home_id) FROM alarms"
        " WHERE {in_month} AND kind = ANY(%(kinds)s) GROUP BY kind ORDER BY kind"
    ).format(in_month=_IN_MONTH.format(at=sql.Identifier("raised_at")))
    cursor = await conn.execute(query, {**span.params(), "kinds": list(wanted)})
    return [KindCount(kind, int(n), int(homes)) for kind, n, homes in await cursor.fetchall()]


async def calls(conn: AsyncConnection[Any], span: MonthSpan) -> CallCounts:
    """Well-being calls planned in the month, by how they ended."""
    query = sql.SQL(
        "SELECT count(*), count(*) FILTER (WHERE state = 'done'),"
        "  count(*) FILTER (WHERE state = 'unanswered'),"
        "  count(*) FILTER (WHERE state = 'skipped'),"
        "  count(*) FILTER (WHERE state IN ('open', 'claimed')),"
        "  COALESCE(sum(attempts), 0)"
        " FROM call_tasks WHERE {in_month}"
    ).format(in_month=_IN_MONTH.format(at=sql.Identifier("planned_at")))
    cursor = await conn.execute(query, span.params())
    row = await cursor.fetchone()
    assert row is not None  # noqa: S101 - an aggregate without GROUP BY returns one row
    return CallCounts(*(int(n) for n in row))


async def review_entries(conn: AsyncConnection[Any], span: MonthSpan) -> list[ReviewCount]:
    """Review list entries first found on a local day of the month, by indicator and outcome."""
    cursor = await conn.execute(
        "SELECT e.indicator,"
        "  CASE WHEN e.state = 'open' THEN %(open)s ELSE COALESCE(e.outcome, e.state) END,"
        "  count(*)"
        " FROM review_entries e JOIN homes h USING (home_id)"
        " WHERE h.district = %(district)s"
        " AND e.opened_on >= %(first_day)s AND e.opened_on < %(next_first_day)s"
        " GROUP BY 1, 2 ORDER BY 1, 2",
        {**span.params(), "open": OPEN},
    )
    return [ReviewCount(ind, outcome, int(n)) for ind, outcome, n in await cursor.fetchall()]
