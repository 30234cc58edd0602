"""The centre's homes and their people, and the rows the rules read at a moment of the day."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING, TypeAlias
from zoneinfo import ZoneInfo

from hub.zones import DEFAULT_TIME_ZONE

if TYPE_CHECKING:
    from collections.abc import Sequence

Row: TypeAlias = tuple[object, ...]

ZONE = ZoneInfo(DEFAULT_TIME_ZONE)
HOME_PREFIX = "wb"
MOMENTS = {"night": clock(3, 0), "morning": clock(9, 30)}
BED, DOOR, THERMOMETER = "bed-pad", "door-front", "thermo-living"
DEVICES = ("pendant", BED, DOOR, THERMOMETER, "pir-hall")
ROUTINES = {"still": 0.008, "wanders": 0.004, "night_door": 0.003, "late": 0.005}
"""Shares of homes whose person does what the rules look for; the rest are ``usual``."""
ROOMS = {"cold": 0.002, "cooling": 0.002, "hot": 0.0005}
"""Shares of rooms out of range; the rest are ``warm``."""
NIGHT_VISIT_SHARE = 0.3
MORNING_OUTING_SHARE = 0.25
SILENT_DEVICE_SHARE = 0.003
UNIT_OFFLINE_SHARE = 0.002
READING_EVERY = timedelta(minutes=30)
READINGS_BACK = timedelta(hours=3)


def at(day: date, hours: float) -> datetime:
    """``hours`` after the local midnight starting ``day`` (negative: before), in UTC."""
    return (datetime.combine(day, clock(), ZONE) + timedelta(hours=hours)).astimezone(UTC)


def moment(day: date, label: str) -> datetime:
    """The moment ``label`` (night or morning, :data:`MOMENTS`) of ``day``, in UTC."""
    return datetime.combine(day, MOMENTS[label], ZONE).astimezone(UTC)


def minutes(value: float) -> timedelta:
    """A timedelta of ``value`` minutes."""
    return timedelta(minutes=value)


def pick(rng: random.Random, shares: dict[str, float], rest: str) -> str:
    """One of ``shares``' keys with its probability, else ``rest``."""
    draw = rng.random()
    for name, share in shares.items():
        if draw < share:
            return name
        draw -= share
    return rest


def new_id(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID from ``rng`` (so that a seed gives the same rows)."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass(frozen=True, slots=True)
class Home:
    """One home's person and devices, as far as the two moments need them."""

    home_id: str
    routine: str
    """``usual``, or one of :data:`ROUTINES`."""
    room: str
    """``warm``, or one of :data:`ROOMS`."""
    bedtime: datetime
    night_visit: tuple[datetime, datetime] | None
    """Out of bed and back, before 03:00."""
    wake: datetime
    still_since: datetime
    still_in_bed: bool
    left_bed: datetime
    night_opening: datetime
    day_opening: datetime
    morning_outing: bool
    warmth: float
    """The room's usual temperature."""
    phase: timedelta
    """When in each half hour the thermometer reads."""
    silent_device: str | None
    silent_since: datetime
    offline_since: datetime | None


def make_homes(count: int, seed: int, day: date) -> list[Home]:
    """``count`` homes, the same for the same seed and day."""
    rng = random.Random(seed)  # noqa: S311 - people's habits, not secrets
    night = at(day, 3)
    made = []
    for n in range(count):
        bedtime = at(day, rng.uniform(-2.5, -0.25))
        visit = None
        if rng.random() < NIGHT_VISIT_SHARE:
            span = (night - bedtime).total_seconds() / 60 - 50
            out = bedtime + minutes(30 + rng.uniform(0, span))
            visit = (out, out + minutes(rng.uniform(3, 15)))
        made.append(
            Home(
                home_id=f"{HOME_PREFIX}-{n:06d}",
                routine=pick(rng, ROUTINES, "usual"),
                room=pick(rng, ROOMS, "warm"),
                bedtime=bedtime,
                night_visit=visit,
                wake=at(day, rng.uniform(6.0, 9.25)),
                still_since=night - timedelta(hours=rng.uniform(13, 40)),
                still_in_bed=rng.random() < 0.5,
                left_bed=night - minutes(rng.uniform(50, 150)),
                night_opening=night - minutes(rng.uniform(10, 200)),
                day_opening=at(day, rng.uniform(-16, -4)),
                morning_outing=rng.random() < MORNING_OUTING_SHARE,
                warmth=rng.uniform(18.5, 23.0),
                phase=timedelta(seconds=rng.uniform(0, READING_EVERY.total_seconds())),
                silent_device=rng.choice(DEVICES) if rng.random() < SILENT_DEVICE_SHARE else None,
                silent_since=night - timedelta(days=rng.uniform(2, 10)),
                offline_since=(
                    night - timedelta(hours=rng.uniform(3, 20))
                    if rng.random() < UNIT_OFFLINE_SHARE
                    else None
                ),
            )
        )
    return made


@dataclass(slots=True)
class State:
    """The rows of the tables the rules read, for all homes at one moment."""

    activity: list[Row] = field(default_factory=list)
    sensors: list[Row] = field(default_factory=list)
    devices: list[Row] = field(default_factory=list)
    readings: list[Row] = field(default_factory=list)


def celsius_at(home: Home, moment: datetime, now: datetime, cooled: datetime) -> float:
    """The thermometer's reading at ``moment``, for the state at ``now``."""
    if home.room == "cold" or (home.room == "cooling" and moment >= cooled):
        return 15.9 - (now - moment).total_seconds() / 3600 * 0.3 - 0.4 * (home.warmth - 18.5)
    if home.room == "hot":
        return 30.5 + (home.warmth - 18.5) * 0.5
    return home.warmth + 0.3 * ((moment.minute % 7) - 3) / 3


def state_at(people: Sequence[Home], label: str, now: datetime, seed: int) -> State:
    """Every home's rows as they stand at ``now`` (``label``: night or morning)."""
    rng = random.Random(f"{seed}:{label}")  # noqa: S311 - readings, not secrets
    morning = label == "morning"
    state = State()
    for home in people:
        add_home(state, home, now, rng, morning=morning)
    return state


def add_home(state: State, home: Home, now: datetime, rng: random.Random, *, morning: bool) -> None:
    """Append ``home``'s rows at ``now`` to ``state``."""
    up = morning and home.routine in {"usual", "wanders", "night_door"}
    if home.routine == "still":
        last, in_bed, bed_at = home.still_since, home.still_in_bed, home.still_since
    elif home.routine == "wanders" and not morning:
        last, in_bed, bed_at = home.left_bed + minutes(rng.uniform(0, 25)), False, home.left_bed
    elif up:
        since_up = (now - home.wake).total_seconds() / 60
        last, in_bed, bed_at = now - minutes(rng.uniform(0, min(40, since_up))), False, home.wake
    else:  # asleep, or (late) still in bed in the morning
        back = home.night_visit[1] if home.night_visit else home.bedtime
        last, in_bed, bed_at = back, True, back
    opened = home.night_opening if home.routine == "night_door" else home.day_opening
    if up and home.morning_outing and home.routine != "night_door":
        out = home.wake + minutes(rng.uniform(15, 60))
        opened = out if out < now else opened
    cooled = now - minutes(rng.uniform(15, 40))
    times = [
        now - READINGS_BACK + home.phase + k * READING_EVERY
        for k in range(int(READINGS_BACK / READING_EVERY) + 1)
    ]
    readings = [
        (moment, celsius_at(home, moment, now, cooled)) for moment in times if moment <= now
    ]
    seen = {device: now - minutes(rng.uniform(0, 90)) for device in DEVICES}
    if home.silent_device is not None:
        seen[home.silent_device] = home.silent_since
    if home.offline_since is not None:
        # Nothing has come from the home since its unit went: the state is as it was then.
        cut = home.offline_since
        last, in_bed, bed_at = cut - minutes(rng.uniform(0, 30)), False, cut
        opened = cut - timedelta(hours=rng.uniform(1, 6))
        readings = [(cut - minutes(rng.uniform(0, 30)), home.warmth)]
        seen = {device: min(moment, cut) for device, moment in seen.items()}
    else:
        for moment, celsius in readings:
            state.readings.append(
                (
                    new_id(rng),
                    moment,
                    moment + timedelta(seconds=rng.uniform(0.2, 3)),
                    home.home_id,
                    THERMOMETER,
                    "temperature",
                    int(moment.timestamp()),
                    "living",
                    json.dumps({"celsius": round(celsius, 1)}),
                )
            )
    state.activity.append((home.home_id, last))
    last_reading, celsius = readings[-1]
    closed = opened + timedelta(seconds=rng.uniform(5, 120))
    state.sensors.extend(
        [
            (home.home_id, BED, "bed", json.dumps({"occupied": in_bed}), bed_at, None),
            (home.home_id, DOOR, "door", json.dumps({"open": False}), closed, opened),
            (
                home.home_id,
                THERMOMETER,
                "temperature",
                json.dumps({"celsius": round(celsius, 1)}),
                last_reading,
                None,
            ),
        ]
    )
    heartbeat = max(seen.values()) if home.offline_since is not None else now
    for device, last_seen in seen.items():
        state.devices.append(
            (
                home.home_id,
                device,
                rng.randint(20, 100),
                rng.randint(-90, -40),
                last_seen,
                heartbeat,
            )
        )
