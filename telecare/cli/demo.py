"""``telecare demo``: the whole system on this machine, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, TypeVar

import psycopg

from hub.config import HubSettings
from runtime.logs import configure_logging
from runtime.mqtt import MqttProtocol
from telecare.cli.common import EXIT_FAILED, EXIT_OK
from telecare.demo import DemoError, DemoOptions, run_demo
from telecare.demo_register import ForeignDatabaseError
from telecare.demo_services import DemoServiceError
from telecare.services import ServiceError

if TYPE_CHECKING:
    from collections.abc import Callable

    from telecare.cli.common import Commands

N = TypeVar("N", int, float)


def add_commands(commands: Commands) -> None:
    """Add ``demo``."""
    defaults = DemoOptions()
    demo = commands.add_parser(
        "demo",
        help="the whole system on this machine: broker, database, hub, simulated homes",
        description=(
            "Run the whole system until Ctrl-C or SIGTERM: the broker and database named by "
            "TELECARE_MQTT_URL and TELECARE_DATABASE_URL, else a private Mosquitto and "
            "PostgreSQL; demo staff, homes with residents and contacts, weeks of history; "
            "the hub serving the API and console on --host:--port; a real home unit per home "
            "(speakerphones answer calls) with incidents a few times a minute. Prints the "
            "console's address and the sign-ins when ready. See docs/demo.md."
        ),
    )
    demo.add_argument(
        "--homes", type=_bounded(int, 1, 2000), default=defaults.homes, help="homes to simulate"
    )
    demo.add_argument("--host", default=defaults.host, help="address the hub serves on")
    demo.add_argument(
        "--port", type=_bounded(int, 1, 65535), default=defaults.port, help="the hub's HTTP port"
    )
    demo.add_argument(
        "--speed",
        type=_bounded(float, 0.01, 3600),
        default=defaults.speed,
        help="simulated seconds per second",
    )
    demo.add_argument(
        "--seed", type=int, default=defaults.seed, help="the same seed, the same people"
    )
    demo.add_argument(
        "--incidents-per-minute",
        type=_bounded(float, 0, 600),
        default=defaults.incidents_per_minute,
        help="random incidents across all homes, per real minute",
    )
    demo.add_argument(
        "--history-days",
        type=_bounded(int, 0, 60),
        default=defaults.history_days,
        help="days of history written before the start",
    )
    demo.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="warning",
        help="log lines on standard error (alarms raised are warnings)",
    )
    demo.set_defaults(run=_demo)


def _bounded(kind: Callable[[str], N], low: N, high: N) -> Callable[[str], N]:
    """An argparse type: ``kind`` of ``value``, from ``low`` to ``high``."""

    def parse(value: str) -> N:
        try:
            number = kind(value)
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from err
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{value} is not from {low} to {high}")
        return number

    return parse


def _demo(args: argparse.Namespace) -> int:
    settings = HubSettings(mqtt_protocol=MqttProtocol.V5)
    configure_logging(args.log_level, settings.log_format)
    options = DemoOptions(
        homes=args.homes,
        host=args.host,
        port=args.port,
        speed=args.speed,
        seed=args.seed,
        incidents_per_minute=args.incidents_per_minute,
        history_days=args.history_days,
    )
    try:
        asyncio.run(run_demo(options, sys.stdout))
    except (DemoError, DemoServiceError, ServiceError, ForeignDatabaseError) as err:
        sys.stderr.write(f"telecare demo: {err}\n")
        return EXIT_FAILED
    except psycopg.Error as err:
        sys.stderr.write(f"telecare demo: the database failed: {err}\n")
        return EXIT_FAILED
    return EXIT_OK
