"""``telecare hub``: the centre's backend, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from aiohttp import web

from hub.app import create_app
from hub.config import HubSettings
from runtime.logs import configure_logging
from telecare.cli.common import EXIT_OK

if TYPE_CHECKING:
    import argparse

    from telecare.cli.common import Commands

GC_YOUNG_THRESHOLD = 50_000


def add_commands(commands: Commands) -> None:
    """Add ``hub``."""
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
