"""The broker and database ``telecare demo`` starts when the environment names none.

The hub needs an MQTT 5 broker: shared subscriptions, session expiry, wills, retained messages
and QoS 1 with its own acknowledgements. No broker installable with pip did all of that when
tried (docs/demo.md), so the broker is the machine's Mosquitto, installed with apt-get when it
is missing and the demo may do so. PostgreSQL is the machine's own binaries as a private
cluster, else pgserver (PostgreSQL in a wheel). Both listen on free ports on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psycopg

from telecare.errors import TelecareError
from telecare.services import Broker, Postgres, PostgresKind, postgres_binaries, start_postgres

if TYPE_CHECKING:
    from collections.abc import Callable

MOSQUITTO_FALLBACK = Path("/usr/sbin/mosquitto")
"""Where Debian puts it: not on a normal user's PATH."""
DATABASE = "telecare"
APT_TIMEOUT_S = 600
NO_BROKER = (
    "the demo needs Mosquitto (an MQTT 5 broker) and none is installed. Install it "
    "(Debian/Ubuntu: sudo apt-get install mosquitto; Fedora: sudo dnf install mosquitto; "
    "macOS: brew install mosquitto), or point TELECARE_MQTT_URL at an MQTT 5 broker."
)
NO_POSTGRES = (
    "the demo needs PostgreSQL: install it (initdb and pg_ctl on PATH or in "
    "/usr/lib/postgresql/N/bin), or pgserver (pip install pgserver), or point "
    "TELECARE_DATABASE_URL at a database."
)


class DemoServiceError(TelecareError):
    """A service the demo needs is missing and cannot be installed here."""


def find_mosquitto() -> Path | None:
    """The ``mosquitto`` binary: on PATH, else Debian's ``/usr/sbin/mosquitto``."""
    found = shutil.which("mosquitto")
    if found:
        return Path(found)
    return MOSQUITTO_FALLBACK if MOSQUITTO_FALLBACK.exists() else None


def ensure_mosquitto(say: Callable[[str], None]) -> None:
    """Make sure Mosquitto is installed: with ``apt-get`` when missing, if root and apt exist.

    Raises:
        DemoServiceError: it is missing and cannot be installed here (the message says what
            to install).
    """
    if find_mosquitto() is not None:
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise DemoServiceError(NO_BROKER)
    say("Mosquitto is not installed: installing it with apt-get install -y mosquitto")
    if _apt(apt, "install", "-y", "mosquitto") != 0:
        # A fresh machine (or container) may have no package lists yet.
        _apt(apt, "update")
        _apt(apt, "install", "-y", "mosquitto")
    if find_mosquitto() is None:
        raise DemoServiceError(f"apt-get could not install mosquitto; {NO_BROKER}")


def _apt(apt: str, *arguments: str) -> int:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(  # noqa: S603 - apt-get found on PATH, fixed arguments
        [apt, *arguments], check=False, env=environment, timeout=APT_TIMEOUT_S
    )
    return done.returncode


def start_broker(workdir: Path) -> Broker:
    """Start a private Mosquitto in ``workdir`` on a free port of 127.0.0.1.

    It runs in a session of its own, so a Ctrl-C at the terminal leaves it to the demo,
    which stops it after the hub and the home units have said goodbye.
    """
    broker = Broker(kind="mosquitto", workdir=workdir, own_session=True)
    broker.start()
    return broker


def database_kind() -> PostgresKind:
    """``private`` when the machine has PostgreSQL's binaries, else ``pgserver``."""
    return "private" if postgres_binaries() is not None else "pgserver"


def start_database(workdir: Path, kind: PostgresKind) -> tuple[Postgres, str]:
    """Start PostgreSQL of ``kind`` and make the demo's database in it.

    Returns the server (to stop it) and the database's URL.

    Raises:
        DemoServiceError: pgserver is asked for and not installed.
    """
    try:
        server = start_postgres(kind, workdir)
    except ImportError as err:
        raise DemoServiceError(NO_POSTGRES) from err
    try:
        with psycopg.connect(server.admin_url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")
    except psycopg.Error:
        server.stop()
        raise
    return server, urlsplit(server.admin_url)._replace(path=f"/{DATABASE}").geturl()
