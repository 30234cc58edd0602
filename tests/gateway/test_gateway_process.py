"""`telecare gateway` as a process: a Zigbee press on the home's broker reaches the hub."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fix_hub import register_homes
from queries import until_rows

from runtime.mqtt import make_client

if TYPE_CHECKING:
    from fix_hub import RunningHub

    from telecare.services import Broker

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

WAIT_S = 60
DEVICE_MAP = """
[devices."Pendant"]
device_id = "pendant-1"
kind = "panic_button"
"""


async def test_a_zigbee_press_reaches_the_hub_and_sigterm_says_goodbye(
    hub: RunningHub, mqtt_broker: Broker, database_url: str, home_id: str, tmp_path: Path
) -> None:
    """Zigbee2MQTT -> gateway process -> hub; SIGTERM stops it cleanly with status offline."""
    await register_homes(database_url, home_id)
    device_map = tmp_path / "devices.toml"
    device_map.write_text(DEVICE_MAP)
    base = f"z2m-{home_id}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")}
    env |= {
        "TELECARE_MQTT_URL": mqtt_broker.url,
        "TELECARE_HOME_ID": home_id,
        "TELECARE_OUTBOX_PATH": str(tmp_path / "outbox.sqlite3"),
        "TELECARE_ZIGBEE2MQTT_DEVICE_MAP": str(device_map),
        "TELECARE_ZIGBEE2MQTT_URL": mqtt_broker.url,
        "TELECARE_ZIGBEE2MQTT_BASE_TOPIC": base,
        "TELECARE_LOG_FORMAT": "json",
    }
    telecare = Path(sys.executable).with_name("telecare")
    log = (tmp_path / "gateway.log").open("wb")
    process = subprocess.Popen(  # noqa: ASYNC220 - a long-lived child
        [str(telecare), "gateway"], env=env, stdout=log, stderr=log
    )
    try:
        await until_rows(
            database_url, "SELECT 1 FROM presence WHERE home_id = %s AND online", bool, home_id
        )
        async with asyncio.timeout(WAIT_S):
            while "zigbee2mqtt_subscribed" not in (tmp_path / "gateway.log").read_text():  # noqa: ASYNC110 - a log file has no event
                await asyncio.sleep(0.05)
        async with make_client(hub.settings.mqtt_options(), identifier=f"{home_id}-z2m") as z2m:
            await z2m.publish(f"{base}/Pendant", b'{"action": "sos", "battery": 95}', qos=1)
        found = await until_rows(
            database_url, "SELECT device_id, kind FROM events WHERE home_id = %s", bool, home_id
        )
        assert found == [("pendant-1", "panic_button")]
        process.send_signal(signal.SIGTERM)
        assert process.wait(WAIT_S) == 0
        await until_rows(
            database_url,
            "SELECT 1 FROM presence WHERE home_id = %s AND NOT online"
            " AND status_reason = 'shutdown'",
            bool,
            home_id,
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT_S)
        log.close()
