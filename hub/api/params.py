"""Path and query parameters of the API, as models the route table reads them into.

Ids in paths are the wire contract's own (``protocol.base``): a home or device id that could
never have been registered is a 422 naming it, never a query with a NUL or a slash in it.
Query times are RFC 3339 with an offset, as in every message (any year: a bound of a
range asked for is not a clock's reading).
"""

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from hub.alarms.lifecycle import OPEN_STATES, AlarmState
from hub.api.activity_models import ActivityRange
from hub.fields import RAW_TEXT_PATTERN, TEXT_PATTERN
from hub.reports.figures import Table
from hub.reports.monthly import MONTH_PATTERN
from protocol.base import DeviceId, HomeId, Instant

PAGE_MAX = 200
SEARCH_MAX = 64

Limit = Annotated[int, Field(ge=1, le=PAGE_MAX, description=f"At most {PAGE_MAX} items.")]

_STATE = "|".join(state.value for state in AlarmState)
STATES_PATTERN = rf"^(open|all|({_STATE})(,({_STATE}))*)$"


class _Params(BaseModel):
    """Parameters read from the path or the query string (text, converted where typed)."""

    # Unknown query parameters are ignored, as web clients add their own (cache busters).
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class AlarmPath(_Params):
    """An alarm in the path."""

    alarm_id: UUID


class TaskPath(_Params):
    """A well-being call task in the path."""

    task_id: UUID


class HomePath(_Params):
    """A home in the path."""

    home_id: HomeId


class ResidentPath(HomePath):
    """A resident of a home in the path."""

    resident_id: UUID


class DevicePath(HomePath):
    """A device of a home in the path."""

    device_id: DeviceId


class AlarmQuery(_Params):
    """What ``GET /api/v1/alarms`` lists: states, a home or a search, a page."""

    state: str = Field(
        default="open",
        pattern=STATES_PATTERN,
        description="open, all, or alarm states separated by commas: "
        + ", ".join(state.value for state in AlarmState),
    )
    home_id: HomeId | None = None
    q: str | None = Field(
        default=None,
        max_length=SEARCH_MAX,
        pattern=RAW_TEXT_PATTERN,
        description="Part of a home id or a resident's name.",
    )
    limit: Limit = 50
    before: Instant | None = Field(default=None, description="The previous page's next_before.")
    before_id: UUID | None = Field(default=None, description="The previous page's next_before_id.")

    @property
    def states(self) -> list[AlarmState]:
        """The states asked for."""
        if self.state == "open":
            return list(OPEN_STATES)
        if self.state == "all":
            return list(AlarmState)
        return [AlarmState(s) for s in self.state.split(",")]

    @property
    def search(self) -> str | None:
        """The search text, when there is any besides spaces."""
        return (self.q or "").strip() or None


class CallQuery(_Params):
    """What ``GET /api/v1/calls`` lists."""

    state: Literal["open", "all"] = "open"
    home_id: HomeId | None = None
    limit: Limit = 100


class HomesQuery(_Params):
    """A page of homes."""

    limit: Limit = 200


class EventsQuery(_Params):
    """A home's events in a time range (the last day when not given)."""

    start: Instant | None = Field(default=None, alias="from")
    end: Instant | None = Field(default=None, alias="to")
    limit: Limit = 200
    order: Literal["oldest", "newest"] = "oldest"


class ActivityQuery(_Params):
    """How much of a person's history the page shows, ending on which day."""

    # Inline, not a reference to $defs: the document's parameters are written out in place.
    range: Annotated[
        ActivityRange,
        WithJsonSchema(
            {"type": "string", "enum": [r.value for r in ActivityRange], "default": "12w"}
        ),
    ] = ActivityRange.TWELVE_WEEKS
    until: date | None = Field(
        default=None, description="The last day shown (the home's yesterday when not given)."
    )


class DuePlansQuery(_Params):
    """Which care plans ``GET /api/v1/care-plans/due`` lists."""

    within_days: int = Field(
        default=0,
        ge=0,
        le=366,
        description="Plans whose review falls on or before the home's today plus this many"
        " days (0: due today or overdue).",
    )


class DistrictMonthPath(_Params):
    """A district and a calendar month in the path."""

    district: str = Field(min_length=1, max_length=64, pattern=TEXT_PATTERN)
    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM, 1970 to 2199.")


class DistrictTablePath(DistrictMonthPath):
    """A district, a month and one table of its figures in the path."""

    # Inline, not a reference to $defs: the document's parameters are written out in place.
    table: Annotated[
        Table, WithJsonSchema({"type": "string", "enum": [table.value for table in Table]})
    ]
