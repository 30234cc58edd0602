"""Care plans (PAI): each home's plan as numbered versions, and the plans due for review.

A plan is never changed in place: saving writes the next version, with who and when, so a
home's versions are its plan's history and the highest one is the plan in force.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from hub.errors import HubError
from hub.zones import DEFAULT_TIME_ZONE

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence
    from datetime import date, datetime

    from psycopg import AsyncConnection


class CarePlanChangedError(HubError):
    """Someone else saved the home's plan since the version this change was made from.

    Attributes:
        home_id: the home.
        current: the version in force now (0: none).
    """

    def __init__(self, home_id: str, current: int) -> None:
        """Name the home and the version now in force."""
        super().__init__(f"the care plan of {home_id!r} is now at version {current}")
        self.home_id = home_id
        self.current = current


class CarePlanRow(NamedTuple):
    """One version of a home's care plan, with who saved it and when."""

    home_id: str
    version: int
    resident_id: uuid.UUID | None
    goals: list[str]
    services: list[dict[str, Any]]
    """Each ``{what, provider, times, per}``, in the order agreed."""
    responsible: str
    next_review: date
    notes: str
    saved_by: str
    saved_at: datetime


class DuePlanRow(NamedTuple):
    """A plan in force whose review is due: the home, the person, who answers for it, when."""

    home_id: str
    district: str
    version: int
    resident_id: uuid.UUID | None
    resident_name: str | None
    """The plan's resident's name (None: the plan is for the home, or they left it)."""
    residents: list[str]
    """Everyone living in the home now, by name."""
    responsible: str
    next_review: date


_COLUMNS = sql.SQL(
    "p.home_id, p.version, p.resident_id, p.goals, p.services, p.responsible, p.next_review,"
    " p.notes, p.saved_by, p.saved_at"
)


async def history(conn: AsyncConnection[Any], home_id: str) -> list[CarePlanRow]:
    """Every version of a home's plan, newest first (the first is the plan in force)."""
    cursor = await conn.execute(
        sql.SQL(
            "SELECT {columns} FROM care_plans p WHERE p.home_id = %s ORDER BY p.version DESC"
        ).format(columns=_COLUMNS),
        (home_id,),
    )
    return [CarePlanRow(*row) for row in await cursor.fetchall()]


async def save(  # noqa: PLR0913 - a plan's fields, and whose and when
    conn: AsyncConnection[Any],
    home_id: str,
    *,
    based_on: int | None,
    resident_id: uuid.UUID | None,
    goals: Sequence[str],
    services: Sequence[dict[str, Any]],
    responsible: str,
    next_review: date,
    notes: str,
    saved_by: str,
    saved_at: datetime,
) -> CarePlanRow:
    """Write the next version of a home's plan; return it.

    Args:
        conn: a connection in a transaction (a refusal leaves it as it was).
        home_id: the home, registered.
        based_on: the version the change was made from (0: none yet), or None to save
            whatever the version in force is.
        resident_id: the resident the plan is for, None for the home as a whole.
        goals: the plan's goals.
        services: the services agreed, each ``{what, provider, times, per}``.
        responsible: the username of the social worker who answers for the plan.
        next_review: when the plan is next reviewed.
        notes: free text.
        saved_by: the username of who saves it.
        saved_at: when.

    Raises:
        CarePlanChangedError: ``based_on`` is not the version in force, or another version was
            saved at the same moment (both were numbered the same; the first one stands).
    """
    cursor = await conn.execute(
        "SELECT coalesce(max(version), 0) FROM care_plans WHERE home_id = %s", (home_id,)
    )
    current = int((await cursor.fetchone() or (0,))[0])
    if based_on is not None and based_on != current:
        raise CarePlanChangedError(home_id, current)
    values = (
        home_id,
        current + 1,
        resident_id,
        list(goals),
        Jsonb(list(services)),
        responsible,
        next_review,
        notes,
        saved_by,
        saved_at,
    )
    try:
        # A savepoint, so that the lost race below leaves the caller's transaction as it was.
        async with conn.transaction():
            cursor = await conn.execute(
                sql.SQL(
                    "INSERT INTO care_plans AS p (home_id, version, resident_id, goals, services,"
                    " responsible, next_review, notes, saved_by, saved_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {columns}"
                ).format(columns=_COLUMNS),
                values,
            )
    except psycopg.errors.UniqueViolation as err:
        raise CarePlanChangedError(home_id, current + 1) from err
    (row,) = await cursor.fetchall()
    return CarePlanRow(*row)


async def due(
    conn: AsyncConnection[Any], districts: Sequence[str] | None, now: datetime, within_days: int
) -> list[DuePlanRow]:
    """The plans in force in ``districts`` (all with None) due for review within some days.

    A plan is listed when its next review falls on or before its home's local date at ``now``
    plus ``within_days`` (0: due today or overdue); the earliest first.
    """
    cursor = await conn.execute(
        sql.SQL(
            "SELECT p.home_id, h.district, p.version, p.resident_id, x.full_name,"
            " coalesce((SELECT array_agg(o.full_name ORDER BY o.full_name) FROM residents o"
            "  WHERE o.home_id = p.home_id), '{{}}'),"
            " p.responsible, p.next_review"
            " FROM care_plans p JOIN homes h USING (home_id)"
            " LEFT JOIN home_rules r USING (home_id)"
            " LEFT JOIN residents x ON x.resident_id = p.resident_id AND x.home_id = p.home_id"
            " WHERE (%(districts)s::text[] IS NULL OR h.district = ANY(%(districts)s::text[]))"
            # No home's date is more than a day ahead of UTC's: a bound the index can use,
            # before each home's own date is worked out.
            " AND p.next_review <= (%(now)s AT TIME ZONE 'UTC')::date + %(days)s::integer + 1"
            " AND p.next_review <= ({local_now})::date + %(days)s::integer"
            " AND NOT EXISTS (SELECT 1 FROM care_plans n"
            "  WHERE n.home_id = p.home_id AND n.version > p.version)"
            " ORDER BY p.next_review, p.home_id"
        ).format(local_now=sql.SQL("%(now)s AT TIME ZONE coalesce(r.time_zone, %(zone)s)")),
        {
            "districts": None if districts is None else list(districts),
            "now": now,
            "days": within_days,
            "zone": DEFAULT_TIME_ZONE,
        },
    )
    return [DuePlanRow(*row) for row in await cursor.fetchall()]
