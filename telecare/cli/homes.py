"""``telecare homes``: the register of homes the hub takes messages from."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from hub.config import HubSettings
from hub.storage import homes
from protocol import is_safe_id
from runtime.logs import configure_logging
from telecare.cli.common import EXIT_OK, migrated, on_database

if TYPE_CHECKING:
    from telecare.cli.common import Commands, Connection


def add_commands(commands: Commands) -> None:
    """Add ``homes add``."""
    homes_command = commands.add_parser(
        "homes", help="the register of homes", description="The register of homes."
    )
    homes_commands = homes_command.add_subparsers(
        title="commands", metavar="COMMAND", required=True
    )
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


def _home_id(value: str) -> str:
    if not is_safe_id(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not 1-64 letters, digits, '_' or '-' starting with a letter or digit"
        )
    return value


def _homes_add(args: argparse.Namespace) -> int:
    settings = HubSettings()
    configure_logging(settings.log_level, settings.log_format)

    async def work(conn: Connection) -> int:
        return await homes.register(conn, args.home_id, args.district)

    added = on_database(settings, migrated(work))
    sys.stdout.write(f"registered {added} new of {len(args.home_id)} homes\n")
    return EXIT_OK
