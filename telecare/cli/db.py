"""``telecare db``: the hub's database schema."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from hub.config import HubSettings
from hub.storage import migrate
from runtime.logs import configure_logging
from telecare.cli.common import EXIT_OK, on_database

if TYPE_CHECKING:
    import argparse

    from telecare.cli.common import Commands


def add_commands(commands: Commands) -> None:
    """Add ``db migrate``."""
    db = commands.add_parser("db", help="the hub's database", description="The hub's database.")
    db_commands = db.add_subparsers(title="commands", metavar="COMMAND", required=True)
    migrate_command = db_commands.add_parser(
        "migrate",
        help="bring the schema up to date (also done at hub start)",
        description="Apply the migrations TELECARE_DATABASE_URL has not had; safe to repeat.",
    )
    migrate_command.set_defaults(run=_db_migrate)


def _db_migrate(_args: argparse.Namespace) -> int:
    settings = HubSettings()
    configure_logging(settings.log_level, settings.log_format)
    applied = on_database(settings, migrate.migrate)
    sys.stdout.write(f"applied migrations {applied}\n" if applied else "the schema is up to date\n")
    return EXIT_OK
