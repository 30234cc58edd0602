"""``telecare gateway``: one home's unit, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from gateway.config import GatewaySettings
from gateway.process import adapters_for, run_gateway
from runtime.logs import configure_logging
from telecare.cli.common import EXIT_OK, EXIT_USAGE, stop_on_signals

if TYPE_CHECKING:
    import argparse

    from telecare.cli.common import Commands


def add_commands(commands: Commands) -> None:
    """Add ``gateway``."""
    gateway = commands.add_parser(
        "gateway",
        help="run a home unit: devices to outbox to hub, acks, heartbeats, commands",
        description=(
            "Run one home's unit until SIGTERM or Ctrl-C. Events wait in the SQLite outbox "
            "(TELECARE_OUTBOX_PATH) until the hub acknowledges them. Devices come from "
            "Zigbee2MQTT when TELECARE_ZIGBEE2MQTT_DEVICE_MAP names a device map file; the "
            "home id is TELECARE_HOME_ID, also the broker user name."
        ),
    )
    gateway.set_defaults(run=_gateway)


def _gateway(_args: argparse.Namespace) -> int:
    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        adapters = adapters_for(settings)
    except (OSError, ValueError) as err:
        sys.stderr.write(f"telecare gateway: {err}\n")
        return EXIT_USAGE

    async def run() -> None:
        await run_gateway(settings, adapters, stop_on_signals())

    asyncio.run(run())
    return EXIT_OK
