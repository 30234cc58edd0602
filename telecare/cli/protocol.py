"""``telecare protocol``: the AsyncAPI document and the payload checker."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from protocol import ProtocolError, decode_topic
from protocol.asyncapi import asyncapi_document
from telecare.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    import argparse

    from telecare.cli.common import Commands


def add_commands(commands: Commands) -> None:
    """Add ``protocol asyncapi`` and ``protocol check``."""
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
