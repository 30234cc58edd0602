"""Supervisors' figures (the queue, the operators, today's answer times) and call settings."""

# No `from __future__ import annotations`: the route table reads the handlers' types.
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from aiohttp import web

from hub.api.models import AnswerTimesOut, OperatorOut, QueueCounts, StatsToday, WebRtcConfig
from hub.api.routing import Allowed, Call, RouteTable
from hub.api.rows import out
from hub.auth.users import OVERRIDING_ROLES, Role
from hub.config import HubSettings
from hub.storage import audit, stats

ROUTES = RouteTable()
SUPERVISORS = Allowed(OVERRIDING_ROLES, "see the service's figures")
CENTRE_ZONE = web.AppKey("centre_zone", ZoneInfo)
ICE = web.AppKey("ice_servers", WebRtcConfig)


def configure_stats(app: web.Application, settings: HubSettings) -> None:
    """Keep the centre's settings these routes answer from on ``app``."""
    app[CENTRE_ZONE] = ZoneInfo(settings.centre_time_zone)
    app[ICE] = WebRtcConfig(
        ice_servers=[server.model_dump(mode="json") for server in settings.ice_servers]
    )


@ROUTES.get(
    "/api/v1/stats/today",
    "Queue, operators and today's answer times (supervisor, admin)",
    allowed=SUPERVISORS,
)
async def stats_today(call: Call) -> StatsToday:
    """Today's figures, in the centre's time zone, for the caller's districts."""
    user = call.user
    zone = call.request.app[CENTRE_ZONE]
    now = datetime.now(UTC)
    since = datetime.combine(now.astimezone(zone).date(), time(0), zone)
    districts = None if user.role is Role.ADMIN else list(user.districts)
    async with call.pool.connection() as conn, conn.transaction():
        queue = await stats.queue(conn, districts, now)
        people = await stats.operators(conn, districts, now)
        times = await stats.answer_times(conn, districts, since, now)
        await audit.record(conn, user.username, "stats.read", "stats")
    return StatsToday(
        since=since,
        queue=QueueCounts(**queue),
        operators=[out(OperatorOut, p) for p in people],
        answered=out(
            AnswerTimesOut,
            times,
            alarms=times.judged_60s,
            share_60s=times.share(times.within_60s, times.judged_60s),
            share_180s=times.share(times.within_180s, times.judged_180s),
            goal_60s=stats.GOAL_60S,
            goal_180s=stats.GOAL_180S,
        ),
    )


@ROUTES.get("/api/v1/webrtc", "STUN/TURN servers for the console's calls")
async def webrtc(call: Call) -> WebRtcConfig:
    """The ICE servers the centre's settings name."""
    return call.request.app[ICE]
