"""The review list through the API: its path and query parameters and its bodies.

Parameters are read as :mod:`hub.api.params` reads them (unknown query parameters ignored,
strict), bodies as :mod:`hub.api.models` (strict JSON, unknown fields refused).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from hub.fields import TEXT_PATTERN, Text
from hub.review.settings import ReviewSettings

PAGE_MAX = 200


class _Params(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class ReviewEntryPath(_Params):
    """An entry of the review list in the path."""

    entry_id: UUID


class DistrictPath(_Params):
    """A district in the path, as homes are registered in it."""

    district: Annotated[str, Field(min_length=1, max_length=64, pattern=TEXT_PATTERN)]


class ReviewQuery(_Params):
    """A page of the review list."""

    limit: Annotated[int, Field(ge=1, le=PAGE_MAX, description=f"At most {PAGE_MAX}.")] = PAGE_MAX


class ReviewOutcome(StrEnum):
    """What a social worker did about an entry."""

    HOME_VISIT = "home_visit"
    """A home visit planned."""
    GP_INFORMED = "gp_informed"
    FAMILY_CALLED = "family_called"
    NOTHING_TO_DO = "nothing_to_do"


class SeenRequest(BaseModel):
    """Body of ``POST /api/v1/review/{entry_id}/seen``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    outcome: ReviewOutcome
    note: Text = Field(default="", max_length=4000)


class ReviewEntryOut(BaseModel):
    """An entry of the review list: who, which change, in words (a key) and numbers."""

    entry_id: UUID
    home_id: str
    district: str
    resident_name: str | None = Field(
        description="The home's residents by name, separated by commas (null: none registered)."
    )
    indicator: str = Field(
        description="active_hours, night_bathroom_visits, outings, rise_min,"
        " night_out_of_bed_minutes or kitchen_visits."
    )
    direction: str = Field(description="up or down.")
    state: str = Field(description="open, or seen by a social worker.")
    opened_on: date = Field(description="The home's local day the change was first found.")
    last_found_on: date = Field(description="The latest local day it was found.")
    recent: float = Field(
        description="The last 14 days (median, or trimmed mean for counts); outings: 0."
    )
    usual: float = Field(description="The same of the 8 weeks before; outings: a day.")
    spread: float = Field(
        description="The usual day-to-day spread; outings: the usual share of days out."
    )
    change: float = Field(description="Recent against usual, the way it moved; outings: days.")
    days: int = Field(description="Days at home counted; outings: days in a row without one.")
    reason_key: str = Field(
        description="review.<indicator>.<up|down>, or review.outings.none: the console's words."
    )
    reason_params: dict[str, str] = Field(
        description="recent, usual, days (rise_min: times as HH:MM); outings: days, usual_share"
        " (per cent)."
    )
    outcome: ReviewOutcome | None
    seen_by: str | None
    seen_at: datetime | None
    note: str
    updated_at: datetime


class ReviewList(BaseModel):
    """Entries of the review list, newest first."""

    items: list[ReviewEntryOut]


class ReviewSettingsOut(BaseModel):
    """A district's review thresholds, and who changed them last (null: the defaults)."""

    district: str
    settings: ReviewSettings
    updated_by: str | None
    updated_at: datetime | None
