"""A district's month: its bounds in the centre's time zone, and its figures read from storage.

The month's days are the centre's (``centre_time_zone``, Europe/Rome by default), the same
days as the supervisors' "today": a district's homes may each keep a time zone of their own
(``home_rules``), but a month of a service is one month for all of them, and an Italian ATS
has every home in one zone anyway.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from hub.alarms.checkin import MISSED_CHECK_IN
from hub.alarms.supervision import DEVICE_SILENT, UNIT_OFFLINE
from hub.api.models import Outcome
from hub.errors import HubError
from hub.reports.figures import (
    AlarmRow,
    AnswerTimesRow,
    CheckIns,
    DeviceFaultRow,
    DistrictMonth,
    OutcomeRow,
    People,
    ReviewRow,
    Summary,
    WellbeingCalls,
)
from hub.storage import district_figures
from hub.storage.district_figures import OPEN, MonthSpan
from hub.storage.stats import GOAL_60S, GOAL_180S
from protocol import EventKind

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from psycopg import AsyncConnection

    from hub.storage.district_figures import AnswerCounts, CallCounts, KindCount

MONTH_PATTERN = r"^(?:19[7-9][0-9]|2[01][0-9]{2})-(?:0[1-9]|1[0-2])$"
"""YYYY-MM, from 1970 to 2199 (the years a stored time can have, see protocol.base)."""

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""In English whatever the process's locale (``calendar.month_name`` follows it)."""

DEVICE_FAULT_KINDS = (
    EventKind.BATTERY_LOW.value,
    EventKind.TAMPER.value,
    EventKind.MAINS_POWER.value,
    UNIT_OFFLINE,
    DEVICE_SILENT,
)
"""The technical alarms: a device or the home unit failing, not the person."""

CLOSED_WITHOUT_RESOLVING = ("cancelled", "cancelled_by_operator")
"""The outcomes an alarm gets when it is cancelled: by the resident (``hub.storage.
alarm_changes``) or by an operator with a reason (``hub.api.alarm_routes``)."""

ALARM_OUTCOMES = (*(o.value for o in Outcome), *CLOSED_WITHOUT_RESOLVING, OPEN)
"""Every outcome an alarm can have, listed in every month (with 0s) so months line up."""


class MonthError(HubError, ValueError):
    """Not a month as YYYY-MM (1970-2199)."""


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` as a month.

        Raises:
            MonthError: it is not one.
        """
        if not re.fullmatch(MONTH_PATTERN.strip("^$"), text):
            raise MonthError(f"{text!r} is not a month as YYYY-MM (1970-2199)")
        year, month = text.split("-")
        return cls(int(year), int(month))

    def __str__(self) -> str:
        """``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """The month in words: ``March 2025``."""
        return f"{MONTH_NAMES[self.month - 1]} {self.year}"

    @property
    def first_day(self) -> date:
        """Its first day."""
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        """The next month's first day."""
        if self.month == 12:
            return date(self.year + 1, 1, 1)
        return date(self.year, self.month + 1, 1)

    def span(self, district: str, zone: ZoneInfo, now: datetime) -> MonthSpan:
        """The month in ``zone``: from its first local midnight to the next month's."""
        return MonthSpan(
            district=district,
            start=datetime.combine(self.first_day, datetime.min.time(), zone),
            end=datetime.combine(self.next_first_day, datetime.min.time(), zone),
            first_day=self.first_day,
            next_first_day=self.next_first_day,
            now=now,
        )


async def district_month(
    conn: AsyncConnection[Any], district: str, month: Month, zone: ZoneInfo, now: datetime
) -> DistrictMonth:
    """The district's figures for ``month`` in ``zone``, read at ``now``.

    Call outside a transaction (on an autocommit connection): the figures are read in one
    transaction of their own, in one snapshot, so the tables agree with each other.
    """
    async with conn.transaction():
        await district_figures.one_snapshot(conn)
        return await _read(conn, district, month, zone, now)


async def _read(
    conn: AsyncConnection[Any], district: str, month: Month, zone: ZoneInfo, now: datetime
) -> DistrictMonth:
    span = month.span(district, zone, now)
    people = await district_figures.people(conn, span)
    alarms = await district_figures.alarms_by_kind(conn, span)
    answered = [_answer_row(counts) for counts in await district_figures.answer_times(conn, span)]
    found = {row.outcome: row.alarms for row in await district_figures.outcomes(conn, span)}
    outcomes = [OutcomeRow(outcome=o, alarms=found.pop(o, 0)) for o in ALARM_OUTCOMES]
    outcomes += [OutcomeRow(outcome=o, alarms=n) for o, n in sorted(found.items())]
    calls = _calls(await district_figures.calls(conn, span))
    (missed,) = await _kinds(conn, span, [MISSED_CHECK_IN])
    faults = await _kinds(conn, span, DEVICE_FAULT_KINDS)
    reviews = await district_figures.review_entries(conn, span)
    overall = answered[0]
    return DistrictMonth(
        district=district,
        month=str(month),
        time_zone=zone.key,
        start=span.start,
        end=span.end,
        computed_at=now,
        summary=Summary(
            people_served=people.served,
            alarms=sum(row.alarms for row in alarms),
            share_60s=overall.share_60s,
            share_180s=overall.share_180s,
            false_alarms=sum(o.alarms for o in outcomes if o.outcome == Outcome.FALSE_ALARM),
            missed_check_ins=missed.alarms,
            device_faults=sum(fault.alarms for fault in faults),
            calls_planned=calls.planned,
            calls_done=calls.done,
            review_entries=sum(row.entries for row in reviews),
        ),
        people=People(**_fields(people)),
        alarms=[AlarmRow(**_fields(row)) for row in alarms],
        answer_times=answered,
        outcomes=outcomes,
        wellbeing_calls=calls,
        check_ins=CheckIns(missed_check_ins=missed.alarms, homes=missed.homes),
        device_faults=[DeviceFaultRow(**_fields(fault)) for fault in faults],
        review_entries=[ReviewRow(**_fields(row)) for row in reviews],
    )


async def _kinds(
    conn: AsyncConnection[Any], span: MonthSpan, kinds: tuple[str, ...] | list[str]
) -> list[KindCount]:
    """Each of ``kinds`` in order, with 0s for a kind the month had none of."""
    found = {row.kind: row for row in await district_figures.kinds(conn, span, kinds)}
    return [found.get(kind) or district_figures.KindCount(kind, 0, 0) for kind in kinds]


def _answer_row(counts: AnswerCounts) -> AnswerTimesRow:
    share_60s = _share(counts.within_60s, counts.judged_60s)
    share_180s = _share(counts.within_180s, counts.judged_180s)
    return AnswerTimesRow(
        priority="all" if counts.priority is None else counts.priority,
        judged_60s=counts.judged_60s,
        within_60s=counts.within_60s,
        share_60s=share_60s,
        target_60s=GOAL_60S,
        met_60s=None if share_60s is None else share_60s >= GOAL_60S,
        judged_180s=counts.judged_180s,
        within_180s=counts.within_180s,
        share_180s=share_180s,
        target_180s=GOAL_180S,
        met_180s=None if share_180s is None else share_180s >= GOAL_180S,
        median_s=counts.median_s,
        p90_s=counts.p90_s,
    )


def _calls(counts: CallCounts) -> WellbeingCalls:
    return WellbeingCalls(**_fields(counts), done_share=_share(counts.done, counts.planned))


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _fields(row: Any) -> dict[str, Any]:  # noqa: ANN401 - any of storage's row dataclasses
    return asdict(row)
