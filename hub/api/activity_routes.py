"""The person's page for social workers: how their days went over weeks, against their usual.

Read from the kept daily indicators, never from raw events. Social workers, supervisors and
admins of the home's district see it (another district's home is a 404; operators are not
told of it); every read is audited.
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hub.api.access import visible
from hub.api.activity_models import (
    RANGE_DAYS,
    ActivityDay,
    ActivityOut,
    AlarmMark,
    CallMark,
    Heatmap,
    UsualBand,
)
from hub.api.params import ActivityQuery, HomePath
from hub.api.routing import Allowed, Call, RouteTable
from hub.api.rows import out
from hub.auth.users import Role
from hub.indicators.usual import BAND_DAYS, TRENDS, bands, present
from hub.storage import audit, indicators, registry
from hub.storage.indicators import IndicatorRow
from hub.zones import zone_of
from protocol import Room

ROUTES = RouteTable()
SOCIAL = Allowed(
    frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMIN}), "follow people's activity"
)


@ROUTES.get(
    "/api/v1/homes/{home_id}/activity",
    "A person's days in numbers over 4 weeks, 12 weeks or a year, with their usual bands, "
    "activity by room and hour, alarms and calls (social worker, supervisor, admin)",
    errors=[404],
    allowed=SOCIAL,
)
async def get_activity(call: Call, path: HomePath, query: ActivityQuery) -> ActivityOut:
    """The person's page: each day's indicators, the usual band, heatmap, alarms and calls."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        district = visible(user, await registry.home_district(conn, path.home_id), "home")
        zone_name = (await registry.rules(conn, path.home_id)).time_zone
        zone = zone_of(zone_name)
        last = query.until or datetime.now(UTC).astimezone(zone).date() - timedelta(days=1)
        first = last - timedelta(days=RANGE_DAYS[query.range] - 1)
        kept = await indicators.days_of(conn, path.home_id, first - timedelta(days=BAND_DAYS), last)
        start = datetime.combine(first, time(0), zone)
        end = datetime.combine(last + timedelta(days=1), time(0), zone)
        alarms = await indicators.alarms_between(conn, path.home_id, start, end)
        calls = await indicators.calls_between(conn, path.home_id, start, end)
        await audit.record(
            conn,
            user.username,
            "person.activity.read",
            f"home:{path.home_id}",
            {"range": query.range.value, "first": first.isoformat(), "last": last.isoformat()},
        )
    days = _every_day(kept, first - timedelta(days=BAND_DAYS), last, zone_name)
    shown = days[BAND_DAYS:]
    usual = []
    for indicator, unit in TRENDS.items():
        found = bands(days, indicator, BAND_DAYS)
        usual.append(
            UsualBand(
                indicator=indicator,
                unit=unit,
                low=[None if b is None else b.low for b in found],
                median=[None if b is None else b.median for b in found],
                high=[None if b is None else b.high for b in found],
            )
        )
    return ActivityOut(
        home_id=path.home_id,
        district=district,
        time_zone=zone_name,
        range=query.range,
        first=first,
        last=last,
        days=[_day(d) for d in shown],
        usual=usual,
        heatmap=Heatmap(
            rooms=list(Room),
            counts=[[d.room_hours.get(room.value, [0] * 24) for d in shown] for room in Room],
        ),
        alarms=[out(AlarmMark, a) for a in alarms],
        calls=[out(CallMark, c) for c in calls],
    )


def _every_day(kept: list[IndicatorRow], first: date, last: date, zone: str) -> list[IndicatorRow]:
    """One row per calendar day from ``first`` to ``last``; a day not worked out is absent."""
    by_day = {row.day: row for row in kept}
    days = []
    day = first
    while day <= last:
        days.append(by_day.get(day) or _absent(day, zone))
        day += timedelta(days=1)
    return days


def _absent(day: date, zone: str) -> IndicatorRow:
    return IndicatorRow(day, zone, 0.0, None, None, 0, 0, None, None, None, 0, 0, {}, {}, {})


def _day(row: IndicatorRow) -> ActivityDay:
    if present(row):
        return out(ActivityDay, row, present=True)
    blank: dict[str, Any] = dict.fromkeys(ActivityDay.model_fields, None)
    return ActivityDay.model_validate(
        blank | {"day": row.day, "present": False, "alarms": row.alarms, "calls": row.calls}
    )
