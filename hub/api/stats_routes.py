"""Supervisors' figures (the queue, the operators, today's answer times) and call settings."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hub.api.access import ApiError, authenticate, json_response, pool_of
from hub.api.models import (
    AnswerTimesOut,
    OperatorOut,
    QueueCounts,
    StatsToday,
    WebRtcConfig,
)
from hub.auth.users import Role
from hub.storage import audit, stats

if TYPE_CHECKING:
    from aiohttp import web

    from hub.config import HubSettings

SUPERVISORS = {Role.SUPERVISOR, Role.ADMIN}


def add_stats_routes(app: web.Application, settings: HubSettings) -> None:
    """Serve ``/api/v1/stats/today`` and ``/api/v1/webrtc`` on ``app``."""
    zone = ZoneInfo(settings.centre_time_zone)
    ice = WebRtcConfig(
        ice_servers=[server.model_dump(mode="json") for server in settings.ice_servers]
    )

    async def today(request: web.Request) -> web.Response:
        user = await authenticate(request)
        if user.role not in SUPERVISORS:
            raise ApiError(403, f"a {user.role.value} does not see the service's figures")
        now = datetime.now(UTC)
        since = datetime.combine(now.astimezone(zone).date(), time(0), zone)
        districts = None if user.role is Role.ADMIN else list(user.districts)
        async with pool_of(request).connection() as conn, conn.transaction():
            queue = await stats.queue(conn, districts, now)
            people = await stats.operators(conn, districts, now)
            times = await stats.answer_times(conn, districts, since, now)
            await audit.record(conn, user.username, "stats.read", "stats")
        return json_response(
            StatsToday(
                since=since,
                queue=QueueCounts(**queue),
                operators=[
                    OperatorOut(
                        username=p.username,
                        role=p.role,
                        signed_in=p.signed_in,
                        alarms=p.alarms,
                        calls=p.calls,
                    )
                    for p in people
                ],
                answered=AnswerTimesOut(
                    alarms=times.judged_60s,
                    within_60s=times.within_60s,
                    within_180s=times.within_180s,
                    judged_180s=times.judged_180s,
                    share_60s=times.share(times.within_60s, times.judged_60s),
                    share_180s=times.share(times.within_180s, times.judged_180s),
                    goal_60s=stats.GOAL_60S,
                    goal_180s=stats.GOAL_180S,
                ),
            )
        )

    async def webrtc(request: web.Request) -> web.Response:
        await authenticate(request)
        return json_response(ice)

    app.router.add_get("/api/v1/stats/today", today)
    app.router.add_get("/api/v1/webrtc", webrtc)
