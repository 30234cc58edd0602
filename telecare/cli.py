"""The ``telecare`` command: one entry point, a subcommand per capability."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import psycopg
from aiohttp import web

from device_sim.backfill import backfill
from device_sim.config import SimSettings
from device_sim.control import control_app
from device_sim.simulation import (
    Emitter,
    EventLog,
    GatewayEmitter,
    LoadEmitter,
    SimClock,
    Simulation,
    make_homes,
)
from gateway.config import GatewaySettings
from gateway.process import adapters_for, run_gateway
from hub.app import create_app
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
from hub.storage import homes, migrate
from protocol import ProtocolError, decode_topic, is_safe_id
from protocol.asyncapi import asyncapi_document
from runtime import __version__
from runtime.logs import configure_logging
from runtime.mqtt import MqttProtocol
from telecare.demo import DemoError, DemoOptions, run_demo
from telecare.demo_register import ForeignDatabaseError
from telecare.demo_services import DemoServiceError
from telecare.services import ServiceError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from hub.auth.users import TokenInfo

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_FAILED = 3
GC_YOUNG_THRESHOLD = 50_000
LOAD_ACK_GRACE_S = 10.0
MIN_PASSWORD_LENGTH = 10
CLI_ACTOR = "cli"
"""The actor of audit rows for changes made with this command."""
T = TypeVar("T")
N = TypeVar("N", int, float)


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

    _add_sim_commands(commands)

    _add_demo_command(commands)

    _add_user_commands(commands)

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


def _add_sim_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = commands.add_parser(
        "sim",
        help="simulate homes and people: live traffic, incidents, history",
        description=(
            "Simulate homes whose people follow daily routines, sending their devices' "
            "readings to the broker until Ctrl-C (or --seconds). --mode load sends many homes "
            "over a few connections (test and load brokers: one connection speaks for many "
            "homes); --mode gateway runs the real home unit for each home, with its own "
            "connection and outbox. Register the homes first (telecare homes add), or the hub "
            "refuses their messages. A control API on --control-port makes incidents happen: "
            'POST /homes/{home_id}/incidents {"kind": "panic"}.'
        ),
    )
    sim.add_argument("--homes", type=int, help="homes to simulate (TELECARE_SIM_HOMES, 50)")
    sim.add_argument("--mode", choices=("load", "gateway"), default="load")
    sim.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    sim.add_argument("--seconds", type=float, help="stop after this many seconds")
    sim.add_argument(
        "--incidents-per-hour", type=float, default=0.0, help="random incidents, all homes"
    )
    sim.add_argument("--control-port", type=int, default=0, help="HTTP control API port")
    sim.add_argument("--event-log", type=Path, help="write every event sent here (JSON lines)")
    sim.add_argument(
        "--state-dir", type=Path, default=Path("sim-units"), help="outboxes in gateway mode"
    )
    sim.add_argument(
        "--burst",
        action="store_true",
        help=(
            "every home in step, for stress runs (all units back at once after a broker "
            "restart): in load mode all heartbeats at the same moment each minute, and every "
            "thermometer at :00 and :30; by default each home has its own phase"
        ),
    )
    sim.set_defaults(run=_sim)
    sim_commands = sim.add_subparsers(title="commands", metavar="COMMAND", required=False)
    backfill = sim_commands.add_parser(
        "backfill",
        help="write days of history straight into the database (not through MQTT)",
        description=(
            "Write --days of simulated history for --homes homes straight into the hub's "
            "database (TELECARE_DATABASE_URL), not through MQTT or the hub, registering the "
            "homes in --district; the hourly rollup is kept as the hub keeps it."
        ),
    )
    backfill.add_argument("--homes", type=int, help="homes (TELECARE_SIM_HOMES, 50)")
    backfill.add_argument("--days", type=int, required=True)
    backfill.add_argument("--district", default="sim", help="district to register them in")
    backfill.set_defaults(run=_sim_backfill)


def _add_demo_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    defaults = DemoOptions()
    demo = commands.add_parser(
        "demo",
        help="the whole system on this machine: broker, database, hub, simulated homes",
        description=(
            "Run the whole system until Ctrl-C or SIGTERM: the broker and database named by "
            "TELECARE_MQTT_URL and TELECARE_DATABASE_URL, else a private Mosquitto and "
            "PostgreSQL; demo staff, homes with residents and contacts, weeks of history; "
            "the hub serving the API and console on --host:--port; a real home unit per home "
            "(speakerphones answer calls) with incidents a few times a minute. Prints the "
            "console's address and the sign-ins when ready. See docs/demo.md."
        ),
    )
    demo.add_argument(
        "--homes", type=_bounded(int, 1, 2000), default=defaults.homes, help="homes to simulate"
    )
    demo.add_argument("--host", default=defaults.host, help="address the hub serves on")
    demo.add_argument(
        "--port", type=_bounded(int, 1, 65535), default=defaults.port, help="the hub's HTTP port"
    )
    demo.add_argument(
        "--speed",
        type=_bounded(float, 0.01, 3600),
        default=defaults.speed,
        help="simulated seconds per second",
    )
    demo.add_argument(
        "--seed", type=int, default=defaults.seed, help="the same seed, the same people"
    )
    demo.add_argument(
        "--incidents-per-minute",
        type=_bounded(float, 0, 600),
        default=defaults.incidents_per_minute,
        help="random incidents across all homes, per real minute",
    )
    demo.add_argument(
        "--history-days",
        type=_bounded(int, 0, 60),
        default=defaults.history_days,
        help="days of history written before the start",
    )
    demo.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="warning",
        help="log lines on standard error (alarms raised are warnings)",
    )
    demo.set_defaults(run=_demo)


def _bounded(kind: Callable[[str], N], low: N, high: N) -> Callable[[str], N]:
    """An argparse type: ``kind`` of ``value``, from ``low`` to ``high``."""

    def parse(value: str) -> N:
        try:
            number = kind(value)
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from err
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{value} is not from {low} to {high}")
        return number

    return parse


def _add_user_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _sim(args: argparse.Namespace) -> int:
    settings = SimSettings()
    configure_logging(settings.log_level, settings.log_format)
    count = args.homes or settings.sim_homes
    sim_homes = make_homes(
        count, settings.sim_seed, settings.sim_home_prefix, synchronized=args.burst
    )
    options = settings.mqtt_options()

    async def run(out: TextIO | None) -> int:
        event_log = EventLog(out)
        emitter: Emitter = (
            GatewayEmitter(options, args.state_dir, event_log)
            if args.mode == "gateway"
            else LoadEmitter(options, event_log, client_prefix=settings.sim_home_prefix)
        )
        clock = SimClock(datetime.now(UTC), args.speed)
        simulation = Simulation(
            sim_homes, emitter, clock, args.incidents_per_hour, settings.sim_seed
        )
        runner: web.AppRunner | None = None
        if args.control_port:
            runner = web.AppRunner(control_app(simulation))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", args.control_port).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await emitter.start(sim_homes)
        running = asyncio.create_task(simulation.run(args.seconds))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        failed = running.done() and not running.cancelled() and running.exception() is not None
        if failed:
            sys.stderr.write(f"telecare sim: the run failed: {running.exception()!r}\n")
        running.cancel()
        stopping.cancel()
        if args.mode == "load" and not failed:
            # Load mode keeps unacknowledged events in memory only: give the acks a moment.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(LOAD_ACK_GRACE_S):
                    while emitter.pending():  # noqa: ASYNC110 - the emitter counts, it does not signal
                        await asyncio.sleep(0.1)
        await emitter.stop()
        if runner is not None:
            await runner.cleanup()
        waiting = emitter.pending()
        sys.stderr.write(
            f"sent {event_log.count} events from {count} homes; {waiting} not acknowledged\n"
        )
        return EXIT_FAILED if failed else EXIT_OK

    if args.event_log is None:
        return asyncio.run(run(None))
    with args.event_log.open("a", encoding="utf-8") as out:
        return asyncio.run(run(out))


def _sim_backfill(args: argparse.Namespace) -> int:
    settings = SimSettings()
    # Only the database URL is needed; MQTT 5 is named so a 3.1.1 .env does not refuse it.
    hub_settings = HubSettings(mqtt_protocol=MqttProtocol.V5)
    configure_logging(settings.log_level, settings.log_format)
    count = args.homes or settings.sim_homes
    sim_homes = make_homes(count, settings.sim_seed, settings.sim_home_prefix)
    result = asyncio.run(backfill(hub_settings.database_url, sim_homes, args.days, args.district))
    sys.stdout.write(f"wrote {result.events} events: {result.homes} homes, {result.days} days\n")
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    settings = HubSettings(mqtt_protocol=MqttProtocol.V5)
    configure_logging(args.log_level, settings.log_format)
    options = DemoOptions(
        homes=args.homes,
        host=args.host,
        port=args.port,
        speed=args.speed,
        seed=args.seed,
        incidents_per_minute=args.incidents_per_minute,
        history_days=args.history_days,
    )
    try:
        asyncio.run(run_demo(options, sys.stdout))
    except (DemoError, DemoServiceError, ServiceError, ForeignDatabaseError) as err:
        sys.stderr.write(f"telecare demo: {err}\n")
        return EXIT_FAILED
    except psycopg.Error as err:
        sys.stderr.write(f"telecare demo: the database failed: {err}\n")
        return EXIT_FAILED
    return EXIT_OK


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

    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(
            settings.database_url, autocommit=True
        ) as conn:
            await migrate.migrate(conn)
            await add_user(conn, args.username, password, Role(args.role), args.district)

    asyncio.run(run())
    sys.stdout.write(f"user {args.username} ({args.role}) saved\n")
    return EXIT_OK


def _user_token(args: argparse.Namespace) -> int:
    async def work(conn: psycopg.AsyncConnection[Any]) -> str:
        return await create_token(conn, args.username, args.name)

    try:
        token = _on_hub_database(work)
    except (UnknownUserError, TokenNameInUseError) as err:
        sys.stderr.write(f"telecare user token: {err}\n")
        return EXIT_USAGE
    sys.stdout.write(token + "\n")
    return EXIT_OK


def _user_tokens(args: argparse.Namespace) -> int:
    async def work(conn: psycopg.AsyncConnection[Any]) -> list[TokenInfo]:
        return await list_tokens(conn, args.username)

    try:
        tokens = _on_hub_database(work)
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
    async def work(conn: psycopg.AsyncConnection[Any]) -> int:
        return await revoke_token(
            conn, args.username, args.token_name, actor=CLI_ACTOR, now=datetime.now(UTC)
        )

    try:
        token_id = _on_hub_database(work)
    except UnknownTokenError as err:
        sys.stderr.write(f"telecare user revoke-token: {err}\n")
        return EXIT_USAGE
    sys.stdout.write(f"token {args.token_name!r} (id {token_id}) of {args.username} revoked\n")
    return EXIT_OK


def _user_set_active(args: argparse.Namespace) -> int:
    verb = "enable" if args.active else "disable"

    async def work(conn: psycopg.AsyncConnection[Any]) -> None:
        await set_active(conn, args.username, active=args.active, actor=CLI_ACTOR)

    try:
        _on_hub_database(work)
    except UnknownUserError as err:
        sys.stderr.write(f"telecare user {verb}: {err}\n")
        return EXIT_USAGE
    sys.stdout.write(f"user {args.username} {verb}d\n")
    return EXIT_OK


def _on_hub_database(work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
    """Run ``work`` on the hub's database (TELECARE_DATABASE_URL), migrated first."""
    settings = HubSettings(mqtt_protocol=MqttProtocol.V5)
    configure_logging(settings.log_level, settings.log_format)

    async def run() -> T:
        async with await psycopg.AsyncConnection.connect(
            settings.database_url, autocommit=True
        ) as conn:
            await migrate.migrate(conn)
            return await work(conn)

    return asyncio.run(run())


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
