"""``telecare demo``: the whole system from one command, stopped cleanly by Ctrl-C.

In order: a broker and a database (those TELECARE_MQTT_URL and TELECARE_DATABASE_URL name,
else private ones started here: :mod:`telecare.demo_services`); the schema, the demo's staff
and register (:mod:`telecare.demo_register`) and weeks of history written straight into the
database, so each person's baseline has something to learn from; the hub in this process,
serving the API (and the console) on ``--host``:``--port``; then a real home unit per home
(outbox, heartbeats, a speakerphone that answers calls with a tone), fed by the simulator's
people, with incidents a few times a minute. SIGINT, SIGTERM or SIGHUP (the terminal closed)
stops it all in the reverse order: the simulation, the units (each says offline), the hub
(drained), then the database and broker it started, and it removes its work folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import shutil
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

import psycopg
from aiohttp import web

from device_sim.backfill import backfill
from device_sim.drifts import Drift, DriftKind, Life
from device_sim.home import SimHome
from device_sim.people import person
from device_sim.simulation import EventLog, GatewayEmitter, SimClock, Simulation
from hub.app import CONSUMER, create_app
from hub.auth.users import Role
from hub.config import HubSettings
from hub.loops import indicators
from hub.review.nightly import review_homes
from hub.storage import homes, migrate
from runtime.mqtt import MqttProtocol
from telecare.demo_history import write_centre_past
from telecare.demo_register import (
    DEMO_PASSWORD,
    DEMO_USERS,
    DISTRICTS,
    TIME_ZONE,
    DemoHome,
    add_demo_users,
    plan_home,
    refuse_foreign_data,
    register_homes,
)
from telecare.demo_services import database_kind, ensure_mosquitto, start_broker, start_database
from telecare.errors import TelecareError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

HOME_PREFIX = "casa"
READY_CEILING_S = 60.0
"""How long the hub and the home units may take to connect before the demo gives up."""
POLL_S = 0.1
HTTP_SHUTDOWN_S = 5.0
"""At the stop, how long requests still being answered may take (streams close at once)."""
FILES_PER_UNIT = 6
"""Open files a home unit holds: its broker connection and its outbox's database, write-ahead
log and shared memory, with room to spare."""
FILES_BESIDES_UNITS = 256


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What ``telecare demo`` was asked for."""

    homes: int = 50
    host: str = "127.0.0.1"
    port: int = 8080
    speed: float = 1.0
    """Simulated seconds per real second."""
    seed: int = 1
    """The same seed gives the same people, register and days."""
    incidents_per_minute: float = 2.0
    """Random incidents across all homes per real minute."""
    history_days: int = 84
    """Days of history written before the start: two weeks teach the alarm baselines, ten
    the review list's (eight weeks against the last two), twelve fill the person's page."""


DRIFTS: dict[int, tuple[DriftKind, int, int, float]] = {
    2: (DriftKind.LESS_ACTIVE, 24, 14, 0.4),
    3: (DriftKind.NIGHT_BATHROOM, 18, 4, 2.5),
    5: (DriftKind.STAYS_IN, 20, 2, 1.0),
}
"""Demo homes whose person drifts: kind, days ago it began, days to full size, size. One
slowly less active, one up more often to the bathroom at night, one who stops going out."""
REVIEWED_DAYS = 28
"""The history's last days reviewed as the nightly run would have, each on its own day."""


class DemoError(TelecareError):
    """The demo could not start or went wrong while running."""


class _StopRequestedError(TelecareError):
    """SIGINT or SIGTERM came while the demo was starting."""


@dataclass(frozen=True, slots=True)
class _Services:
    mqtt_url: str
    database_url: str
    workdir: Path


class _Say:
    """The demo's own lines, on standard output (logs go to standard error)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def __call__(self, line: str = "") -> None:
        self._out.write(line + "\n")
        self._out.flush()


async def run_demo(options: DemoOptions, out: TextIO) -> None:
    """Run the demo until SIGINT or SIGTERM, then stop everything it started.

    Raises:
        DemoError: the demo could not start (the port is taken, the hub or the units did not
            connect) or the simulation failed.
        telecare.demo_services.DemoServiceError: a service it needs is missing.
    """
    say = _Say(out)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with contextlib.AsyncExitStack() as stack:
            failure = await _run(options, stack, stop, say)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(signum)
    if failure is not None:
        raise DemoError(f"the simulation failed: {failure!r}") from failure
    say("Stopped.")


async def _run(
    options: DemoOptions, stack: contextlib.AsyncExitStack, stop: asyncio.Event, say: _Say
) -> BaseException | None:
    """Start, say so, and run until ``stop``; what made the simulation fail, if it did."""
    started = time.monotonic()
    try:
        services, simulating = await _start(options, stack, stop, say)
    except _StopRequestedError:
        say("Stopping what was started.")
        return None
    for line in _banner(options, services, time.monotonic() - started):
        say(line)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({stopping, simulating}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    say("Stopping: simulation, home units, hub, then the services it started.")
    return simulating.exception() if simulating.done() else None


async def _start(
    options: DemoOptions, stack: contextlib.AsyncExitStack, stop: asyncio.Event, say: _Say
) -> tuple[_Services, asyncio.Task[None]]:
    """Start everything, each part's stop put on ``stack``; return the simulation's task."""
    _allow_open_files(options.homes * FILES_PER_UNIT + FILES_BESIDES_UNITS)
    await _check_port(options.host, options.port)
    workdir = Path(tempfile.mkdtemp(prefix="telecare-demo-"))
    stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    services = await _services(stack, workdir, say)
    _check(stop)
    sim_homes = demo_homes(options.homes, options.seed)
    plans = [plan_home(h.home_id, n, options.seed) for n, h in enumerate(sim_homes, start=1)]
    await _prepare(services.database_url, sim_homes, plans, options, say)
    _check(stop)
    settings = _hub_settings(options, services)
    app = create_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=HTTP_SHUTDOWN_S)
    stack.push_async_callback(runner.cleanup)
    await runner.setup()
    try:
        await web.TCPSite(runner, options.host, options.port).start()
    except OSError as err:
        raise DemoError(f"cannot listen on {options.host}:{options.port}: {err}") from err
    if not await _wait_until(lambda: app[CONSUMER].connected, stop):
        raise DemoError(f"the hub did not connect to the broker in {READY_CEILING_S:.0f} s")
    say(f"Hub: serving on {options.host}:{options.port}")
    emitter = GatewayEmitter(settings.mqtt_options(), workdir / "units", EventLog(None))
    stack.push_async_callback(emitter.stop)
    await emitter.start(sim_homes)
    units = emitter.units.values()
    if not await _wait_until(lambda: all(u.state.connected for u in units), stop):
        missing = sum(not u.state.connected for u in units)
        raise DemoError(f"{missing} home units did not connect in {READY_CEILING_S:.0f} s")
    say(f"Home units: {len(units)} connected, each with its outbox and speakerphone")
    simulation = Simulation(
        sim_homes,
        emitter,
        SimClock(datetime.now(UTC), options.speed),
        # The simulation counts incidents per simulated hour.
        incidents_per_hour=options.incidents_per_minute * 60 / options.speed,
        seed=options.seed,
    )
    simulating = asyncio.create_task(simulation.run())
    stack.push_async_callback(_cancel, simulating)
    return services, simulating


def demo_homes(count: int, seed: int, today: date | None = None) -> list[SimHome]:
    """The simulated homes ``casa-00001`` and on, their people living on Italian time.

    Three of them drift from ``today`` back (:data:`DRIFTS`), so the social workers' review
    list has real entries with their reasons.
    """
    zone = ZoneInfo(TIME_ZONE)
    today = today or datetime.now(zone).date()
    homes = []
    for n in range(1, count + 1):
        home = SimHome(f"{HOME_PREFIX}-{n:05d}", person(n, seed), seed, tz=zone)
        drift = DRIFTS.get(n)
        if drift is not None:
            kind, days_ago, ramp_days, size = drift
            home.shaping = Life().with_drift(
                Drift(kind, today - timedelta(days=days_ago), ramp_days, size)
            )
        homes.append(home)
    return homes


def _allow_open_files(wanted: int) -> None:
    # A desktop's usual soft limit of 1,024 open files runs out at a couple of hundred units;
    # the hard limit is usually far higher, and a process may raise its own soft limit to it.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    if hard != resource.RLIM_INFINITY and hard < wanted:
        raise DemoError(
            f"the home units need about {wanted} open files and this process may open only "
            f"{hard}: ask for fewer --homes"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def _check_port(host: str, port: int) -> None:
    # Found out before the minute of setting up, not after it.
    loop = asyncio.get_running_loop()
    try:
        server = await loop.create_server(asyncio.Protocol, host, port)
    except OSError as err:
        # asyncio's message names the address and the reason.
        raise DemoError(f"{err.strerror}; choose another --port") from err
    server.close()
    await server.wait_closed()


def _check(stop: asyncio.Event) -> None:
    if stop.is_set():
        raise _StopRequestedError


async def _wait_until(condition: Callable[[], bool], stop: asyncio.Event) -> bool:
    """Wait until ``condition`` holds (True) or :data:`READY_CEILING_S` has passed (False)."""
    deadline = time.monotonic() + READY_CEILING_S
    while not condition():
        _check(stop)
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(POLL_S)
    return True


async def _services(stack: contextlib.AsyncExitStack, workdir: Path, say: _Say) -> _Services:
    """The broker and database: the environment's, or private ones started in ``workdir``."""
    given = HubSettings(mqtt_protocol=MqttProtocol.V5)
    if "mqtt_url" in given.model_fields_set:
        mqtt_url = given.mqtt_url
        say(f"Broker: {mqtt_url} (TELECARE_MQTT_URL)")
    else:
        ensure_mosquitto(say)
        broker = await asyncio.to_thread(start_broker, workdir / "broker")
        stack.callback(broker.stop)
        mqtt_url = f"mqtt://telecare-hub@127.0.0.1:{broker.port}"
        say(f"Broker: Mosquitto on mqtt://127.0.0.1:{broker.port}, started by the demo")
    if "database_url" in given.model_fields_set:
        database_url = given.database_url
        say("Database: TELECARE_DATABASE_URL")
    else:
        kind = database_kind()
        server, database_url = await asyncio.to_thread(start_database, workdir / "pg", kind)
        stack.callback(server.stop)
        what = "a private PostgreSQL cluster" if kind == "private" else "pgserver"
        say(f"Database: {database_url}, {what} started by the demo")
    return _Services(mqtt_url=mqtt_url, database_url=database_url, workdir=workdir)


async def _prepare(
    database_url: str,
    sim_homes: Sequence[SimHome],
    plans: Sequence[DemoHome],
    options: DemoOptions,
    say: _Say,
) -> None:
    """Migrate, sign up the staff, register the homes and write their history."""
    history_days = options.history_days
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await refuse_foreign_data(conn)
        await add_demo_users(conn)
        # Registered as the history begins, so its calls were planned and its people served.
        since = datetime.now(UTC) - timedelta(days=options.history_days)
        new = await register_homes(conn, plans, since)
        await homes.registered_since(conn, [h.home_id for h in new], since)
    kept = len(plans) - len(new)
    say(
        f"Register: {len(new)} homes with their residents, contacts, check-ins and calls"
        + (f" ({kept} already registered, kept as they were)" if kept else "")
    )
    if history_days == 0 or not new:
        return
    writing = time.monotonic()
    district_of = {plan.home_id: plan.district for plan in new}
    written = 0
    for district in DISTRICTS:
        chosen = [h for h in sim_homes if district_of.get(h.home_id) == district]
        if chosen:
            result = await backfill(database_url, chosen, history_days, district)
            written += result.events
    say(
        f"History: {history_days} days of {len(new)} homes, {written:,} events, "
        f"in {time.monotonic() - writing:.1f} s"
    )
    await _centre_past([h.home_id for h in new], history_days, options.seed, database_url, say)


async def _centre_past(
    home_ids: list[str], history_days: int, seed: int, database_url: str, say: _Say
) -> None:
    """What the centre did in the history, and each day of it in numbers."""
    working = time.monotonic()
    now = datetime.now(UTC)
    start = now - timedelta(days=history_days)
    operators = [u.username for u in DEMO_USERS if u.role is Role.OPERATOR]
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        past = await write_centre_past(conn, home_ids, start, now, operators=operators, seed=seed)
        yesterday = now.astimezone(ZoneInfo(TIME_ZONE)).date() - timedelta(days=1)
        days = await indicators.backfill(
            conn, start.date() + timedelta(days=1), yesterday, home_ids
        )
        opened = 0
        for back in range(min(REVIEWED_DAYS, history_days - 1), 0, -1):
            run = await review_homes(conn, yesterday - timedelta(days=back - 1), home_ids, now)
            opened += run.opened
    say(
        f"Centre's past: {past.alarms} alarms answered, {past.calls} well-being calls made; "
        f"{days:,} days worked out into indicators; {opened} entries on the review list; "
        f"in {time.monotonic() - working:.1f} s"
    )


def _hub_settings(options: DemoOptions, services: _Services) -> HubSettings:
    # A client id and share group of its own: on a broker other hubs use, the demo's hub must
    # not take their share of the traffic, nor they its.
    tag = uuid.uuid4().hex[:8]
    return HubSettings(
        database_url=services.database_url,
        mqtt_url=services.mqtt_url,
        mqtt_protocol=MqttProtocol.V5,
        mqtt_client_id=f"telecare-demo-{tag}",
        mqtt_share_group=f"demo-{tag}",
        http_host=options.host,
        http_port=options.port,
    )


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _banner(options: DemoOptions, services: _Services, seconds: float) -> list[str]:
    # 0.0.0.0 and :: listen everywhere but are no address to open in a browser.
    shown = "127.0.0.1" if options.host in {"0.0.0.0", "::", ""} else options.host  # noqa: S104
    width = max(len(user.username) for user in DEMO_USERS)
    return [
        "",
        (
            f"Telecare demo ready in {seconds:.0f} s: {options.homes} homes in "
            f"{' and '.join(DISTRICTS)}, speed {options.speed:g}x, "
            f"about {options.incidents_per_minute:g} incidents a minute."
        ),
        "",
        f"  Console: http://{shown}:{options.port}/",
        "  Sign in as (user / password):",
        *(
            f"    {user.username.ljust(width)} / {DEMO_PASSWORD}   ({user.role.value})"
            for user in DEMO_USERS
        ),
        f"  Work folder (removed at the stop): {services.workdir}",
        "",
        "Ctrl-C to stop.",
    ]
