"""A district's figures for one month, as the API answers them and the exports write them.

Each section of :class:`DistrictMonth` is one table of the exports (:class:`Table`): a CSV file
whose columns are the section's field names, in order, after ``district`` and ``month``
(docs/social-work.md lists them). The names are part of the service's records: funders read
month after month of them, so a column is added at the end and never renamed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Table(StrEnum):
    """The tables of a month's figures: a CSV file each, and a section of the report."""

    SUMMARY = "summary"
    PEOPLE = "people"
    ALARMS = "alarms"
    ANSWER_TIMES = "answer_times"
    OUTCOMES = "outcomes"
    WELLBEING_CALLS = "wellbeing_calls"
    CHECK_INS = "check_ins"
    DEVICE_FAULTS = "device_faults"
    REVIEW_ENTRIES = "review_entries"


class Summary(BaseModel):
    """The month's headline figures, each also found in its own table."""

    people_served: int = Field(description="Residents on the register at any time in the month.")
    alarms: int = Field(description="Alarms raised in the month, of every kind.")
    share_60s: float | None = Field(
        description="Share of the judged alarms answered within 60 s (null: none judged)."
    )
    share_180s: float | None = Field(
        description="Share of the judged alarms answered within 180 s (null: none judged)."
    )
    false_alarms: int = Field(description="Alarms resolved as false alarms.")
    missed_check_ins: int = Field(description="Daily check-ins missed (alarms raised for them).")
    device_faults: int = Field(description="Technical alarms: battery, tamper, mains, silence.")
    calls_planned: int = Field(description="Well-being calls planned in the month.")
    calls_done: int = Field(description="Of those, the ones where the operator spoke with them.")
    review_entries: int = Field(description="Review list entries first found in the month.")


class People(BaseModel):
    """Residents served in the month, and the homes of the district."""

    served: int = Field(description="On the register at any time in the month.")
    at_start: int = Field(description="On the register when the month began.")
    joined: int = Field(description="Added to the register in the month.")
    left: int = Field(description="Removed from the register in the month.")
    at_end: int = Field(description="On the register when the month ended (or now).")
    homes: int = Field(description="Homes registered in the district by the month's end.")
    homes_joined: int = Field(description="Homes registered in the month.")


class AlarmRow(BaseModel):
    """Alarms of one kind and priority."""

    kind: str = Field(description="The alarm's kind (panic_button, fall, missed_check_in...).")
    priority: int = Field(description="The priority it was raised at, 1 most urgent.")
    alarms: int
    escalated: int = Field(description="Of those, escalated for waiting unclaimed.")


class AnswerTimesRow(BaseModel):
    """How fast alarms were answered (first claim), against the TSA targets."""

    priority: int | Literal["all"] = Field(
        description="The priority raised at, or all for every alarm together."
    )
    judged_60s: int = Field(
        description="Alarms judged against 60 s: claimed, or still unclaimed past 60 s."
    )
    within_60s: int
    share_60s: float | None = Field(description="within_60s / judged_60s; null when none.")
    target_60s: float = Field(description="The TSA target: 0.975.")
    met_60s: bool | None = Field(description="share_60s reaches the target; null when none.")
    judged_180s: int
    within_180s: int
    share_180s: float | None
    target_180s: float = Field(description="The TSA target: 0.99.")
    met_180s: bool | None
    median_s: float | None = Field(description="Median seconds to the first claim.")
    p90_s: float | None = Field(description="90th percentile of seconds to the first claim.")


class OutcomeRow(BaseModel):
    """Alarms of the month that ended one way."""

    outcome: str = Field(
        description="The outcome recorded at closing (resolve outcomes, cancelled by the"
        " resident, cancelled_by_operator), or open while the alarm is not closed."
    )
    alarms: int


class WellbeingCalls(BaseModel):
    """Well-being calls (telecontrollo) planned in the month, by how they ended."""

    planned: int
    done: int = Field(description="The operator spoke with the person.")
    unanswered: int = Field(description="Every attempt unanswered: an alarm took over.")
    skipped: int = Field(description="Not needed that time, or the resident left.")
    pending: int = Field(description="Still waiting in the queue.")
    attempts: int = Field(description="Call attempts made, retries included.")
    done_share: float | None = Field(description="done / planned; null when none planned.")


class CheckIns(BaseModel):
    """Daily "I'm OK" check-ins missed."""

    missed_check_ins: int = Field(description="Alarms raised for a missed check-in.")
    homes: int = Field(description="Homes that missed at least one.")


class DeviceFaultRow(BaseModel):
    """Technical alarms of one kind."""

    kind: str = Field(
        description="battery_low, tamper, mains_power, unit_offline (home unit silent) or"
        " device_silent (a radio device not heard)."
    )
    alarms: int
    homes: int = Field(description="Homes the alarms came from.")


class ReviewRow(BaseModel):
    """Review list entries first found in the month, for one indicator and outcome."""

    indicator: str
    outcome: str = Field(
        description="home_visit, gp_informed, family_called, nothing_to_do; open until seen."
    )
    entries: int


class DistrictMonth(BaseModel):
    """A district's figures for one calendar month, in the centre's time zone."""

    district: str
    month: str = Field(description="YYYY-MM.")
    time_zone: str = Field(description="Where the month's days begin and end.")
    start: datetime = Field(description="The month's first local midnight.")
    end: datetime = Field(description="The next month's first local midnight (not included).")
    computed_at: datetime = Field(
        description="When the figures were read: a month not over yet is the month so far, and"
        " an alarm still unclaimed counts against a target once its time has passed."
    )
    summary: Summary
    people: People
    alarms: list[AlarmRow]
    answer_times: list[AnswerTimesRow] = Field(
        description="All alarms together first, then one row per priority."
    )
    outcomes: list[OutcomeRow]
    wellbeing_calls: WellbeingCalls
    check_ins: CheckIns
    device_faults: list[DeviceFaultRow]
    review_entries: list[ReviewRow]

    def rows(self, table: Table) -> list[BaseModel]:
        """The rows of one table (a single row for the sections that are one)."""
        section: BaseModel | list[BaseModel] = getattr(self, table.value)
        return list(section) if isinstance(section, list) else [section]


ROW_MODELS: dict[Table, type[BaseModel]] = {
    Table.SUMMARY: Summary,
    Table.PEOPLE: People,
    Table.ALARMS: AlarmRow,
    Table.ANSWER_TIMES: AnswerTimesRow,
    Table.OUTCOMES: OutcomeRow,
    Table.WELLBEING_CALLS: WellbeingCalls,
    Table.CHECK_INS: CheckIns,
    Table.DEVICE_FAULTS: DeviceFaultRow,
    Table.REVIEW_ENTRIES: ReviewRow,
}
"""Each table's row: its fields are the table's columns (after district and month)."""
