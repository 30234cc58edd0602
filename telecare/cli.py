"""The ``telecare`` command: one entry point, a subcommand per capability."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from aiohttp import web

from gateway.config import GatewaySettings
from gateway.process import adapters_for, run_gateway
from hub.app import create_app
from hub.config import HubSettings
from hub.storage import homes, migrate
from protocol import ProtocolError, decode_topic, is_safe_id
from protocol.asyncapi import asyncapi_document
from telecare import __version__
from telecare.logs import configure_logging

if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
GC_YOUNG_THRESHOLD = 50_000


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree, so ``--help`` works at every level."""
    parser = argparse.ArgumentParser(
        prog="telecare",
        description="Telecare platform: home units over MQTT, an alarm hub, an operator console.",
    )
    parser.add_argument("--version", action="version", version=f"telecare {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    protocol = commands.add_parser(
        "protocol",
        help="the MQTT wire contract: its AsyncAPI document, and a checker for payloads",
        description="Tools for the MQTT wire contract between home units and the hub.",
    )
    protocol_commands = protocol.add_subparsers(title="commands", metavar="COMMAND", required=True)

    asyncapi = protocol_commands.add_parser(
        "asyncapi",
        help="print the AsyncAPI 3.0 document of the protocol",
        description="Print the AsyncAPI 3.0 document (JSON) generated from the message models.",
    )
    asyncapi.add_argument(
        "--output", "-o", type=Path, help="write to this file instead of standard output"
    )
    asyncapi.set_defaults(run=_asyncapi)

    check = protocol_commands.add_parser(
        "check",
        help="check a payload against the protocol, as the hub or a home unit would",
        description=(
            "Decode a payload as if it had arrived on TOPIC and say whether it is accepted; "
            "when it is not, print the reason and each offending field. Exit status 0 when "
            "accepted, 1 when refused."
        ),
    )
    check.add_argument("topic", help="the MQTT topic, e.g. telecare/v1/homes/home-1/up/events")
    check.add_argument(
        "payload",
        nargs="?",
        type=Path,
        help="file holding the payload (standard input when left out)",
    )
    check.set_defaults(run=_check)

    hub = commands.add_parser(
        "hub",
        help="run the hub: ingest from MQTT into PostgreSQL, with receipts",
        description=(
            "Run the hub until SIGTERM or Ctrl-C: migrate the database, consume every home's "
            "messages, store them, acknowledge them. Settings come from TELECARE_* variables "
            "or .env (see README); /healthz, /readyz and /metrics are served on "
            "TELECARE_HTTP_HOST:TELECARE_HTTP_PORT."
        ),
    )
    hub.set_defaults(run=_hub)

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

    db = commands.add_parser("db", help="the hub's database", description="The hub's database.")
    db_commands = db.add_subparsers(title="commands", metavar="COMMAND", required=True)
    migrate = db_commands.add_parser(
        "migrate",
        help="bring the schema up to date (also done at hub start)",
        description="Apply the migrations TELECARE_DATABASE_URL has not had; safe to repeat.",
    )
    migrate.set_defaults(run=_db_migrate)

    homes = commands.add_parser(
        "homes", help="the register of homes", description="The register of homes."
    )
    homes_commands = homes.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add = homes_commands.add_parser(
        "add",
        help="register homes, so the hub takes their messages",
        description="Register homes in a district; homes already registered stay as they are.",
    )
    add.add_argument("home_id", nargs="+", type=_home_id, help="home ids to register")
    add.add_argument(
        "--district", required=True, help="the district (territorial social area) they are in"
    )
    add.set_defaults(run=_homes_add)
    return parser


def _home_id(value: str) -> str:
    if not is_safe_id(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not 1-64 letters, digits, '_' or '-' starting with a letter or digit"
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status


def _asyncapi(args: argparse.Namespace) -> int:
    text = json.dumps(asyncapi_document(), indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    try:
        payload = args.payload.read_bytes() if args.payload else sys.stdin.buffer.read()
    except OSError as err:
        sys.stderr.write(f"telecare protocol check: cannot read payload: {err}\n")
        return EXIT_USAGE
    try:
        received = decode_topic(args.topic, payload)
    except ProtocolError as err:
        report = {
            "accepted": False,
            "reason": err.reason.value,
            "fields": list(err.fields),
            "detail": err.detail,
        }
        sys.stdout.write(json.dumps(report) + "\n")
        return EXIT_INVALID
    report = {
        "accepted": True,
        "home_id": received.topic.home_id,
        "channel": received.topic.channel.value,
        "message": type(received.message).__name__,
    }
    sys.stdout.write(json.dumps(report) + "\n")
    return EXIT_OK


def _hub(_args: argparse.Namespace) -> int:
    settings = HubSettings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    # Every MQTT message allocates a few short-lived objects; with the default thresholds the
    # collector ran on a third of the hub's time (bench.ingest under py-spy). Objects alive
    # at start-up never need collecting, and young ones can wait longer.
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
    web.run_app(app, host=settings.http_host, port=settings.http_port, print=None)
    return EXIT_OK


def _gateway(_args: argparse.Namespace) -> int:
    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        adapters = adapters_for(settings)
    except (OSError, ValueError) as err:
        sys.stderr.write(f"telecare gateway: {err}\n")
        return EXIT_USAGE

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_gateway(settings, adapters, stop)

    asyncio.run(run())
    return EXIT_OK


def _db_migrate(_args: argparse.Namespace) -> int:
    settings = HubSettings()
    configure_logging(settings.log_level, settings.log_format)

    async def run() -> list[int]:
        async with await psycopg.AsyncConnection.connect(
            settings.database_url, autocommit=True
        ) as conn:
            return await migrate.migrate(conn)

    applied = asyncio.run(run())
    sys.stdout.write(f"applied migrations {applied}\n" if applied else "the schema is up to date\n")
    return EXIT_OK


def _homes_add(args: argparse.Namespace) -> int:
    settings = HubSettings()
    configure_logging(settings.log_level, settings.log_format)

    async def run() -> int:
        async with await psycopg.AsyncConnection.connect(
            settings.database_url, autocommit=True
        ) as conn:
            await migrate.migrate(conn)
            return await homes.register(conn, args.home_id, args.district)

    added = asyncio.run(run())
    sys.stdout.write(f"registered {added} new of {len(args.home_id)} homes\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
