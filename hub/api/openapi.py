"""The OpenAPI 3.1 document of ``/api/v1``, generated from the API's pydantic models."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic.json_schema import models_json_schema

from hub.api.models import (
    AlarmDetail,
    AlarmOut,
    AlarmPage,
    CallOut,
    CallOutcomeRequest,
    CallPage,
    CallSchedulesIn,
    CancelRequest,
    ContactsIn,
    Deleted,
    ErrorBody,
    EventPage,
    HomeDetail,
    HomeIn,
    HomeList,
    HomeSummary,
    LoginRequest,
    Me,
    NoteRequest,
    ResidentIn,
    ResidentOut,
    ResolveRequest,
    ResponderRequest,
    RulesIn,
    StatsToday,
    WebRtcConfig,
)
from hub.api.vocabulary_routes import Vocabulary
from runtime import __version__

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.json_schema import JsonSchemaMode

_REF = "#/components/schemas/{model}"
_ERRORS = {
    "401": "not signed in, or a bad token",
    "403": "signed in, but not allowed (role, or a change without the CSRF header)",
    "404": "no such alarm, or not in the caller's districts",
    "409": "the alarm's state does not allow this (the body says why)",
    "422": "a field of the request is not valid (the body names it)",
    "429": "too many failed sign-ins from this address or for this user name: wait",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _content(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _operation(
    summary: str,
    response: type[BaseModel],
    body: type[BaseModel] | None = None,
    errors: tuple[str, ...] = ("401", "403", "404", "422"),
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            "200": {"description": "done", "content": _content(response)},
            **{
                code: {"description": _ERRORS[code], "content": _content(ErrorBody)}
                for code in errors
            },
        },
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _content(body)}
    if parameters:
        operation["parameters"] = parameters
    return operation


_ALARM_ID = [
    {
        "name": "alarm_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
]
_HOME_ID = [{"name": "home_id", "in": "path", "required": True, "schema": {"type": "string"}}]
_RESIDENT_ID = {
    "name": "resident_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
_TASK_ID = [
    {
        "name": "task_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
]
_CALL_ERRORS = ("401", "403", "404", "409", "422")
_RANGE = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
]
_LIST = [
    {
        "name": "state",
        "in": "query",
        "schema": {"type": "string", "default": "open"},
        "description": "open, all, or states separated by commas",
    },
    {"name": "home_id", "in": "query", "schema": {"type": "string"}},
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
    {
        "name": "before",
        "in": "query",
        "schema": {"type": "string", "format": "date-time"},
        "description": "the previous page's next_before",
    },
    {
        "name": "before_id",
        "in": "query",
        "schema": {"type": "string", "format": "uuid"},
        "description": "the previous page's next_before_id",
    },
]


def _action(summary: str, body: type[BaseModel] | None = None) -> dict[str, Any]:
    return {
        "post": _operation(summary, AlarmOut, body, ("401", "403", "404", "409", "422"), _ALARM_ID)
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The whole document (built once)."""
    models: list[type[BaseModel]] = [
        LoginRequest,
        Me,
        NoteRequest,
        ResolveRequest,
        CancelRequest,
        AlarmOut,
        AlarmPage,
        AlarmDetail,
        ErrorBody,
        HomeIn,
        HomeSummary,
        HomeList,
        HomeDetail,
        ResidentIn,
        ResidentOut,
        ContactsIn,
        EventPage,
        RulesIn,
        ResponderRequest,
        CallSchedulesIn,
        CallOut,
        CallPage,
        CallOutcomeRequest,
        Deleted,
        StatsToday,
        WebRtcConfig,
        Vocabulary,
    ]
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in models]
    _, schema = models_json_schema(modes, ref_template=_REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Telecare operator API", "version": __version__},
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "telecare_session"},
                "token": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"session": []}, {"token": []}],
        "paths": {
            "/api/v1/auth/login": {
                "post": {
                    **_operation(
                        "Sign in; sets the session cookie", Me, LoginRequest, ("401", "422", "429")
                    ),
                    "security": [],
                }
            },
            "/api/v1/auth/logout": {
                "post": {"summary": "Sign out", "responses": {"200": {"description": "done"}}}
            },
            "/api/v1/auth/me": {"get": _operation("Who is signed in", Me, errors=("401",))},
            "/api/v1/alarms": {
                "get": _operation(
                    "Alarms, newest first", AlarmPage, errors=("401", "422"), parameters=_LIST
                )
            },
            "/api/v1/alarms/{alarm_id}": {
                "get": _operation("One alarm with its timeline", AlarmDetail, parameters=_ALARM_ID)
            },
            "/api/v1/homes": {
                "get": _operation(
                    "Homes of the caller's districts", HomeList, errors=("401", "422")
                ),
                "post": _operation(
                    "Register a home (admin)", HomeSummary, HomeIn, ("401", "403", "409", "422")
                ),
            },
            "/api/v1/homes/{home_id}": {
                "get": _operation(
                    "A home's card: residents, contacts, devices, presence",
                    HomeDetail,
                    parameters=_HOME_ID,
                )
            },
            "/api/v1/homes/{home_id}/residents": {
                "post": _operation("Add a resident", ResidentOut, ResidentIn, parameters=_HOME_ID)
            },
            "/api/v1/homes/{home_id}/residents/{resident_id}": {
                "put": _operation(
                    "Replace a resident",
                    ResidentOut,
                    ResidentIn,
                    parameters=[*_HOME_ID, _RESIDENT_ID],
                ),
                "delete": _operation(
                    "Remove a resident (moved out); their planned calls go with them",
                    Deleted,
                    parameters=[*_HOME_ID, _RESIDENT_ID],
                ),
            },
            "/api/v1/homes/{home_id}/contacts": {
                "put": _operation(
                    "Replace the contacts, in calling order",
                    ContactsIn,
                    ContactsIn,
                    parameters=_HOME_ID,
                )
            },
            "/api/v1/homes/{home_id}/rules": {
                "put": _operation(
                    "Set the home's rules (time zone, daily check-in deadline, wellbeing rules)",
                    RulesIn,
                    RulesIn,
                    parameters=_HOME_ID,
                )
            },
            "/api/v1/homes/{home_id}/devices/{device_id}": {
                "delete": _operation(
                    "Forget a device taken out of the home (no longer supervised)",
                    Deleted,
                    parameters=[
                        *_HOME_ID,
                        {
                            "name": "device_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                )
            },
            "/api/v1/homes/{home_id}/call_schedule": {
                "put": _operation(
                    "Set the home's plan of well-being calls (supervisor, social worker, admin)",
                    CallSchedulesIn,
                    CallSchedulesIn,
                    parameters=_HOME_ID,
                )
            },
            "/api/v1/stats/today": {
                "get": _operation(
                    "Queue, operators and today's answer times (supervisor, admin)",
                    StatsToday,
                    errors=("401", "403"),
                )
            },
            "/api/v1/webrtc": {
                "get": _operation(
                    "STUN/TURN servers for the console's calls", WebRtcConfig, errors=("401",)
                )
            },
            "/api/v1/vocabulary": {
                "get": _operation(
                    "The values of the hub's enumerations: alarm states, priorities, outcomes",
                    Vocabulary,
                    errors=("401",),
                )
            },
            "/api/v1/calls": {
                "get": _operation(
                    "Well-being call tasks: open ones by when due, or all, latest first",
                    CallPage,
                    errors=("401", "422"),
                    parameters=[
                        {"name": "state", "in": "query", "schema": {"enum": ["open", "all"]}},
                        {"name": "home_id", "in": "query", "schema": {"type": "string"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    ],
                )
            },
            "/api/v1/calls/{task_id}/claim": {
                "post": _operation("Take a due call", CallOut, None, _CALL_ERRORS, _TASK_ID)
            },
            "/api/v1/calls/{task_id}/release": {
                "post": _operation("Put a claimed call back", CallOut, None, _CALL_ERRORS, _TASK_ID)
            },
            "/api/v1/calls/{task_id}/outcome": {
                "post": _operation(
                    "Record an attempt: spoke, no answer (retried, then an alarm), skipped",
                    CallOut,
                    CallOutcomeRequest,
                    _CALL_ERRORS,
                    _TASK_ID,
                )
            },
            "/api/v1/homes/{home_id}/events": {
                "get": _operation(
                    "A home's events in a time range", EventPage, parameters=[*_HOME_ID, *_RANGE]
                )
            },
            "/api/v1/stream": {
                "get": {
                    "summary": (
                        "WebSocket: one JSON message per change, {type: alarm, alarm: {...}}"
                        " or {type: presence, presence: {home_id, online, ...}}, for the"
                        " caller's districts"
                    ),
                    "responses": {
                        "101": {"description": "switching to the WebSocket"},
                        "401": {"description": _ERRORS["401"], "content": _content(ErrorBody)},
                    },
                }
            },
            "/api/v1/alarms/{alarm_id}/claim": _action("Take a raised alarm (one operator wins)"),
            "/api/v1/alarms/{alarm_id}/start": _action("Mark a claimed alarm in progress"),
            "/api/v1/alarms/{alarm_id}/release": _action("Give a claimed alarm back to the queue"),
            "/api/v1/alarms/{alarm_id}/notes": _action("Add a note to the timeline", NoteRequest),
            "/api/v1/alarms/{alarm_id}/responders": _action(
                "Record a contact or responder called, and what came of it", ResponderRequest
            ),
            "/api/v1/alarms/{alarm_id}/resolve": _action("Resolve with an outcome", ResolveRequest),
            "/api/v1/alarms/{alarm_id}/cancel": _action(
                "Cancel an alarm nobody needs", CancelRequest
            ),
        },
    }
