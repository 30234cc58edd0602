"""``telecare report``: the service's figures from the hub's database, as files."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hub.config import HubSettings
from hub.reports.monthly import Month, MonthError, district_month
from hub.reports.pdf import report_pdf
from hub.reports.tables import write_all
from hub.storage import audit, district_figures
from runtime.logs import configure_logging
from runtime.mqtt import MqttProtocol
from telecare.cli.common import EXIT_OK, EXIT_USAGE, migrated, on_database
from telecare.cli.users import CLI_ACTOR

if TYPE_CHECKING:
    from hub.reports.figures import DistrictMonth
    from telecare.cli.common import Commands, Connection


def add_commands(commands: Commands) -> None:
    """Add ``report monthly``."""
    report = commands.add_parser(
        "report", help="the service's figures", description="The service's figures, as files."
    )
    report_commands = report.add_subparsers(title="commands", metavar="COMMAND", required=True)
    monthly = report_commands.add_parser(
        "monthly",
        help="a district's month: PDF report and CSV tables",
        description=(
            "A district's figures for a calendar month of the centre's time zone"
            " (TELECARE_CENTRE_TIME_ZONE), read from TELECARE_DATABASE_URL: a printable PDF"
            " report, a CSV file per table (columns in docs/social-work.md), or, with neither,"
            " the figures as JSON on standard output. The read is written to the audit log."
        ),
    )
    monthly.add_argument("--district", required=True, help="the district (ATS)")
    monthly.add_argument("--month", required=True, type=_month, help="the month, as YYYY-MM")
    monthly.add_argument("--pdf", type=Path, metavar="FILE", help="write the report here")
    monthly.add_argument(
        "--csv", type=Path, metavar="DIR", help="write a CSV file per table in this folder"
    )
    monthly.set_defaults(run=_report_monthly)


def _month(value: str) -> Month:
    try:
        return Month.parse(value)
    except MonthError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def _report_monthly(args: argparse.Namespace) -> int:
    settings = HubSettings(mqtt_protocol=MqttProtocol.V5)
    configure_logging(settings.log_level, settings.log_format)
    zone = ZoneInfo(settings.centre_time_zone)

    async def work(conn: Connection) -> DistrictMonth | None:
        if not await district_figures.district_known(conn, args.district):
            return None
        figures = await district_month(conn, args.district, args.month, zone, datetime.now(UTC))
        await audit.record(
            conn,
            CLI_ACTOR,
            "district.month.read",
            f"district:{args.district}",
            {"month": str(args.month), "format": "files" if args.pdf or args.csv else "json"},
        )
        return figures

    figures = on_database(settings, migrated(work))
    if figures is None:
        sys.stderr.write(f"telecare report monthly: no home has been in {args.district!r}\n")
        return EXIT_USAGE
    if args.pdf is None and args.csv is None:
        sys.stdout.write(figures.model_dump_json(indent=2) + "\n")
        return EXIT_OK
    if args.pdf is not None:
        args.pdf.write_bytes(report_pdf(figures))
        sys.stdout.write(f"wrote {args.pdf}\n")
    if args.csv is not None:
        for path in write_all(figures, args.csv):
            sys.stdout.write(f"wrote {path}\n")
    return EXIT_OK
