"""The hub's vocabulary: the values of the enumerations a console lists (``/api/v1/vocabulary``).

Each list is read from the enumeration the hub itself checks against, so a console that takes
its states, outcomes and priorities from here offers what the hub accepts, and a value added
to the hub reaches the console without a second copy in JavaScript. Only the values travel:
the words for each one stay in the console's translation layer.
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
from typing import get_args

from pydantic import BaseModel, Field

from hub.alarms.lifecycle import OPEN_STATES, AlarmState
from hub.alarms.rules import PRIORITY_LEVELS
from hub.alarms.wellbeing_calls import CallOutcome, CallState
from hub.api.models import CareServiceIn, Outcome, ResponderResult
from hub.api.review_models import ReviewOutcome
from hub.api.routing import Call, RouteTable
from hub.auth.users import Role
from hub.reports.figures import Table
from protocol import EventKind, Room, TriggerEvent

ROUTES = RouteTable()


class Vocabulary(BaseModel):
    """The values of the hub's enumerations, each list in the hub's own order."""

    alarm_states: list[AlarmState] = Field(
        description="Every state of an alarm, in its life's order."
    )
    open_alarm_states: list[AlarmState] = Field(
        description="The states in which someone still has to act; the others are closed."
    )
    priorities: list[int] = Field(description="Alarm priorities, the most urgent first.")
    resolve_outcomes: list[Outcome] = Field(
        description="The outcomes ``POST /api/v1/alarms/{alarm_id}/resolve`` accepts."
    )
    responder_results: list[ResponderResult] = Field(
        description="What came of calling a contact (``POST …/responders``)."
    )
    call_states: list[CallState] = Field(description="Where a well-being call task can be.")
    call_outcomes: list[CallOutcome] = Field(
        description="The outcomes ``POST /api/v1/calls/{task_id}/outcome`` accepts."
    )
    roles: list[Role] = Field(description="The roles a user can have.")
    trigger_kinds: list[EventKind] = Field(
        description="Kinds of alarm sensor events, which fire and restore (``value.active``)."
    )
    rooms: list[Room] = Field(
        description="The rooms a device can be in (``PUT …/devices/{device_id}``)."
    )
    review_outcomes: list[ReviewOutcome] = Field(
        description="What a social worker did about a review list entry (``POST …/seen``)."
    )
    care_service_periods: list[str] = Field(
        description="The periods a care plan's service is counted in (``per``)."
    )
    report_tables: list[Table] = Field(
        description="The tables of a district's month: a CSV file each (``…/csv/{table}.csv``)."
    )


VOCABULARY = Vocabulary(
    alarm_states=list(AlarmState),
    open_alarm_states=list(OPEN_STATES),
    priorities=list(PRIORITY_LEVELS),
    resolve_outcomes=list(Outcome),
    responder_results=list(ResponderResult),
    call_states=list(CallState),
    call_outcomes=list(CallOutcome),
    roles=list(Role),
    trigger_kinds=list(get_args(TriggerEvent.model_fields["kind"].annotation)),
    rooms=list(Room),
    review_outcomes=list(ReviewOutcome),
    care_service_periods=list(get_args(CareServiceIn.model_fields["per"].annotation)),
    report_tables=list(Table),
)
"""Built once: the enumerations do not change while the hub runs."""


@ROUTES.get("/api/v1/vocabulary", "The values of the hub's enumerations, for consoles")
async def vocabulary(_call: Call) -> Vocabulary:
    """Alarm states, priorities, outcomes, call states, roles, trigger kinds and rooms.

    Nothing here is secret, but the API's rule stays one rule: besides signing in, only its
    OpenAPI description answers a caller who is not signed in.
    """
    return VOCABULARY
