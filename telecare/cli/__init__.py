"""The ``telecare`` command: one entry point, a subcommand per capability.

Each command group lives in a module of its own, which adds its commands to the parser and
runs them; this module puts the tree together, in the order ``telecare --help`` lists it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from runtime import __version__
from telecare.cli import db, demo, gateway, homes, hub, indicators, protocol, report, sim, users

if TYPE_CHECKING:
    from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree, so ``--help`` works at every level."""
    parser = argparse.ArgumentParser(
        prog="telecare",
        description="Telecare platform: home units over MQTT, an alarm hub, an operator console.",
    )
    parser.add_argument("--version", action="version", version=f"telecare {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for group in (protocol, hub, gateway, sim, demo, users, db, homes, indicators, report):
        group.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status
