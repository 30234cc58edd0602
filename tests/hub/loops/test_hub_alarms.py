"""Alarms through the running hub: a press raises one, the unit hears it, timers survive."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from fix_hub import register_homes
from queries import eventually, rows, until_rows

from gateway.config import GatewaySettings
from gateway.outbox import Draft, Outbox
from gateway.unit import HomeUnit
from protocol import EventKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from fix_hub import RunningHub

    from telecare.services import Broker

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only


@contextlib.asynccontextmanager
async def unit_of(broker: Broker, home_id: str, tmp_path: Path) -> AsyncIterator[HomeUnit]:
    """A running home unit of ``home_id``."""
    settings = GatewaySettings(
        mqtt_url=broker.url, home_id=home_id, outbox_path=tmp_path / "outbox.sqlite3"
    )
    unit = HomeUnit(settings, Outbox(settings.outbox_path, home_id))
    task = asyncio.create_task(unit.run())
    try:
        yield unit
    finally:
        await unit.stop()
        await asyncio.wait_for(task, 30)


def now() -> datetime:
    """The time of a reading."""
    return datetime.now(UTC)


@pytest.mark.usefixtures("hub")
async def test_a_panic_press_raises_an_alarm_the_unit_shows_as_received_and_cancel_closes_it(
    mqtt_broker: Broker, database_url: str, home_id: str, tmp_path: Path
) -> None:
    """Press: an alarm in the table, its id in the ack; cancel: cancelled, kept on record."""
    await register_homes(database_url, home_id)
    async with unit_of(mqtt_broker, home_id, tmp_path) as unit:
        unit.report(Draft("pendant", EventKind.PANIC_BUTTON, {"active": True}, now()))

        async def shown() -> bool:
            return unit.state.alarm_received is not None

        await eventually(shown, "alarm received at the unit")
        stored = await rows(
            database_url,
            "SELECT alarm_id, kind, priority, state FROM alarms WHERE home_id = %s",
            home_id,
        )
        assert stored == [(unit.state.alarm_received, "panic_button", 1, "raised")]
        unit.report(Draft("pendant", EventKind.CANCEL, {}, now()))
        await until_rows(
            database_url,
            "SELECT 1 FROM alarms WHERE home_id = %s AND state = 'cancelled'",
            bool,
            home_id,
        )


async def test_escalation_timers_survive_a_hub_restart(
    start_hub: Callable[..., Awaitable[RunningHub]],
    mqtt_broker: Broker,
    database_url: str,
    home_id: str,
    tmp_path: Path,
) -> None:
    """An alarm raised under one hub escalates under the next, from the time in the table."""
    await register_homes(database_url, home_id)
    first = await start_hub()
    async with unit_of(mqtt_broker, home_id, tmp_path) as unit:
        unit.report(Draft("leak", EventKind.FLOOD, {"active": True}, now()))
        await until_rows(database_url, "SELECT 1 FROM alarms WHERE home_id = %s", bool, home_id)
    await first.app.shutdown()
    await first.app.cleanup()
    # While no hub runs, the alarm's two minutes pass.
    await rows(
        database_url,
        "UPDATE alarms SET raised_at = raised_at - interval '3 minutes' WHERE home_id = %s"
        " RETURNING 1",
        home_id,
    )
    await start_hub()
    escalated = await until_rows(
        database_url,
        "SELECT a.priority, l.actor FROM alarms a JOIN alarm_log l USING (alarm_id)"
        " WHERE a.home_id = %s AND l.action = 'escalated'",
        bool,
        home_id,
    )
    assert escalated == [(1, "system")]
