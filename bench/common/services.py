"""The services under a benchmark: the broker, the database server, a database for the run.

The broker and the server are the environment's (``TELECARE_MQTT_URL``,
``TELECARE_DATABASE_URL``) or private ones this process starts, and stops on the way out;
each run works in a fresh database on the server, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from bench.common.output import BenchError
from hub.storage import homes as home_register
from hub.storage import migrate, partitions
from runtime.mqtt import MqttOptions, parse_mqtt_url
from runtime.mqtt_link import MAX_PACKET_ID, MqttLink
from telecare.services import (
    ServiceError,
    broker_kind,
    free_port,
    postgres_kind,
    start_postgres,
    wait_for_listener,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from bench.common.output import Say

DISTRICT = "bench"
"""The district the benchmarks' homes are registered in."""
OPERATOR = "bench-operator"
"""The operator of that district a benchmark signs in or acts as."""
BROKER_MAX_INFLIGHT = 4000
"""Mosquitto's in-flight limit per client, as in deploy/mosquitto: the default 20 would
throttle the hub, which asks for 4000 unacknowledged messages (MQTT 5 Receive Maximum)."""
BROKER_MAX_QUEUED = 0
"""No limit on messages queued per client: the publishers run ahead of the hub on purpose, and
a queue limit would make Mosquitto drop the backlog silently."""
CONNECT_TIMEOUT_S = 30.0
KEEPALIVE_S = 30
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class MqttTarget:
    """Where the benchmark's own MQTT clients connect, and as whom."""

    url: str
    username: str
    password: str | None


@dataclass
class Services:
    """Where the broker and the database are, and what they are."""

    target: MqttTarget
    hub_mqtt_url: str
    broker: dict[str, object]
    broker_pid: int | None
    database_kind: str
    admin_url: str


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM, then SIGKILL if it does not end in ``timeout_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout_s)


def start_mosquitto(stack: contextlib.ExitStack, workdir: Path) -> tuple[int, int]:
    """A private Mosquitto with the benchmarks' settings: (port, pid)."""
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    config, log = workdir / "mosquitto.conf", workdir / "mosquitto.log"
    for attempt in range(3):
        port = free_port()
        # As in telecare.services: run as whoever runs this, even as root.
        config.write_text(
            f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
            f"listener {port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            f"max_inflight_messages {BROKER_MAX_INFLIGHT}\n"
            f"max_queued_messages {BROKER_MAX_QUEUED}\n"
            "set_tcp_nodelay true\n"  # as deploy/mosquitto/mosquitto.conf
            "log_type error\nlog_type warning\nlog_type notice\n"
            "log_dest stdout\n"
        )
        with log.open("ab") as out:
            process = subprocess.Popen(
                [mosquitto, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT, cwd=workdir
            )
        stack.callback(stop_process, process)
        try:
            wait_for_listener(port, process, log)
        except ServiceError:
            stop_process(process)
            if attempt == 2:
                raise
        else:
            return port, process.pid
    raise BenchError("unreachable")


def start_database(stack: contextlib.ExitStack, workdir: Path, say: Say) -> tuple[str, str]:
    """The database server named by the environment, or a private one: (admin URL, kind)."""
    external = os.environ.get("TELECARE_DATABASE_URL")
    if external:
        return external, "external"
    server = start_postgres(postgres_kind(), workdir / "pgserver")
    stack.callback(server.stop)
    say(f"postgresql ({server.kind}) at {server.admin_url}")
    return server.admin_url, server.kind


def start_services(stack: contextlib.ExitStack, workdir: Path, say: Say) -> Services:
    """The broker and database server named by the environment, or private ones."""
    external_mqtt = os.environ.get("TELECARE_MQTT_URL")
    if external_mqtt:
        endpoint = parse_mqtt_url(external_mqtt)
        if endpoint.tls:
            raise BenchError("mqtts:// is not supported by this benchmark")
        target = MqttTarget(
            external_mqtt,
            endpoint.username or "telecare-bench",
            os.environ.get("TELECARE_MQTT_PASSWORD"),
        )
        hub_url, broker_pid = external_mqtt, None
        broker: dict[str, object] = {"kind": "external"}
    else:
        if broker_kind() != "mosquitto":
            raise BenchError("needs Mosquitto (MQTT 5 shared subscriptions) or TELECARE_MQTT_URL")
        port, broker_pid = start_mosquitto(stack, workdir)
        target = MqttTarget(f"mqtt://127.0.0.1:{port}", "telecare-bench", None)
        hub_url = f"mqtt://telecare-hub@127.0.0.1:{port}"
        broker = {
            "kind": "mosquitto",
            "max_inflight_messages": BROKER_MAX_INFLIGHT,
            "max_queued_messages": BROKER_MAX_QUEUED,
            "persistence": False,
            "set_tcp_nodelay": True,
        }
        say(f"mosquitto on port {port}")
    admin_url, db_kind = start_database(stack, workdir, say)
    return Services(target, hub_url, broker, broker_pid, db_kind, admin_url)


def fresh_database(stack: contextlib.ExitStack, admin_url: str) -> str:
    """Make a database for this run (dropped on the way out); its connection string."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    stack.callback(drop)
    return make_conninfo(admin_url, dbname=name)


@dataclass(frozen=True, slots=True)
class Stage:
    """What a run works on: a folder, the broker and the database server, a fresh database."""

    stack: contextlib.ExitStack
    """Where the run adds what it starts, to be stopped before the services are."""
    workdir: Path
    services: Services
    database_url: str


@contextlib.contextmanager
def stage(prefix: str, say: Say) -> Iterator[Stage]:
    """The services of a run, in a temporary folder named from ``prefix``; gone on the way out."""
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
        services = start_services(stack, workdir, say)
        yield Stage(stack, workdir, services, fresh_database(stack, services.admin_url))


async def prepare_schema(database_url: str, homes: Sequence[str], day: date | None = None) -> None:
    """Migrate, make the partitions around ``day`` (today) and register ``homes``.

    As the hub and the operators do.
    """
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await partitions.create_ahead(conn, day or date.today())  # noqa: DTZ011 - as the hub does
        await home_register.register(conn, homes, DISTRICT)


def mqtt_options(target: MqttTarget) -> MqttOptions:
    """Options for an MQTT client of the benchmark's own connecting to ``target``."""
    return MqttOptions(
        url=target.url,
        password=target.password,
        keepalive_s=KEEPALIVE_S,
        timeout_s=CONNECT_TIMEOUT_S,
    )


async def connect(
    target: MqttTarget, client_id: str, *, receive_maximum: int = MAX_PACKET_ID
) -> MqttLink:
    """An open MQTT 5 link (clean start) to ``target``."""
    return await MqttLink.open(
        mqtt_options(target),
        client_id=client_id,
        username=target.username,
        receive_maximum=receive_maximum,
    )
