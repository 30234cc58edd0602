"""Bodies of the REST API: what comes in (checked strictly) and what goes out.

Request bodies are strict JSON (pydantic's strict mode): booleans are ``true``/``false``,
integers are not floats or strings, dates ``YYYY-MM-DD`` and times of day ``HH:MM[:SS]``
strings. Every string is :data:`hub.fields.Text`: taken as sent (never stripped, so its length
is the length sent), refused when it holds NUL or starts or ends with whitespace. The rules
and why are in :mod:`hub.fields`; the OpenAPI document shows each as the field's pattern.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from hub.alarms.lifecycle import AlarmState
from hub.alarms.settings import WellbeingSettings
from hub.fields import (
    AS_WHOLE,
    TEXT_PATTERN,
    WORDED_TEXT,
    Day,
    LocalTime,
    OptionalText,
    RawText,
    Text,
    Weekday,
    WholeNumber,
)
from hub.zones import ZONE_NAMES, known_zone
from protocol import Room


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LoginRequest(_In):
    """Body of ``POST /api/v1/auth/login``."""

    username: Text = Field(min_length=1, max_length=64)
    password: RawText = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    """Who is signed in; ``csrf_token`` goes in the ``X-CSRF-Token`` header of every change."""

    username: str
    role: str
    districts: list[str]
    csrf_token: str | None = None


class Outcome(StrEnum):
    """How an alarm ended, for the record and the service's figures."""

    RESOLVED_BY_PHONE = "resolved_by_phone"
    RESPONDER_SENT = "responder_sent"
    RELATIVE_CONTACTED = "relative_contacted"
    EMERGENCY_SERVICES = "emergency_services"
    FALSE_ALARM = "false_alarm"
    TECHNICAL_FIXED = "technical_fixed"
    TEST = "test"


class NoteRequest(_In):
    """Body of ``POST …/notes``."""

    text: Text = Field(min_length=1, max_length=4000)


class ResolveRequest(_In):
    """Body of ``POST …/resolve``."""

    outcome: Outcome
    notes: OptionalText = Field(default=None, max_length=4000)


class ResponderResult(StrEnum):
    """What came of calling a contact or responder."""

    NO_ANSWER = "no_answer"
    REACHED = "reached"
    ON_THE_WAY = "on_the_way"
    ARRIVED = "arrived"
    DECLINED = "declined"


class ResponderRequest(_In):
    """Body of ``POST …/responders``: a contact or responder called for this alarm."""

    name: Text = Field(min_length=1, max_length=200)
    phone: OptionalText = Field(default=None, max_length=40)
    result: ResponderResult
    notes: OptionalText = Field(default=None, max_length=1000)


class CancelRequest(_In):
    """Body of ``POST …/cancel`` (an operator closing an alarm nobody needs, with why)."""

    reason: Text = Field(min_length=1, max_length=1000)


class AlarmOut(BaseModel):
    """An alarm in a list."""

    alarm_id: UUID
    home_id: str
    district: str
    kind: str
    priority: int
    state: AlarmState
    reason_key: str
    reason_params: dict[str, str]
    raised_at: datetime
    last_trigger_at: datetime
    trigger_count: int
    escalated_at: datetime | None
    claimed_by: str | None
    closed_at: datetime | None
    outcome: str | None


class AlarmPage(BaseModel):
    """A page of alarms, newest first.

    Ask for the next with ``before=next_before&before_id=next_before_id``.
    """

    items: list[AlarmOut]
    next_before: datetime | None
    next_before_id: UUID | None


class TimelineEntry(BaseModel):
    """One change of an alarm: who, when, what."""

    at: datetime
    actor: str
    action: str
    from_state: AlarmState | None
    to_state: AlarmState | None
    detail: dict[str, Any]


class AlarmDetail(AlarmOut):
    """One alarm with its whole timeline."""

    timeline: list[TimelineEntry]


class FieldProblem(BaseModel):
    """What is wrong with one field of a request."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error the API returns."""

    error: str
    fields: list[FieldProblem] = Field(default_factory=list)
    code: str | None = Field(
        default=None,
        description="A stable key for the error, for a console to put into its own language.",
    )
    params: dict[str, str] = Field(default_factory=dict, description="The code's values.")


class HomeIn(_In):
    """Body of ``POST /api/v1/homes`` (registering a home unit's home)."""

    home_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    district: Text = Field(min_length=1, max_length=64)


class HomeSummary(BaseModel):
    """A home in a list."""

    home_id: str
    district: str
    online: bool | None
    last_seen: datetime | None
    residents: list[str]


class HomeList(BaseModel):
    """Homes, by id."""

    items: list[HomeSummary]


class ResidentIn(_In):
    """A resident, as entered by staff."""

    full_name: Text = Field(min_length=1, max_length=200)
    address: Text = Field(min_length=1, max_length=500)
    date_of_birth: Day | None = None
    language: Literal["it", "en"] = "it"
    medical_notes: Text = Field(default="", max_length=4000)
    care_notes: Text = Field(default="", max_length=4000)
    key_safe: Text = Field(
        default="", max_length=500, description="Where the key safe is, and its code."
    )


class ResidentOut(ResidentIn):
    """A resident with their id."""

    resident_id: UUID


class ContactIn(_In):
    """A person to call for this home."""

    name: Text = Field(min_length=1, max_length=200)
    relation: Text = Field(default="", max_length=100)
    phone: str = Field(
        pattern=r"^\+?[0-9][0-9 ()-]{1,30}[0-9()-]$",
        description="Digits, spaces, brackets and dashes, with a leading + if international.",
    )
    responder: bool = False
    has_key: bool = False
    notes: Text = Field(default="", max_length=1000)


class ContactsIn(_In):
    """Body of ``PUT …/contacts``: the whole list, in calling order."""

    contacts: list[ContactIn] = Field(max_length=20)


class DeviceOut(BaseModel):
    """A device as the home unit's heartbeats report it, and the room it is in."""

    device_id: str
    battery_percent: int | None
    signal_dbm: int | None
    last_seen: datetime | None
    room: Room | None = Field(description="Where the device is; null until someone sets it.")


class DeviceIn(_In):
    """Body of ``PUT …/devices/{device_id}``: where the device is."""

    room: Room | None = Field(description="The device's room; null for unknown.")


class PresenceOut(BaseModel):
    """Whether the home unit is there."""

    online: bool
    status_reason: str | None
    last_seen: datetime
    power: str | None
    outbox_depth: int | None


class CallScheduleIn(_In):
    """One resident's well-being calls: which weekdays, at what local time."""

    resident_id: UUID | None = Field(
        default=None, description="Who is called (None: whoever answers at the home)."
    )
    weekdays: list[Weekday] = Field(
        min_length=1,
        max_length=7,
        description="ISO weekdays: 1 Monday ... 7 Sunday, each once.",
        json_schema_extra={"uniqueItems": True},
    )
    at: LocalTime = Field(description="Local time of the call, in the home's time zone.")
    retry_minutes: WholeNumber = Field(default=30, ge=5, le=12 * 60)
    attempts: WholeNumber = Field(
        default=3, ge=1, le=10, description="Attempts before an unanswered call raises an alarm."
    )

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("a weekday is named twice")
        return sorted(value)


class HomeDetail(BaseModel):
    """A home's card: its residents, contacts in calling order, devices and presence."""

    home_id: str
    district: str
    residents: list[ResidentOut]
    contacts: list[ContactIn]
    devices: list[DeviceOut]
    presence: PresenceOut | None
    rules: RulesIn
    call_schedules: list[CallScheduleIn]


class EventOut(BaseModel):
    """An event as the hub stored it."""

    event_id: UUID
    ts: datetime
    device_id: str
    kind: str
    seq: int
    location: str | None
    value: dict[str, Any]


class EventPage(BaseModel):
    """A home's events in a time range, oldest first."""

    items: list[EventOut]


class RulesIn(_In):
    """A home's rule settings (``PUT …/rules``)."""

    time_zone: Text = Field(
        default="Europe/Rome", max_length=64, json_schema_extra={"enum": list(ZONE_NAMES)}
    )
    check_in_before: LocalTime | None = Field(
        default=None, description="The daily check-in press is expected before this local time."
    )
    wellbeing: WellbeingSettings = Field(
        default_factory=WellbeingSettings,
        description="The wellbeing and device rules; a rule left out gets its defaults.",
    )

    _known_zone = field_validator("time_zone")(known_zone)


class CallSchedulesIn(_In):
    """Body of ``PUT …/call_schedule``: the home's whole plan of well-being calls."""

    schedules: list[CallScheduleIn] = Field(max_length=20)


class CallAttempt(BaseModel):
    """One attempt at a well-being call."""

    at: datetime
    by: str
    outcome: str
    notes: str | None = None


class CallOut(BaseModel):
    """A well-being call task in the operators' queue (below alarms)."""

    task_id: UUID
    home_id: str
    district: str
    resident_id: UUID | None
    resident_name: str | None
    planned_at: datetime
    next_try_at: datetime
    due: bool
    state: Literal["open", "claimed", "done", "unanswered", "skipped"]
    attempts: int
    max_attempts: int
    claimed_by: str | None
    outcome: str | None
    alarm_id: UUID | None = Field(description="The alarm raised when every attempt failed.")
    closed_at: datetime | None
    log: list[CallAttempt]


class CallPage(BaseModel):
    """Call tasks: open ones by when they are due, else the latest first."""

    items: list[CallOut]


class CallOutcomeRequest(_In):
    """Body of ``POST /api/v1/calls/{task_id}/outcome``."""

    outcome: Literal["spoke", "no_answer", "skipped"]
    notes: OptionalText = Field(default=None, max_length=4000)


class CareServiceIn(_In):
    """One service a care plan agrees: what it is, who provides it, how often."""

    what: Text = Field(
        min_length=1,
        max_length=200,
        description="The service, e.g. a well-being call, a visit, meals delivered.",
    )
    provider: Text = Field(
        min_length=1,
        max_length=200,
        description="Who provides it: the centre, a third-sector partner, the family...",
    )
    times: WholeNumber = Field(ge=1, le=100, description="How many times in each period.")
    per: Literal["day", "week", "month"] = Field(description="The period the times are counted in.")


Goal = Annotated[
    Annotated[str, StringConstraints(pattern=TEXT_PATTERN, min_length=1, max_length=1000)],
    WORDED_TEXT,
]
"""One goal of a care plan (its lengths inside: see :data:`hub.fields.WORDED_TEXT`)."""

PlanVersion = Annotated[Annotated[int, Field(ge=0, le=1_000_000)] | None, AS_WHOLE]
"""A care plan's version number, 0 for none yet, or null."""


class CarePlanIn(_In):
    """Body of ``PUT …/care-plan``: the whole plan, saved as its next version."""

    resident_id: UUID | None = Field(
        default=None, description="The resident the plan is for (None: the home as a whole)."
    )
    goals: list[Goal] = Field(min_length=1, max_length=20)
    services: list[CareServiceIn] = Field(default_factory=list, max_length=30)
    responsible: Text = Field(
        min_length=1,
        max_length=64,
        description="Username of the social worker who answers for the plan: a social"
        " worker, supervisor or admin who serves the home's district.",
    )
    next_review: Day = Field(description="When the plan is next reviewed.")
    notes: Text = Field(default="", max_length=4000)
    based_on_version: PlanVersion = Field(
        default=None,
        description="The version this change was made from (0: there was no plan). When given"
        " and another version has been saved since, the answer is 409 and nothing is saved.",
    )


class CarePlanVersion(BaseModel):
    """One version of a home's care plan, with who saved it and when."""

    home_id: str
    version: int
    resident_id: UUID | None
    goals: list[str]
    services: list[CareServiceIn]
    responsible: str
    next_review: Day
    notes: str
    saved_by: str
    saved_at: datetime


class CarePlanOut(BaseModel):
    """A home's care plan: the version in force, and every version, newest first."""

    home_id: str
    current: CarePlanVersion | None = Field(description="None: the home has no plan yet.")
    history: list[CarePlanVersion]


class DuePlanOut(BaseModel):
    """A plan in force whose review is due."""

    home_id: str
    district: str
    version: int
    resident_id: UUID | None
    resident_name: str | None = Field(
        description="The plan's resident (None: the plan is for the home, or they moved out)."
    )
    residents: list[str] = Field(description="Everyone living in the home now, by name.")
    responsible: str
    next_review: Day


class DuePlanList(BaseModel):
    """Plans due for review, the earliest review first."""

    items: list[DuePlanOut]


class Deleted(BaseModel):
    """What a DELETE removed."""

    deleted: str


class SignedOut(BaseModel):
    """The answer to signing out."""

    signed_out: Literal[True]


class QueueCounts(BaseModel):
    """Open alarms by state, and well-being calls due now."""

    raised: int
    claimed: int
    in_progress: int
    calls_due: int


class OperatorOut(BaseModel):
    """An operator or supervisor and what they hold now."""

    username: str
    role: str
    signed_in: bool
    alarms: list[UUID]
    calls: list[UUID]


class AnswerTimesOut(BaseModel):
    """Today's alarms against the monitoring standard (answered = claimed by an operator)."""

    alarms: int = Field(description="Alarms judged against the 60 s target so far today.")
    within_60s: int
    within_180s: int
    judged_180s: int
    share_60s: float | None
    share_180s: float | None
    goal_60s: float
    goal_180s: float


class StatsToday(BaseModel):
    """A supervisor's figures (``GET /api/v1/stats/today``)."""

    since: datetime
    queue: QueueCounts
    operators: list[OperatorOut]
    answered: AnswerTimesOut


class WebRtcConfig(BaseModel):
    """What a console's browser needs for calls (``GET /api/v1/webrtc``)."""

    ice_servers: list[dict[str, Any]]
