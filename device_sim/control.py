"""Scripted control of a running simulation over HTTP, for tests and demos.

``POST /homes/{home_id}/incidents`` with ``{"kind": "panic"}`` (and optionally
``"duration_s"``) makes it happen now; ``GET /homes`` lists the homes; ``GET /status`` says
how far the run is. Errors are JSON naming the field.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from device_sim.home import IncidentKind

if TYPE_CHECKING:
    from device_sim.simulation import Simulation


class IncidentRequest(BaseModel):
    """Body of ``POST /homes/{home_id}/incidents``."""

    model_config = ConfigDict(extra="forbid")

    kind: IncidentKind
    duration_s: float | None = Field(default=None, gt=0, le=7 * 24 * 3600)


def control_app(simulation: Simulation) -> web.Application:
    """The control API of ``simulation``."""
    app = web.Application()

    async def list_homes(_request: web.Request) -> web.Response:
        return web.json_response({"homes": [h.home_id for h in simulation.homes]})

    async def status(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                "sim_time": simulation.clock.now().isoformat(timespec="seconds"),
                "speed": simulation.clock.speed,
                "homes": len(simulation.homes),
                "readings": simulation.sent_readings,
                "unacknowledged": simulation.emitter.pending(),
            }
        )

    async def add_incident(request: web.Request) -> web.Response:
        home_id = request.match_info["home_id"]
        try:
            body = IncidentRequest.model_validate_json(await request.read())
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "body"
            return web.json_response({"error": first["msg"], "field": field}, status=400)
        duration = None if body.duration_s is None else timedelta(seconds=body.duration_s)
        try:
            incident = simulation.incident(home_id, body.kind, duration)
        except KeyError:
            return web.json_response(
                {"error": f"no home {home_id!r} in this simulation", "field": "home_id"},
                status=404,
            )
        return web.json_response(
            {
                "home_id": home_id,
                "kind": incident.kind.value,
                "at": incident.at.isoformat(),
                "until": incident.end.isoformat(),
            },
            status=201,
        )

    app.router.add_get("/homes", list_homes)
    app.router.add_get("/status", status)
    app.router.add_post("/homes/{home_id}/incidents", add_incident)
    return app
