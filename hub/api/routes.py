"""The API on the hub's app: every resource's route table, its errors, its document, its stream.

A new route goes in the table of its resource (``*_routes.py``); a new resource's table goes
in :data:`TABLES`. The OpenAPI document is built from the same tables (docs/architecture.md).
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
from collections.abc import Awaitable, Callable

from aiohttp import web

from hub.alarms.lifecycle import IllegalTransitionError
from hub.api import (
    activity_routes,
    alarm_routes,
    auth_routes,
    call_routes,
    care_plan_routes,
    registry_routes,
    report_routes,
    review_routes,
    stats_routes,
    vocabulary_routes,
)
from hub.api.access import ApiError, json_response
from hub.api.client import ORIGIN, ClientOrigin
from hub.api.console import add_console_routes
from hub.api.models import ErrorBody
from hub.api.openapi import openapi_document
from hub.api.routing import Call, Route, RouteTable
from hub.api.stream import CALL_RELAY, FEED, ChangeFeed, close_streams, stream
from hub.calls.relay import CallRelay
from hub.config import HubSettings

META = RouteTable()
DOCUMENT = web.AppKey("openapi_document", dict)


@META.get(
    "/api/v1/openapi.json",
    "This document",
    public=True,
    responses={200: "the OpenAPI 3.1 document of the API"},
)
async def openapi(call: Call) -> web.Response:
    """The API's OpenAPI 3.1 document, built from the route tables."""
    return web.json_response(call.request.app[DOCUMENT])


@META.get(
    "/api/v1/stream",
    "WebSocket: one JSON message per change, {type: alarm, alarm: {...}} or {type: presence,"
    " presence: {home_id, online, ...}} or {type: call, ...}, for the caller's districts",
    errors=[403],
    responses={101: "switching to the WebSocket", 400: "not a WebSocket handshake"},
)
async def open_stream(call: Call) -> web.StreamResponse:
    """The console's live feed, and its channel for call signalling."""
    return await stream(call.request, call.user)


TABLES = (
    auth_routes.ROUTES,
    activity_routes.ROUTES,
    alarm_routes.ROUTES,
    registry_routes.ROUTES,
    call_routes.ROUTES,
    care_plan_routes.ROUTES,
    stats_routes.ROUTES,
    review_routes.ROUTES,
    report_routes.ROUTES,
    vocabulary_routes.ROUTES,
    META,
)


def all_routes() -> list[Route]:
    """Every route of the API, in the order of the tables."""
    return [route for table in TABLES for route in table.routes]


def add_api(app: web.Application, settings: HubSettings, relay: CallRelay) -> None:
    """Serve the API on ``app``; its connections come from ``app[POOL]`` once started."""
    app[auth_routes.COOKIE_SECURE] = settings.cookie_secure
    app[ORIGIN] = ClientOrigin(settings.trusted_proxy)
    stats_routes.configure_stats(app, settings)
    app[CALL_RELAY] = relay
    app[FEED] = ChangeFeed(relay.on_signal)
    app.on_shutdown.append(close_streams)
    app.middlewares.append(_errors)
    app[DOCUMENT] = openapi_document(all_routes())
    for table in TABLES:
        table.add_to(app)
    add_console_routes(app)


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as err:
        return json_response(err.body, status=err.status)
    except IllegalTransitionError as err:
        body = ErrorBody(error=err.reason, code=err.code, params=err.params)
        return json_response(body, status=409)
