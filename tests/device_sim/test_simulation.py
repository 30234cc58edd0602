"""Simulated homes live against the real hub: what the log says was sent is what is stored."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from fix_hub import register_homes
from queries import rows
from services import options_for

from device_sim.home import IncidentKind
from device_sim.simulation import (
    Emitter,
    EventLog,
    GatewayEmitter,
    LoadEmitter,
    SimClock,
    Simulation,
    make_homes,
)

if TYPE_CHECKING:
    from pathlib import Path

    from telecare.services import Broker

pytestmark = [pytest.mark.mqtt5, pytest.mark.usefixtures("hub")]

WAIT_S = 60
SPEED = 600.0
"""Ten simulated minutes per real second."""


async def settle(emitter: Emitter) -> None:
    """Wait until every event sent is acknowledged."""
    async with asyncio.timeout(WAIT_S):
        while emitter.pending():  # noqa: ASYNC110 - the emitters count, they do not signal
            await asyncio.sleep(0.1)


async def stored_ids(database_url: str, prefix: str) -> list[str]:
    """Event ids stored for the homes of ``prefix``."""
    found = await rows(
        database_url, "SELECT event_id::text FROM events WHERE home_id LIKE %s", f"{prefix}-%"
    )
    return sorted(r[0] for r in found)


def logged_ids(out: io.StringIO) -> list[str]:
    """Event ids in the simulator's event log."""
    return sorted(json.loads(line)["event_id"] for line in out.getvalue().splitlines())


async def test_load_mode_sends_every_home_and_stores_exactly_what_it_logged(
    mqtt_broker: Broker, database_url: str, home_id: str
) -> None:
    """Twenty homes over one connection; a scripted panic press; the log matches the table."""
    homes = make_homes(20, seed=3, prefix=home_id)
    await register_homes(database_url, *(h.home_id for h in homes))
    out = io.StringIO()
    emitter = LoadEmitter(options_for(mqtt_broker), EventLog(out), client_prefix=home_id)
    sim = Simulation(homes, emitter, SimClock(datetime.now(UTC), SPEED), seed=3)
    await emitter.start(homes)
    try:
        running = asyncio.create_task(sim.run(seconds=3))
        await asyncio.sleep(1)
        sim.incident(homes[2].home_id, IncidentKind.PANIC)
        await running
        await settle(emitter)
    finally:
        await emitter.stop()
    logged = logged_ids(out)
    assert len(logged) >= 20  # a thermometer reading per home per half hour, at least
    assert await stored_ids(database_url, home_id) == logged
    assert len({json.loads(line)["home_id"] for line in out.getvalue().splitlines()}) == 20
    panics = await rows(
        database_url,
        "SELECT home_id FROM events WHERE kind = 'panic_button' AND home_id LIKE %s",
        f"{home_id}-%",
    )
    assert panics == [(homes[2].home_id,)]


async def test_gateway_mode_runs_real_units_through_an_outage(
    mqtt_broker: Broker, database_url: str, home_id: str, tmp_path: Path
) -> None:
    """Three real home units; one loses its connection (the will says so) and catches up."""
    homes = make_homes(3, seed=5, prefix=home_id)
    await register_homes(database_url, *(h.home_id for h in homes))
    out = io.StringIO()
    emitter = GatewayEmitter(options_for(mqtt_broker), tmp_path / "units", EventLog(out))
    sim = Simulation(homes, emitter, SimClock(datetime.now(UTC), SPEED), seed=5)
    await emitter.start(homes)
    cut = homes[1].home_id
    try:
        running = asyncio.create_task(sim.run(seconds=4))
        await asyncio.sleep(1)
        # An hour away (six real seconds): long enough to see the will in the database
        # before the unit comes back and says online again.
        sim.incident(cut, IncidentKind.UNIT_OFFLINE, timedelta(hours=1))
        async with asyncio.timeout(WAIT_S):
            while not await rows(  # noqa: ASYNC110 - polling the database
                database_url,
                "SELECT 1 FROM presence WHERE home_id = %s AND status_reason = 'connection_lost'",
                cut,
            ):
                await asyncio.sleep(0.05)
        await running
        await settle(emitter)
    finally:
        await emitter.stop()
    assert await stored_ids(database_url, home_id) == logged_ids(out)
    assert all(e.state.connected is False for e in emitter.units.values())
