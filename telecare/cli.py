"""The ``telecare`` command: one entry point, a subcommand per capability."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from protocol import ProtocolError, decode_topic
from protocol.asyncapi import asyncapi_document
from telecare import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


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
    return parser


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


if __name__ == "__main__":
    sys.exit(main())
