"""``telecare sim``: simulated homes live over MQTT, and ``sim backfill`` for their history."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

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
from hub.config import HubSettings
from runtime.logs import configure_logging
from runtime.mqtt import MqttProtocol
from telecare.cli.common import EXIT_FAILED, EXIT_OK, stop_on_signals

if TYPE_CHECKING:
    import argparse

    from telecare.cli.common import Commands

LOAD_ACK_GRACE_S = 10.0


def add_commands(commands: Commands) -> None:
    """Add ``sim`` and ``sim backfill``."""
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
    backfill_command = sim_commands.add_parser(
        "backfill",
        help="write days of history straight into the database (not through MQTT)",
        description=(
            "Write --days of simulated history for --homes homes straight into the hub's "
            "database (TELECARE_DATABASE_URL), not through MQTT or the hub, registering the "
            "homes in --district; the hourly rollup is kept as the hub keeps it."
        ),
    )
    backfill_command.add_argument("--homes", type=int, help="homes (TELECARE_SIM_HOMES, 50)")
    backfill_command.add_argument("--days", type=int, required=True)
    backfill_command.add_argument("--district", default="sim", help="district to register them in")
    backfill_command.set_defaults(run=_sim_backfill)


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
        stop = stop_on_signals()
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
