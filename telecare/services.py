"""Private MQTT brokers and PostgreSQL servers, each in its own process on a free port.

The test suite's fixtures (``tests/fix_*.py``) and the benchmarks start their services
through here, so both do it the same way.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psutil

from telecare.errors import TelecareError

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
START_ATTEMPTS = 3
PORT_TAKEN_GRACE_S = 2.0


class ServiceError(TelecareError):
    """A test service could not be started or stopped."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_listener(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``process`` itself listens on ``port``, or fail with the server's log.

    Asking whether the port accepts connections is not enough: another program may hold the
    port while our server exits with "address in use" (Mosquitto) or keeps running without a
    listener (amqtt); the latter is given up on after ``PORT_TAKEN_GRACE_S``.
    """
    started = time.monotonic()
    deadline = started + START_TIMEOUT_S
    taken_since: float | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(f"server exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(psutil.Error):
            sockets = psutil.Process(process.pid).net_connections(kind="tcp")
            if any(s.status == psutil.CONN_LISTEN and s.laddr.port == port for s in sockets):
                return
        # Probing binds the port for a moment, so wait until the server has had time to bind.
        if time.monotonic() - started > 1.0 and _held_by_another(port):
            taken_since = taken_since or time.monotonic()
            if time.monotonic() - taken_since > PORT_TAKEN_GRACE_S:
                raise ServiceError(f"port {port} is held by another program")
        time.sleep(0.05)
    raise ServiceError(f"server did not listen on {port} in {START_TIMEOUT_S} s:\n{_tail(log)}")


def _held_by_another(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT_S)


# --- MQTT brokers -------------------------------------------------------------------------

BrokerKind = Literal["mosquitto", "amqtt"]


@dataclass
class Broker:
    """A private MQTT broker: Mosquitto 2, or amqtt where no mosquitto binary exists.

    It keeps its port and its persistence across :meth:`restart`, as a real broker restart
    does, so fault tests can check what survives.
    """

    kind: BrokerKind
    workdir: Path
    port: int = field(default_factory=free_port)
    acl_file: Path | None = None
    """Mosquitto only: enforce this ACL and the users of ``password_file``."""
    password_file: Path | None = None
    own_session: bool = False
    """Run it in a session of its own: a Ctrl-C at the terminal then reaches only the program
    that started it, which stops it after its clients (``telecare demo``)."""
    _process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``mqtt://telecare-test@127.0.0.1:<port>``.

        Clients log in with a user name, as ours do in production: amqtt keeps no messages for
        an offline persistent session of an anonymous client.
        """
        return f"mqtt://telecare-test@127.0.0.1:{self.port}"

    @property
    def supports_mqtt5(self) -> bool:
        """Whether the broker accepts MQTT 5 (amqtt speaks only 3.1.1)."""
        return self.kind == "mosquitto"

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, *, keep_port: bool = False) -> None:
        """Start the broker and wait until it listens.

        If the port was taken in the meantime, try again on a new one, unless ``keep_port``
        (a restart must come back where its clients expect it).
        """
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / "broker.log"
        for attempt in range(1, START_ATTEMPTS + 1):
            command = self._mosquitto() if self.kind == "mosquitto" else self._amqtt()
            with log.open("ab") as out:
                self._process = subprocess.Popen(  # noqa: S603 - our own fixed argument list
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self.workdir,
                    start_new_session=self.own_session,
                )
            try:
                wait_for_listener(self.port, self._process, log)
            except ServiceError:
                self.stop()
                if keep_port or attempt == START_ATTEMPTS:
                    raise
                self.port = free_port()
            else:
                return

    def stop(self) -> None:
        """Stop the broker (SIGTERM, so Mosquitto saves its persistence file)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)  # a frozen broker cannot stop
            _stop(self._process)
            self._process = None

    def kill(self) -> None:
        """Kill the broker at once (SIGKILL), as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(STOP_TIMEOUT_S)
            self._process = None

    def freeze(self) -> None:
        """Pause the broker (SIGSTOP): its connections stay open and nothing answers."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen broker run again (SIGCONT)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """Stop and start again on the same port with the same persistence."""
        self.stop()
        self.start(keep_port=True)

    def _mosquitto(self) -> list[str]:
        config = self.workdir / "mosquitto.conf"
        access = (
            f"allow_anonymous false\npassword_file {self.password_file}\nacl_file {self.acl_file}\n"
            if self.acl_file and self.password_file
            else "allow_anonymous true\n"
        )
        # Run as whoever runs the tests: as root, Mosquitto would otherwise switch to its own
        # user, who cannot read pytest's private temporary folders.
        config.write_text(
            f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
            f"listener {self.port} 127.0.0.1\n"
            f"{access}"
            "persistence true\n"
            f"persistence_location {self.workdir}/\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 4000\n"
            "set_tcp_nodelay true\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            "log_dest stdout\n"
        )
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        return [mosquitto, "-c", str(config)]

    def _amqtt(self) -> list[str]:
        config = self.workdir / "amqtt.yaml"
        config.write_text(
            "listeners:\n"
            "  default:\n"
            "    type: tcp\n"
            f"    bind: 127.0.0.1:{self.port}\n"
            "plugins:\n"
            "  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
            "    allow_anonymous: false\n"
        )
        amqtt = Path(sys.executable).with_name("amqtt")
        return [str(amqtt), "-c", str(config)]


def broker_kind() -> BrokerKind:
    """Mosquitto when its binary is on PATH (or in /usr/sbin), else amqtt.

    ``TELECARE_TEST_BROKER=amqtt`` forces amqtt, to exercise the Python-only path on a machine
    that has Mosquitto. Under ``CI=true`` a missing Mosquitto is an error: CI has it.
    """
    forced = os.environ.get("TELECARE_TEST_BROKER")
    if forced in {"mosquitto", "amqtt"}:
        return forced  # type: ignore[return-value]
    if shutil.which("mosquitto"):
        return "mosquitto"
    if os.environ.get("CI") == "true":
        raise ServiceError("CI=true but no mosquitto binary is on PATH")
    return "amqtt"


# --- PostgreSQL ---------------------------------------------------------------------------

PostgresKind = Literal["external", "private", "pgserver"]


@dataclass
class Postgres:
    """A PostgreSQL server for the tests; databases are made and dropped on it per test.

    ``external`` is the server named by ``TELECARE_TEST_DATABASE_URL``; ``private`` a cluster
    made with the machine's ``initdb``/``pg_ctl`` in a temporary folder; ``pgserver`` the
    PostgreSQL shipped in the pgserver wheel.
    """

    kind: PostgresKind
    admin_url: str
    workdir: Path | None = None
    _stop_command: list[str] | None = None
    _start_command: list[str] | None = None
    _run_as: str | None = None
    _pgserver: object | None = None

    def halt(self) -> None:
        """Stop a private cluster but keep its data, as an outage would (see :meth:`resume`)."""
        self._pg_ctl(self._stop_command, "halt")

    def resume(self) -> None:
        """Start a halted private cluster again on the same port with the same data."""
        self._pg_ctl(self._start_command, "resume")

    def _pg_ctl(self, command: list[str] | None, what: str) -> None:
        if command is None:
            raise ServiceError(f"only a private cluster can {what}")
        done = subprocess.run(  # noqa: S603 - our own fixed argument list
            command, check=False, capture_output=True, timeout=120, user=self._run_as
        )
        if done.returncode != 0:
            raise ServiceError(f"pg_ctl failed ({done.returncode}): {done.stderr.decode()}")

    def stop(self) -> None:
        """Stop the server if this process started it."""
        if self._stop_command is not None:
            subprocess.run(  # noqa: S603 - our own fixed argument list
                self._stop_command,
                check=False,
                capture_output=True,
                timeout=STOP_TIMEOUT_S * 2,
                user=self._run_as,
            )
            self._stop_command = None
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)
        if self._pgserver is not None:
            self._pgserver.cleanup()  # type: ignore[attr-defined]
            self._pgserver = None


def postgres_binaries() -> tuple[str, str] | None:
    """``initdb`` and ``pg_ctl``: on PATH, else Debian's newest ``/usr/lib/postgresql/N/bin``."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in versions:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return str(folder / "initdb"), str(folder / "pg_ctl")
    return None


def postgres_kind() -> PostgresKind:
    """The first that is available: the env's server, the machine's binaries, pgserver.

    ``TELECARE_TEST_POSTGRES`` (``external``, ``private`` or ``pgserver``) forces one.
    """
    forced = os.environ.get("TELECARE_TEST_POSTGRES")
    if forced in {"external", "private", "pgserver"}:
        return forced  # type: ignore[return-value]
    if os.environ.get("TELECARE_TEST_DATABASE_URL"):
        return "external"
    if postgres_binaries() is not None:
        return "private"
    return "pgserver"


def start_postgres(kind: PostgresKind, workdir: Path) -> Postgres:
    """Start (or connect to) a PostgreSQL server of ``kind``.

    ``workdir`` holds pgserver's cluster; a private cluster makes its own folder elsewhere
    (see :func:`_start_private_cluster`) and removes it when stopped.
    """
    if kind == "external":
        url = os.environ.get("TELECARE_TEST_DATABASE_URL")
        if not url:
            raise ServiceError("TELECARE_TEST_DATABASE_URL is not set")
        return Postgres(kind="external", admin_url=url)
    if kind == "private":
        return _start_private_cluster()
    return _start_pgserver(workdir)


def _unprivileged_user() -> str | None:
    """PostgreSQL refuses to run as root: pick a user to run it as, when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ServiceError("running as root and neither a postgres nor a nobody user exists")


def _start_private_cluster() -> Postgres:
    binaries = postgres_binaries()
    if binaries is None:
        raise ServiceError("initdb and pg_ctl are neither on PATH nor in /usr/lib/postgresql")
    initdb, pg_ctl = binaries
    user = _unprivileged_user()
    # Not under pytest's temporary folder: that is private to root, and the server may run as
    # another user who must reach its data directory.
    workdir = Path(tempfile.mkdtemp(prefix="telecare-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
    data, log, port = workdir / "data", workdir / "postgres.log", free_port()
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    server = Postgres(
        kind="private",
        admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres",
        workdir=workdir,
        _stop_command=[pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],
        _start_command=[pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
        _run_as=user,
    )
    try:
        for command in (
            [
                initdb,
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
            ],
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"],
        ):
            done = subprocess.run(  # noqa: S603 - our own fixed argument list
                command, check=False, capture_output=True, timeout=120, user=user, cwd=workdir
            )
            if done.returncode != 0:
                raise ServiceError(  # noqa: TRY301 - the cleanup below covers this too
                    f"{Path(command[0]).name} failed ({done.returncode}): "
                    f"{done.stderr.decode(errors='replace')}{_tail(log)}"
                )
    except BaseException:
        server.stop()  # also removes the folder, whatever state the cluster got to
        raise
    return server


def _start_pgserver(workdir: Path) -> Postgres:
    with warnings.catch_warnings():
        # pgserver's import and start-up use a platformdirs API that warns; not ours to fix.
        warnings.simplefilter("ignore")
        import pgserver  # noqa: PLC0415 - only needed on machines without PostgreSQL

        server = pgserver.get_server(workdir, cleanup_mode="stop")  # type: ignore[attr-defined]
    return Postgres(kind="pgserver", admin_url=server.get_uri(), workdir=workdir, _pgserver=server)
