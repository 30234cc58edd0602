"""The person's page for social workers: days in numbers, usual bands, heatmap, alarms, calls."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from hub.indicators.usual import Unit
from protocol import Room


class ActivityRange(StrEnum):
    """How far back the page looks."""

    FOUR_WEEKS = "4w"
    TWELVE_WEEKS = "12w"
    YEAR = "1y"


RANGE_DAYS = {ActivityRange.FOUR_WEEKS: 28, ActivityRange.TWELVE_WEEKS: 84, ActivityRange.YEAR: 365}


class ActivityDay(BaseModel):
    """One local day of the person in numbers (null: not known that day)."""

    day: date
    present: bool = Field(description="Anyone at home that day; a day away has no numbers.")
    active_hours: float | None
    rise_min: int | None = Field(description="Getting up, minutes after local midnight.")
    last_activity_min: int | None = Field(description="Last activity, minutes after midnight.")
    out_minutes: int | None
    outings: int | None
    night_bathroom_visits: int | None
    night_out_of_bed_minutes: int | None
    kitchen_visits: int | None
    check_ins: int | None
    events: int | None
    alarms: dict[str, int] = Field(description="Alarms raised that day, by kind.")
    calls: dict[str, int] = Field(description="Well-being calls closed that day, by outcome.")


class UsualBand(BaseModel):
    """An indicator's usual band on each day of the page (null: too little history)."""

    indicator: str
    unit: Unit
    low: list[float | None] = Field(description="10th percentile of the 8 weeks before.")
    median: list[float | None]
    high: list[float | None] = Field(description="90th percentile of the 8 weeks before.")


class Heatmap(BaseModel):
    """Activity readings per room, day and local hour."""

    rooms: list[Room]
    counts: list[list[list[int]]] = Field(
        description="counts[room][day][hour], rooms and days in the order listed."
    )


class AlarmMark(BaseModel):
    """An alarm of the home on the page's time axis."""

    alarm_id: UUID
    kind: str
    priority: int
    state: str
    raised_at: datetime
    closed_at: datetime | None
    outcome: str | None


class CallMark(BaseModel):
    """A well-being call of the home on the page's time axis."""

    task_id: UUID
    planned_at: datetime
    state: str
    outcome: str | None
    closed_at: datetime | None


class ActivityOut(BaseModel):
    """The person's page: how their days went over the range, against their own usual."""

    home_id: str
    district: str
    time_zone: str
    range: ActivityRange
    first: date
    last: date
    days: list[ActivityDay]
    usual: list[UsualBand]
    heatmap: Heatmap
    alarms: list[AlarmMark]
    calls: list[CallMark]
