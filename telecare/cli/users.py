"""``telecare user``: the people who use the console and API, and their API tokens."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hub.auth.users import (
    Role,
    add_user,
    create_token,
    list_tokens,
    revoke_token,
    set_active,
)
from hub.config import HubSettings
from hub.errors import TokenNameInUseError, UnknownTokenError, UnknownUserError
from runtime.logs import configure_logging
from runtime.mqtt import MqttProtocol
from telecare.cli.common import EXIT_OK, EXIT_USAGE, migrated, on_database, on_hub_database

if TYPE_CHECKING:
    import argparse

    from hub.auth.users import TokenInfo
    from telecare.cli.common import Commands, Connection

MIN_PASSWORD_LENGTH = 10
CLI_ACTOR = "cli"
"""The actor of audit rows for changes made with this command."""


def add_commands(commands: Commands) -> None:
    """Add ``user`` with its commands: add, token, tokens, revoke-token, disable, enable."""
    user = commands.add_parser(
        "user", help="people who use the console and API", description="Users of the centre."
    )
    user_commands = user.add_subparsers(title="commands", metavar="COMMAND", required=True)
    user_add = user_commands.add_parser(
        "add",
        help="create a user (or reset their password, role and districts)",
        description=(
            "Create a user of the console and API. The password is read from "
            "TELECARE_NEW_PASSWORD, or asked for twice on the terminal; it is stored only as "
            "an argon2 hash."
        ),
    )
    user_add.add_argument("username")
    user_add.add_argument("--role", required=True, choices=[r.value for r in Role])
    user_add.add_argument(
        "--district", action="append", default=[], help="a district they serve (repeat)"
    )
    user_add.set_defaults(run=_user_add)
    user_token = user_commands.add_parser(
        "token",
        help="make an API token for an integration acting as a user",
        description=(
            "Print a new API token (shown once; only its hash is kept). Its name must differ "
            "from the user's other live tokens: it is how the token is listed and revoked."
        ),
    )
    user_token.add_argument("username")
    user_token.add_argument("--name", required=True, help="what the token is for")
    user_token.set_defaults(run=_user_token)
    user_tokens = user_commands.add_parser(
        "tokens",
        help="list a user's API tokens",
        description=(
            "List a user's API tokens, revoked ones included: id, name, when made, last used "
            "(to the minute) and revoked. The secrets are not kept, so never shown."
        ),
    )
    user_tokens.add_argument("username")
    user_tokens.set_defaults(run=_user_tokens)
    revoke = user_commands.add_parser(
        "revoke-token",
        help="revoke one of a user's API tokens, by its name",
        description=(
            "Revoke a user's live API token: it is refused from the next request on, and "
            "kept on record as revoked. Written to the audit log."
        ),
    )
    revoke.add_argument("username")
    revoke.add_argument("token_name", help="the token's name, as `user tokens` lists it")
    revoke.set_defaults(run=_user_revoke_token)
    user_disable = user_commands.add_parser(
        "disable",
        help="stop a user signing in, and sign them out everywhere",
        description=(
            "Disable a user: their sessions end now, their API tokens are refused, an open "
            "stream closes at its next check (within a minute), and signing in fails as a "
            "wrong password does. Written to the audit log."
        ),
    )
    user_disable.add_argument("username")
    user_disable.set_defaults(run=_user_set_active, active=False)
    user_enable = user_commands.add_parser(
        "enable",
        help="let a disabled user sign in again",
        description=(
            "Enable a disabled user: they may sign in again and their API tokens that were not "
            "revoked work again. Written to the audit log."
        ),
    )
    user_enable.add_argument("username")
    user_enable.set_defaults(run=_user_set_active, active=True)


def _new_password() -> str | None:
    given = os.environ.get("TELECARE_NEW_PASSWORD")
    if given:
        return given
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        sys.stderr.write("telecare user add: the passwords differ\n")
        return None
    return first


def _user_add(args: argparse.Namespace) -> int:
    settings = HubSettings(mqtt_protocol=MqttProtocol.V5)
    configure_logging(settings.log_level, settings.log_format)
    password = _new_password()
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        sys.stderr.write(f"telecare user add: a password of {MIN_PASSWORD_LENGTH}+ characters\n")
        return EXIT_USAGE

    async def work(conn: Connection) -> None:
        await add_user(conn, args.username, password, Role(args.role), args.district)

    on_database(settings, migrated(work))
    sys.stdout.write(f"user {args.username} ({args.role}) saved\n")
    return EXIT_OK


def _user_token(args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> str:
        return await create_token(conn, args.username, args.name)

    try:
        token = on_hub_database(work)
    except (UnknownUserError, TokenNameInUseError) as err:
        sys.stderr.write(f"telecare user token: {err}\n")
        return EXIT_USAGE
    sys.stdout.write(token + "\n")
    return EXIT_OK


def _user_tokens(args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> list[TokenInfo]:
        return await list_tokens(conn, args.username)

    try:
        tokens = on_hub_database(work)
    except UnknownUserError as err:
        sys.stderr.write(f"telecare user tokens: {err}\n")
        return EXIT_USAGE
    table = [["id", "name", "created", "last used", "revoked"]]
    table += [
        [str(t.token_id), t.name, _when(t.created_at), _when(t.last_used_at), _when(t.revoked_at)]
        for t in tokens
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        sys.stdout.write("  ".join(cells).rstrip() + "\n")
    return EXIT_OK


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def _user_revoke_token(args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> int:
        return await revoke_token(
            conn, args.username, args.token_name, actor=CLI_ACTOR, now=datetime.now(UTC)
        )

    try:
        token_id = on_hub_database(work)
    except UnknownTokenError as err:
        sys.stderr.write(f"telecare user revoke-token: {err}\n")
        return EXIT_USAGE
    sys.stdout.write(f"token {args.token_name!r} (id {token_id}) of {args.username} revoked\n")
    return EXIT_OK


def _user_set_active(args: argparse.Namespace) -> int:
    verb = "enable" if args.active else "disable"

    async def work(conn: Connection) -> None:
        await set_active(conn, args.username, active=args.active, actor=CLI_ACTOR)

    try:
        on_hub_database(work)
    except UnknownUserError as err:
        sys.stderr.write(f"telecare user {verb}: {err}\n")
        return EXIT_USAGE
    sys.stdout.write(f"user {args.username} {verb}d\n")
    return EXIT_OK
