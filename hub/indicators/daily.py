"""A person's day in numbers: the daily indicators social workers read over weeks.

Pure: one home's readings around one local day in, one :class:`DailyIndicators` out. The
nightly run feeds it each home's stored events once, after the day is over, and keeps the
result; the social workers' views read only the kept numbers (docs/social-work.md says what
each one means and where it can mislead).

Times of day are wall-clock minutes after local midnight (a daylight-saving day still has its
breakfast at 8:00), and durations are real minutes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from protocol import Room

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

SLOT = timedelta(minutes=15)
"""Active hours are counted in quarter hours with any activity, so an hour with one motion
at :59 does not count as a whole active hour."""
EVENING = time(20)
"""A night's bedtime is looked for from this local time on the evening before."""
MORNING_FROM = time(4)
MORNING_UNTIL = time(14)
"""Getting up is looked for between these local times."""
UP_FOR = timedelta(minutes=60)
"""Out of bed for this long (or until the day's end) counts as up, not as a night trip."""
IN_BED_FOR = timedelta(minutes=60)
"""In bed for this long counts as gone to bed, not as a rest."""
NIGHT_WITHOUT_BED_PAD = (time(23), time(6))
"""The night, for a home without a bed pad (nothing says when the person went to bed)."""
VISIT_GAP = timedelta(minutes=10)
"""Bathroom motions closer than this belong to one visit."""
KITCHEN_GAP = timedelta(minutes=20)
"""Kitchen motions closer than this belong to one use of the kitchen (one meal)."""
OUT_AT_LEAST = timedelta(minutes=10)
"""A door, then nothing moving at home for this long and a door again, counts as out."""
DOOR_SETTLES = timedelta(minutes=2)
"""Motion this soon after the door is the person leaving, not someone at home."""

ACTIVITY_KINDS = frozenset({"motion", "door", "bed", "chair", "check_in"})
"""Readings that show the person (or someone) about; what :func:`compute` is given."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One stored event, reduced to what the indicators read."""

    ts: datetime
    kind: str
    """An :class:`~protocol.EventKind` value among :data:`ACTIVITY_KINDS`."""
    room: Room
    on: bool
    """Motion detected, door open, bed or chair occupied (a check-in is always on)."""


@dataclass(frozen=True, slots=True)
class DailyIndicators:
    """One home's local day in numbers (None: the home has no sensor that could tell)."""

    day: date
    active_hours: float
    """Quarter hours of the day with any activity at home, in hours."""
    rise_min: int | None
    """Getting up: the bed left for the day (or the first activity in a living room)."""
    last_activity_min: int | None
    """The last activity before going to bed (or before midnight)."""
    out_minutes: int
    """Time out of home: a door, nothing moving at home, a door again."""
    outings: int
    night_bathroom_visits: int | None
    """Bathroom visits between bedtime and getting up (the night before this day)."""
    night_out_of_bed_minutes: int | None
    """Time out of bed in that night (bed pad)."""
    kitchen_visits: int | None
    check_ins: int
    events: int
    """Activity readings in the day; none at all means nobody was at home (or the unit was
    off), which the review leaves out."""
    room_hours: dict[str, list[int]] = field(default_factory=dict)
    """Activity readings per room and local hour (0-23)."""
    alarms: dict[str, int] = field(default_factory=dict)
    """Alarms raised that day, by kind."""
    calls: dict[str, int] = field(default_factory=dict)
    """Well-being calls closed that day, by outcome."""


def window(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The readings :func:`compute` needs for ``day``: from noon the day before to midnight.

    In UTC, as :func:`compute` works (readings in other zones are converted).
    """
    return _at(day - timedelta(days=1), time(12), zone), _at(day + timedelta(days=1), time(0), zone)


def compute(
    day: date,
    zone: tzinfo,
    readings: Sequence[Reading],
    alarms: Mapping[str, int] | None = None,
    calls: Mapping[str, int] | None = None,
) -> DailyIndicators:
    """The indicators of ``day`` in ``zone`` from the home's readings in :func:`window`.

    ``readings`` must be in time order; ``alarms`` and ``calls`` are the day's counts by kind
    and by outcome, which come from the alarm and call tables rather than from events.
    """
    readings = [r if r.ts.tzinfo is UTC else _in_utc(r) for r in readings]
    start = _at(day, time(0), zone)
    end = _at(day + timedelta(days=1), time(0), zone)
    today = [r for r in readings if start <= r.ts < end]
    rooms = {r.room for r in readings}
    beds = [r for r in readings if r.kind == "bed"]
    night_start = _bedtime(beds, _at(day - timedelta(days=1), EVENING, zone), start)
    rise = _rise(day, zone, readings, beds)
    if night_start is None:
        night_start = _at(day - timedelta(days=1), NIGHT_WITHOUT_BED_PAD[0], zone)
    night_end = rise or _at(day, NIGHT_WITHOUT_BED_PAD[1], zone)
    bedtime = _bedtime(beds, _at(day, EVENING, zone), end)
    out_minutes, outings = _time_out(today, start, end)
    return DailyIndicators(
        day=day,
        active_hours=_active_hours(today, start),
        rise_min=None if rise is None else _minutes(rise, zone),
        last_activity_min=_last_activity(today, bedtime, zone),
        out_minutes=out_minutes,
        outings=outings,
        night_bathroom_visits=(
            _visits(_motions(readings, Room.BATHROOM, night_start, night_end), VISIT_GAP)
            if Room.BATHROOM in rooms
            else None
        ),
        night_out_of_bed_minutes=(_out_of_bed(beds, night_start, night_end) if beds else None),
        kitchen_visits=(
            _visits(_motions(today, Room.KITCHEN, start, end), KITCHEN_GAP)
            if Room.KITCHEN in rooms
            else None
        ),
        check_ins=sum(1 for r in today if r.kind == "check_in"),
        events=len(today),
        room_hours=_room_hours(today, zone),
        alarms=dict(alarms or {}),
        calls=dict(calls or {}),
    )


def _at(day: date, when: time, zone: tzinfo) -> datetime:
    # In UTC: Python compares and subtracts two times of one zone by their wall clocks, which
    # is an hour wrong across the autumn change.
    return datetime.combine(day, when, zone).astimezone(UTC)


def _in_utc(reading: Reading) -> Reading:
    return Reading(reading.ts.astimezone(UTC), reading.kind, reading.room, reading.on)


def _minutes(moment: datetime, zone: tzinfo) -> int:
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


def _active_hours(today: Sequence[Reading], start: datetime) -> float:
    slots = {int((r.ts - start) / SLOT) for r in today if r.on or r.kind == "bed"}
    return len(slots) * SLOT.total_seconds() / 3600


def _bedtime(beds: Sequence[Reading], after: datetime, until: datetime) -> datetime | None:
    """The first time in bed from ``after`` that lasts :data:`IN_BED_FOR` (or past ``until``)."""
    for i, reading in enumerate(beds):
        if not reading.on or reading.ts < after or reading.ts >= until:
            continue
        left = next((b.ts for b in beds[i + 1 :] if not b.on), None)
        if left is None or left - reading.ts >= IN_BED_FOR:
            return reading.ts
    return None


def _rise(
    day: date, zone: tzinfo, readings: Sequence[Reading], beds: Sequence[Reading]
) -> datetime | None:
    """The bed left for good in the morning, or without a bed pad the first living-room move."""
    lo, hi = _at(day, MORNING_FROM, zone), _at(day, MORNING_UNTIL, zone)
    if beds:
        for i, reading in enumerate(beds):
            if reading.on or not lo <= reading.ts < hi:
                continue
            back = next((b.ts for b in beds[i + 1 :] if b.on), None)
            if back is None or back - reading.ts >= UP_FOR:
                return reading.ts
        return None
    daytime = (Room.KITCHEN, Room.LIVING, Room.ENTRANCE)
    return next(
        (r.ts for r in readings if lo <= r.ts < hi and r.on and r.room in daytime),
        None,
    )


def _last_activity(today: Sequence[Reading], bedtime: datetime | None, zone: tzinfo) -> int | None:
    last = None
    for reading in today:
        if bedtime is not None and reading.ts >= bedtime:
            break
        if reading.on and reading.kind != "bed":
            last = reading.ts
    return None if last is None else _minutes(last, zone)


def _time_out(today: Sequence[Reading], start: datetime, end: datetime) -> tuple[int, int]:
    """Minutes out and outings: from a door to the next door with nothing moving at home."""
    doors = [r.ts for r in today if r.kind == "door" and r.on]
    out = timedelta(0)
    outings = 0
    for left, back in itertools.pairwise(doors):
        if back - left < OUT_AT_LEAST:
            continue
        quiet_from = left + DOOR_SETTLES
        if any(
            quiet_from <= r.ts < back and r.on and r.kind != "door" and r.room != Room.ENTRANCE
            for r in today
        ):
            continue
        outings += 1
        out += min(back, end) - max(left, start)
    return int(out.total_seconds() // 60), outings


def _motions(
    readings: Sequence[Reading], room: Room, start: datetime, end: datetime
) -> list[datetime]:
    return [r.ts for r in readings if r.room == room and r.on and start <= r.ts < end]


def _visits(moments: Sequence[datetime], gap: timedelta) -> int:
    visits = 0
    previous: datetime | None = None
    for moment in moments:
        if previous is None or moment - previous >= gap:
            visits += 1
        previous = moment
    return visits


def _out_of_bed(beds: Sequence[Reading], start: datetime, end: datetime) -> int:
    out = timedelta(0)
    left: datetime | None = None
    for reading in beds:
        if not reading.on and start <= reading.ts < end:
            left = reading.ts if left is None else left
        elif reading.on and left is not None:
            out += min(reading.ts, end) - left
            left = None
    if left is not None:
        out += end - left
    return int(out.total_seconds() // 60)


def _room_hours(today: Sequence[Reading], zone: tzinfo) -> dict[str, list[int]]:
    hours: dict[str, list[int]] = {}
    for reading in today:
        if reading.on or reading.kind == "bed":
            counts = hours.setdefault(reading.room.value, [0] * 24)
            counts[reading.ts.astimezone(zone).hour] += 1
    return hours
