"""The simulator's control API, its history backfill, and `telecare sim` as a process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web
from fix_hub import register_homes
from queries import rows
from services import options_for

from device_sim.backfill import backfill, backfill_span
from device_sim.control import control_app
from device_sim.home import IncidentKind
from device_sim.simulation import EventLog, LoadEmitter, SimClock, Simulation, make_homes
from telecare.services import free_port

if TYPE_CHECKING:
    from telecare.services import Broker


async def test_the_control_api_makes_incidents_happen_and_names_bad_fields(
    mqtt_broker: Broker, home_id: str
) -> None:
    """POST an incident: 201 and it is in the home; a bad kind or home: 400/404 with the field."""
    homes = make_homes(2, seed=1, prefix=home_id)
    emitter = LoadEmitter(options_for(mqtt_broker), EventLog(None))
    sim = Simulation(homes, emitter, SimClock(datetime.now(UTC)))
    runner = web.AppRunner(control_app(sim))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            target = homes[0].home_id
            async with http.post(f"{base}/homes/{target}/incidents", json={"kind": "panic"}) as r:
                assert r.status == 201
                assert (await r.json())["kind"] == "panic"
            async with http.post(f"{base}/homes/{target}/incidents", json={"kind": "dance"}) as r:
                assert r.status == 400
                assert (await r.json())["field"] == "kind"
            async with http.post(f"{base}/homes/nobody/incidents", json={"kind": "smoke"}) as r:
                assert r.status == 404
                assert (await r.json())["field"] == "home_id"
            async with http.get(f"{base}/status") as r:
                assert (await r.json())["homes"] == 2
    finally:
        await runner.cleanup()
    assert [i.kind for i in homes[0].incidents] == [IncidentKind.PANIC]
    assert homes[1].incidents == []


async def test_backfill_writes_the_routines_history_with_its_rollup(
    database_url: str, home_id: str
) -> None:
    """Days of history land in events and the hourly rollup, for registered homes."""
    homes = make_homes(3, seed=2, prefix=home_id)
    until = datetime(2026, 11, 24, 6, tzinfo=UTC)
    result = await backfill(database_url, homes, 2, "ats-sim", until=until)
    expected = sum(len(h.readings(until - timedelta(days=2), until)) for h in homes)
    assert result.events == expected
    assert await rows(database_url, "SELECT count(*) FROM events") == [(expected,)]
    assert await rows(database_url, "SELECT sum(events) FROM activity_hourly") == [(expected,)]
    assert await rows(database_url, "SELECT count(*) FROM homes WHERE district = 'ats-sim'") == [
        (3,)
    ]


async def test_a_span_carries_a_history_on_without_a_gap_or_a_repeat(
    database_url: str, home_id: str
) -> None:
    """The hours after a history, written as a span, are the readings of those hours, once."""
    homes = make_homes(2, seed=2, prefix=home_id)
    until = datetime(2026, 11, 24, 6, tzinfo=UTC)
    later = until + timedelta(hours=5, minutes=17)
    await backfill(database_url, homes, 1, "ats-sim", until=until)
    written = await backfill_span(database_url, homes, "ats-sim", until, later)
    expected = [
        (h.home_id, d.device_id, d.ts)
        for h in homes
        for d in h.readings(until - timedelta(days=1), later)
    ]
    assert written == sum(len(h.readings(until, later)) for h in homes) > 0
    stored = await rows(database_url, "SELECT home_id, device_id, ts FROM events ORDER BY 1, 3")
    assert sorted(stored) == sorted(expected)


@pytest.mark.mqtt5
@pytest.mark.usefixtures("hub")
@pytest.mark.parametrize("burst", [False, True], ids=["phased", "burst"])
async def test_telecare_sim_sends_what_its_event_log_says(
    mqtt_broker: Broker, database_url: str, home_id: str, tmp_path: Path, *, burst: bool
) -> None:
    """`telecare sim` for a few seconds: every logged event is stored, once.

    Forty simulated minutes hold a thermometer reading or two of each home: each home's at
    its own moments, or with --burst every home's at the same :00 or :30.
    """
    homes = make_homes(5, seed=1, prefix=home_id)
    await register_homes(database_url, *(h.home_id for h in homes))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")}
    env |= {
        "TELECARE_MQTT_URL": mqtt_broker.url,
        "TELECARE_SIM_HOMES": "5",
        "TELECARE_SIM_HOME_PREFIX": home_id,
        "TELECARE_LOG_FORMAT": "json",
    }
    event_log = tmp_path / "events.jsonl"
    telecare = Path(sys.executable).with_name("telecare")
    done = await asyncio.to_thread(
        subprocess.run,
        [
            str(telecare),
            "sim",
            *(["--burst"] if burst else []),
            *("--seconds", "4", "--speed", "600", "--event-log", str(event_log)),
        ],
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    records = [json.loads(line) for line in event_log.read_text().splitlines()]
    logged = sorted(r["event_id"] for r in records)
    assert logged
    readings: dict[str, list[datetime]] = defaultdict(list)
    for r in records:
        if r["kind"] == "temperature":
            readings[r["home_id"]].append(datetime.fromisoformat(r["ts"]))
    assert len(readings) == 5
    moments = {tuple(times) for times in readings.values()}
    if burst:
        assert len(moments) == 1
        assert all((ts.minute % 30, ts.second) == (0, 0) for ts in moments.pop())
    else:
        assert len(moments) == 5
    async with asyncio.timeout(60):
        while len(await rows(database_url, "SELECT 1 FROM events")) < len(logged):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    stored = await rows(database_url, "SELECT event_id::text FROM events ORDER BY 1")
    assert [r[0] for r in stored] == logged
