"""`telecare demo` as a user runs it: the ready lines, signing in, homes, alarms, Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import psycopg
import pytest
from consoles import Console
from queries import rows
from services import clear_retained, options_for

from hub.auth.users import Role, add_user
from hub.storage import migrate
from telecare.demo import HOME_PREFIX
from telecare.demo_services import find_mosquitto
from telecare.services import free_port

if TYPE_CHECKING:
    from telecare.services import Broker

TELECARE = str(Path(sys.executable).with_name("telecare"))
READY_LINE = "Ctrl-C to stop."
READY_CEILING_S = 180
ALARM_CEILING_S = 180
STOP_CEILING_S = 90
HOMES = 5
# Many incidents a minute, so an alarm comes soon; two days of history keep the start short.
FAST = ("--homes", str(HOMES), "--incidents-per-minute", "60", "--history-days", "2")


@dataclass
class DemoRun:
    """A `telecare demo` process in a process group of its own, as a terminal starts it."""

    process: asyncio.subprocess.Process
    log: Path
    lines: list[str] = field(default_factory=list)

    async def read_until(self, wanted: str, ceiling_s: float = READY_CEILING_S) -> None:
        """Read its standard output until a line holds ``wanted``."""
        assert self.process.stdout is not None
        async with asyncio.timeout(ceiling_s):
            while not any(wanted in line for line in self.lines):
                line = await self.process.stdout.readline()
                if not line:
                    pytest.fail(f"the demo ended before {wanted!r}:\n{self.output()}")
                self.lines.append(line.decode().rstrip("\n"))

    def output(self) -> str:
        """What it printed, and its log."""
        return "\n".join(self.lines) + "\n--- log:\n" + self.log.read_text(errors="replace")

    def find(self, pattern: str) -> re.Match[str]:
        """The first printed line matching ``pattern``."""
        for line in self.lines:
            found = re.search(pattern, line)
            if found:
                return found
        pytest.fail(f"no line matches {pattern!r}:\n{self.output()}")

    def started_processes(self, *ports: int) -> list[psutil.Process]:
        """Its descendants, and whatever listens on ``ports`` with their children.

        A private PostgreSQL is no descendant: pg_ctl detaches it.
        """
        found = psutil.Process(self.process.pid).children(recursive=True)
        for connection in psutil.net_connections(kind="tcp"):
            address = connection.laddr
            if (
                connection.status == psutil.CONN_LISTEN
                and address  # an empty tuple when it has no address
                and address.port in ports
                and connection.pid is not None
            ):
                server = psutil.Process(connection.pid)
                found += [server, *server.children(recursive=True)]
        return found

    async def stop(self, signum: signal.Signals) -> int:
        """Send ``signum`` to its process group, as a terminal's Ctrl-C does; its exit status."""
        os.killpg(self.process.pid, signum)
        assert self.process.stdout is not None
        async with asyncio.timeout(STOP_CEILING_S):
            rest = await self.process.stdout.read()
            status = await self.process.wait()
        self.lines += rest.decode().splitlines()
        return status


async def start_demo(tmp_path: Path, environment: dict[str, str], *args: str) -> DemoRun:
    """Start `telecare demo` in ``tmp_path`` (no .env there) with ``args``."""
    log = tmp_path / "demo.log"
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            TELECARE,
            "demo",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            cwd=tmp_path,
            env=environment,
            start_new_session=True,
        )
    return DemoRun(process, log)


def clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without any TELECARE_ setting, then ``values``."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")} | values


async def use_as_operator(demo: DemoRun) -> None:
    """Sign in with the printed operator login, see the homes and, in time, an alarm."""
    base = demo.find(r"Console: (http://\S+?)/?$").group(1)
    username, password = demo.find(r"^\s+(\S+)\s+/\s+(\S+)\s+\(operator\)$").groups()
    console = Console(base)
    try:
        assert await console.login(username, password) == 200
        status, homes = await console.get("/api/v1/homes")
        assert status == 200
        assert len(homes["items"]) == HOMES
        assert all(home["residents"] for home in homes["items"])
        async with asyncio.timeout(ALARM_CEILING_S):
            while True:
                status, alarms = await console.get("/api/v1/alarms?state=all")
                assert status == 200
                if alarms["items"]:
                    break
                await asyncio.sleep(1)
    finally:
        await console.close()


def assert_all_gone(demo: DemoRun, started: list[psutil.Process]) -> None:
    """Nothing it started is left: no process, no process in its group, no work folder."""
    _, alive = psutil.wait_procs(started, timeout=30)
    assert not alive, f"left running: {alive}"
    in_group = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == demo.process.pid:
                in_group.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    assert not in_group, f"left in its process group: {in_group}"
    workdir = Path(demo.find(r"Work folder \(removed at the stop\): (\S+)").group(1))
    assert not workdir.exists()


@pytest.mark.mqtt5
async def test_demo_on_the_services_in_the_environment(
    mqtt_broker: Broker, database_url: str, tmp_path: Path
) -> None:
    """With TELECARE_MQTT_URL and TELECARE_DATABASE_URL it uses them, and stops at Ctrl-C."""
    environment = clean_environment(
        TELECARE_MQTT_URL=mqtt_broker.url, TELECARE_DATABASE_URL=database_url
    )
    demo = await start_demo(tmp_path, environment, "--port", str(free_port()), *FAST)
    try:
        await demo.read_until(READY_LINE)
        assert "(TELECARE_MQTT_URL)" in demo.find(r"^Broker: ").string
        await use_as_operator(demo)
        started = demo.started_processes()
        assert await demo.stop(signal.SIGINT) == 0, demo.output()
        assert demo.lines[-1] == "Stopped."
        assert_all_gone(demo, started)
    finally:
        if demo.process.returncode is None:
            demo.process.kill()
            await demo.process.wait()
        # The units' retained statuses would reach later tests' hubs.
        await clear_retained(options_for(mqtt_broker), HOME_PREFIX)


@pytest.mark.mqtt5
async def test_demo_refuses_a_database_with_people_that_are_not_its_own(
    mqtt_broker: Broker, database_url: str, tmp_path: Path
) -> None:
    """A service's database named by mistake is left alone: no public-password users in it."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await add_user(conn, "mario", "a real password", Role.OPERATOR, ["ats-vera"])
    environment = clean_environment(
        TELECARE_MQTT_URL=mqtt_broker.url, TELECARE_DATABASE_URL=database_url
    )
    demo = await start_demo(tmp_path, environment, "--port", str(free_port()), *FAST)
    assert await demo.process.wait() != 0
    assert "1 users and 0 homes that are not the demo's" in demo.log.read_text()
    users = await rows(database_url, "SELECT username FROM users")
    assert users == [("mario",)]


@pytest.mark.skipif(find_mosquitto() is None, reason="no mosquitto: the demo would install it")
async def test_demo_with_its_own_broker_and_database(tmp_path: Path) -> None:
    """Without those settings it starts Mosquitto and PostgreSQL, and stops them at Ctrl-C."""
    demo = await start_demo(tmp_path, clean_environment(), "--port", str(free_port()), *FAST)
    try:
        await demo.read_until(READY_LINE)
        broker_port = int(demo.find(r"^Broker: Mosquitto on mqtt://127.0.0.1:(\d+)").group(1))
        database_port = int(demo.find(r"^Database: postgresql://\S+:(\d+)/").group(1))
        await use_as_operator(demo)
        started = demo.started_processes(broker_port, database_port)
        assert len(started) > 2, "the broker and the database are among them"
        assert await demo.stop(signal.SIGINT) == 0, demo.output()
        assert demo.lines[-1] == "Stopped."
        assert_all_gone(demo, started)
    finally:
        if demo.process.returncode is None:
            demo.process.kill()
            await demo.process.wait()


@pytest.mark.skipif(find_mosquitto() is None, reason="no mosquitto: the demo would install it")
async def test_demo_stopped_while_starting(tmp_path: Path) -> None:
    """SIGTERM while it is still starting stops what it started so far, and exits 0."""
    demo = await start_demo(tmp_path, clean_environment(), "--port", str(free_port()), *FAST)
    try:
        await demo.read_until("Database: ")
        broker_port = int(demo.find(r"^Broker: Mosquitto on mqtt://127.0.0.1:(\d+)").group(1))
        database_port = int(demo.find(r"^Database: postgresql://\S+:(\d+)/").group(1))
        started = demo.started_processes(broker_port, database_port)
        assert await demo.stop(signal.SIGTERM) == 0, demo.output()
        assert demo.lines[-2:] == ["Stopping what was started.", "Stopped."]
        _, alive = psutil.wait_procs(started, timeout=30)
        assert not alive, f"left running: {alive}"
    finally:
        if demo.process.returncode is None:
            demo.process.kill()
            await demo.process.wait()
