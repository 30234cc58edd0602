"""``telecare indicators``: the daily indicators the social workers' views read."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from hub.loops import indicators
from telecare.cli.common import EXIT_OK, on_hub_database

if TYPE_CHECKING:
    import argparse

    from telecare.cli.common import Commands, Connection


def add_commands(commands: Commands) -> None:
    """Add ``indicators backfill``."""
    group = commands.add_parser(
        "indicators",
        help="each person's day in numbers (the social workers' views)",
        description="Each home's daily indicators, worked out by the hub every night.",
    )
    group_commands = group.add_subparsers(title="commands", metavar="COMMAND", required=True)
    backfill = group_commands.add_parser(
        "backfill",
        help="work out past days again from the stored events",
        description=(
            "Work out the daily indicators of the --days days up to yesterday (UTC) for every "
            "home (or the --home ones) in TELECARE_DATABASE_URL from the stored events, "
            "alarms and calls, replacing days worked out before. Days whose events retention "
            "has dropped come out empty. Takes about as long per home-day as the nightly run "
            "(docs/social-work.md has the figures)."
        ),
    )
    backfill.add_argument("--days", type=int, default=365, help="days back from yesterday")
    backfill.add_argument("--home", action="append", help="only this home (repeatable)")
    backfill.set_defaults(run=_backfill)


def _backfill(args: argparse.Namespace) -> int:
    last = datetime.now(UTC).date() - timedelta(days=1)
    first = last - timedelta(days=args.days - 1)

    def progress(day: date, homes: int) -> None:
        if day.day == 1 or day == last:
            sys.stderr.write(f"{day.isoformat()}: {homes} homes\n")

    async def work(conn: Connection) -> int:
        return await indicators.backfill(conn, first, last, args.home, progress)

    done = on_hub_database(work)
    sys.stdout.write(f"worked out {done} home-days from {first} to {last}\n")
    return EXIT_OK
