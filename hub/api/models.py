"""Bodies of the REST API: what comes in (checked strictly) and what goes out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from hub.alarms.lifecycle import AlarmState


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginRequest(_In):
    """Body of ``POST /api/v1/auth/login``."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


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

    text: str = Field(min_length=1, max_length=4000)


class ResolveRequest(_In):
    """Body of ``POST …/resolve``."""

    outcome: Outcome
    notes: str | None = Field(default=None, max_length=4000)


class CancelRequest(_In):
    """Body of ``POST …/cancel`` (an operator closing an alarm nobody needs, with why)."""

    reason: str = Field(min_length=1, max_length=1000)


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
    """A page of alarms, newest first; ask for the next with ``before=next_before``."""

    items: list[AlarmOut]
    next_before: datetime | None


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
