"""The review list (``review_entries``) and each district's thresholds (``review_settings``).

Also the nightly review's one read of ``daily_indicators``: the columns it watches, for a
batch of homes and 70 days, in one query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from psycopg import sql
from psycopg.types.json import Jsonb

from hub.review.followup import EntryState, Latest, Step
from hub.review.method import Indicator
from hub.review.settings import ReviewSettings

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence
    from datetime import date, datetime

    from psycopg import AsyncConnection

    from hub.review.followup import Change


class DayRow(NamedTuple):
    """A kept day of a home, the columns the review reads (:class:`hub.review.method.DayValues`)."""

    day: date
    events: int
    active_hours: float
    rise_min: int | None
    outings: int
    night_bathroom_visits: int | None
    night_out_of_bed_minutes: int | None
    kitchen_visits: int | None


@dataclass(frozen=True, slots=True)
class EntryRow:
    """An entry of the review list as the API shows it."""

    entry_id: uuid.UUID
    home_id: str
    district: str
    resident_name: str | None
    """The home's residents, by name, separated by commas (None: none registered)."""
    indicator: str
    direction: str
    state: str
    opened_on: date
    last_found_on: date
    recent: float
    usual: float
    spread: float
    change: float
    days: int
    reason_key: str
    reason_params: dict[str, str]
    outcome: str | None
    seen_by: str | None
    seen_at: datetime | None
    note: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SettingsRow:
    """A district's thresholds, and who set them last (None: the defaults, never set)."""

    district: str
    settings: ReviewSettings
    updated_by: str | None
    updated_at: datetime | None


_DAYS = sql.SQL(
    "SELECT home_id, day, events, active_hours, rise_min, outings, night_bathroom_visits,"
    " night_out_of_bed_minutes, kitchen_visits FROM daily_indicators"
    " WHERE home_id = ANY(%s) AND day >= %s AND day <= %s ORDER BY home_id, day"
)

_ENTRY = sql.SQL(
    "SELECT e.entry_id, e.home_id, h.district,"
    " (SELECT string_agg(r.full_name, ', ' ORDER BY r.full_name) FROM residents r"
    "  WHERE r.home_id = e.home_id),"
    " e.indicator, e.direction, e.state, e.opened_on, e.last_found_on, e.recent, e.usual,"
    " e.spread, e.change, e.days, e.reason_key, e.reason_params, e.outcome, e.seen_by,"
    " e.seen_at, e.note, e.updated_at"
    " FROM review_entries e JOIN homes h USING (home_id)"
)
_NEWEST = sql.SQL(" ORDER BY e.opened_on DESC, e.created_at DESC, e.entry_id")


async def history(
    conn: AsyncConnection[Any], home_ids: Sequence[str], first: date, last: date
) -> dict[str, list[DayRow]]:
    """Each home's kept days from ``first`` to ``last``, oldest first (missing days absent)."""
    cursor = await conn.execute(_DAYS, (list(home_ids), first, last))
    found: dict[str, list[DayRow]] = defaultdict(list)
    for home_id, *values in await cursor.fetchall():
        found[home_id].append(DayRow(*values))
    return found


async def settings_of_homes(
    conn: AsyncConnection[Any], home_ids: Sequence[str]
) -> dict[str, ReviewSettings]:
    """The thresholds of each home's district (the defaults where the district has none)."""
    cursor = await conn.execute(
        "SELECT h.home_id, h.district, s.settings FROM homes h"
        " LEFT JOIN review_settings s USING (district) WHERE h.home_id = ANY(%s)",
        (list(home_ids),),
    )
    by_district: dict[str, ReviewSettings] = {}
    made: dict[str, ReviewSettings] = {}
    for home_id, district, stored in await cursor.fetchall():
        if district not in by_district:
            by_district[district] = (
                ReviewSettings() if stored is None else ReviewSettings.model_validate(stored)
            )
        made[home_id] = by_district[district]
    return made


async def latest(
    conn: AsyncConnection[Any], home_ids: Sequence[str]
) -> dict[str, dict[Indicator, Latest]]:
    """Each home's latest entry per indicator."""
    cursor = await conn.execute(
        "SELECT DISTINCT ON (home_id, indicator) home_id, indicator, state, last_found_on,"
        " usual, change, entry_id FROM review_entries WHERE home_id = ANY(%s)"
        " ORDER BY home_id, indicator, opened_on DESC, created_at DESC",
        (list(home_ids),),
    )
    found: dict[str, dict[Indicator, Latest]] = defaultdict(dict)
    known = {i.value for i in Indicator}
    for (
        home_id,
        indicator,
        state,
        last_found_on,
        usual,
        change,
        entry_id,
    ) in await cursor.fetchall():
        if indicator in known:  # an indicator no longer watched is left alone
            found[home_id][Indicator(indicator)] = Latest(
                EntryState(state), last_found_on, usual, change, entry_id
            )
    return found


async def apply(
    conn: AsyncConnection[Any], changes: Sequence[Change], on: date, now: datetime
) -> None:
    """Take the nightly review's steps on the list (in the caller's transaction)."""
    opened, updated, going_on = [], [], []
    for c in changes:
        f = c.finding
        numbers = (f.direction.value, f.recent, f.usual, f.spread, f.change, f.days)
        reason = (f.reason_key, Jsonb(f.reason_params))
        if c.step is Step.OPEN:
            opened.append(
                (c.entry_id, c.home_id, f.indicator.value, on, on, *numbers, *reason, now)
            )
        elif c.step is Step.UPDATE:
            updated.append((on, *numbers, *reason, now, c.entry_id, on))
        else:
            going_on.append((on, c.entry_id))
    async with conn.cursor() as cursor:
        if opened:
            await cursor.executemany(
                "INSERT INTO review_entries (entry_id, home_id, indicator, opened_on,"
                " last_found_on, direction, recent, usual, spread, change, days, reason_key,"
                " reason_params, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (home_id, indicator) WHERE state = 'open' DO NOTHING",
                [(*row, row[-1]) for row in opened],
            )
        if updated:
            # Only from a later day than the numbers it has (a catch-up run goes back).
            await cursor.executemany(
                "UPDATE review_entries SET last_found_on = %s, direction = %s, recent = %s,"
                " usual = %s, spread = %s, change = %s, days = %s, reason_key = %s,"
                " reason_params = %s, updated_at = %s"
                " WHERE entry_id = %s AND state = 'open' AND last_found_on <= %s",
                updated,
            )
        if going_on:
            await cursor.executemany(
                "UPDATE review_entries SET last_found_on = greatest(last_found_on, %s)"
                " WHERE entry_id = %s",
                going_on,
            )


async def open_entries(
    conn: AsyncConnection[Any], districts: Sequence[str] | None, limit: int
) -> list[EntryRow]:
    """Open entries in ``districts`` (all with None), newest first."""
    cursor = await conn.execute(
        _ENTRY
        + sql.SQL(
            " WHERE e.state = 'open' AND (%s::text[] IS NULL OR h.district = ANY(%s::text[]))"
        )
        + _NEWEST
        + sql.SQL(" LIMIT %s"),
        (None if districts is None else list(districts),) * 2 + (limit,),
    )
    return [EntryRow(*row) for row in await cursor.fetchall()]


async def home_entries(conn: AsyncConnection[Any], home_id: str) -> list[EntryRow]:
    """A home's entries, open and seen, newest first."""
    cursor = await conn.execute(_ENTRY + sql.SQL(" WHERE e.home_id = %s") + _NEWEST, (home_id,))
    return [EntryRow(*row) for row in await cursor.fetchall()]


async def entry(conn: AsyncConnection[Any], entry_id: uuid.UUID) -> EntryRow | None:
    """One entry (None: there is no such entry)."""
    cursor = await conn.execute(_ENTRY + sql.SQL(" WHERE e.entry_id = %s"), (entry_id,))
    row = await cursor.fetchone()
    return None if row is None else EntryRow(*row)


async def mark_seen(  # noqa: PLR0913 - each is one fact of the record
    conn: AsyncConnection[Any],
    entry_id: uuid.UUID,
    *,
    outcome: str,
    note: str,
    by: str,
    at: datetime,
) -> bool:
    """Mark an open entry as seen, with what was done; False if it was not open."""
    cursor = await conn.execute(
        "UPDATE review_entries SET state = 'seen', outcome = %s, note = %s, seen_by = %s,"
        " seen_at = %s, updated_at = %s WHERE entry_id = %s AND state = 'open' RETURNING 1",
        (outcome, note, by, at, at, entry_id),
    )
    return await cursor.fetchone() is not None


async def district_settings(conn: AsyncConnection[Any], district: str) -> SettingsRow:
    """A district's thresholds (the defaults if never set)."""
    cursor = await conn.execute(
        "SELECT settings, updated_by, updated_at FROM review_settings WHERE district = %s",
        (district,),
    )
    row = await cursor.fetchone()
    if row is None:
        return SettingsRow(district, ReviewSettings(), None, None)
    stored, by, at = row
    return SettingsRow(district, ReviewSettings.model_validate(stored), by, at)


async def save_settings(
    conn: AsyncConnection[Any], district: str, settings: ReviewSettings, by: str, at: datetime
) -> SettingsRow:
    """Replace a district's thresholds."""
    await conn.execute(
        "INSERT INTO review_settings (district, settings, updated_by, updated_at)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (district) DO UPDATE"
        " SET settings = EXCLUDED.settings, updated_by = EXCLUDED.updated_by,"
        " updated_at = EXCLUDED.updated_at",
        (district, Jsonb(settings.model_dump(mode="json")), by, at),
    )
    return SettingsRow(district, settings, by, at)
