"""``telecare hub`` processes for a benchmark: started in one share group, ready, measured."""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common.output import BenchError
from bench.common.services import stop_process
from hub.config import HubSettings
from telecare.services import free_port

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bench.common.services import Services

HUB_READY_TIMEOUT_S = 60.0
HUB_FLAGS = ("batch_max_events", "batch_max_wait_ms", "event_writers")
"""Hub settings a benchmark may take as flags (else from ``TELECARE_*``)."""
SOURCE = Path(__file__).resolve().parents[2]
"""The checkout this benchmark runs from."""
REPORTED_SETTINGS = (
    *HUB_FLAGS,
    "queue_capacity_events",
    "mqtt_receive_maximum",
    "db_pool_size",
)
"""The hub settings a result names."""


def http_get(port: int, path: str) -> tuple[int, str]:
    """Status and body of ``GET http://127.0.0.1:port/path``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@dataclass
class Hub:
    """One ``telecare hub`` process."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def wait_ready(self) -> None:
        """Wait for ``/readyz`` to say 200."""
        deadline = time.monotonic() + HUB_READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"hub exited with {self.process.returncode}:\n{self.tail()}")
            with contextlib.suppress(OSError):
                if http_get(self.port, "/readyz")[0] == 200:
                    return
            time.sleep(0.1)
        raise BenchError(f"hub not ready in {HUB_READY_TIMEOUT_S} s:\n{self.tail()}")

    def metrics(self) -> dict[str, float]:
        """The samples of its ``/metrics``: name with labels, as written there, to value."""
        status, body = http_get(self.port, "/metrics")
        if status != 200:
            raise BenchError(f"/metrics answered {status}")
        samples = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                samples[name] = float(value)
        return samples

    def tail(self) -> str:
        """The end of its log."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        return "(no log)"


def hub_environment(
    services: Services, database_url: str, flags: Mapping[str, object | None] | None = None
) -> dict[str, str]:
    """The hubs' environment: ours (TELECARE_* passes through), the flags, the fixed part.

    ``flags`` are hub settings by name (:data:`HUB_FLAGS`); one that is None is left out. The
    hubs import this checkout's code first: ``telecare`` is installed from wherever the
    environment was made, which need not be the checkout benchmarked (a git worktree).
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), env.get("PYTHONPATH")]))
    for name, value in (flags or {}).items():
        if value is not None:
            env[f"TELECARE_{name.upper()}"] = str(value)
    env.update(
        TELECARE_DATABASE_URL=database_url,
        TELECARE_MQTT_URL=services.hub_mqtt_url,
        TELECARE_MQTT_PROTOCOL="5",
        TELECARE_HTTP_HOST="127.0.0.1",
        TELECARE_LOG_FORMAT="json",
        TELECARE_LOG_LEVEL="warning",
    )
    return env


def hub_settings(env: Mapping[str, str]) -> dict[str, object]:
    """The settings the hubs run with, as they read them from ``env``."""
    prefix = "TELECARE_"
    values = {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}
    settings = HubSettings.model_validate(values)
    return {name: getattr(settings, name) for name in REPORTED_SETTINGS}


def start_hubs(
    stack: contextlib.ExitStack, replicas: int, env: Mapping[str, str], workdir: Path
) -> list[Hub]:
    """Start ``replicas`` hubs in one share group and wait until each is ready."""
    telecare = Path(sys.executable).with_name("telecare")
    group = f"bench-{uuid.uuid4().hex[:8]}"
    hubs: list[Hub] = []
    for index in range(replicas):
        port, log = free_port(), workdir / f"hub-{index}.log"
        own = {
            **env,
            "TELECARE_MQTT_CLIENT_ID": f"{group}-{index}",
            "TELECARE_MQTT_SHARE_GROUP": group,
            "TELECARE_HTTP_PORT": str(port),
        }
        with log.open("ab") as out:
            process = subprocess.Popen(
                [str(telecare), "hub"], env=own, stdout=out, stderr=out, cwd=workdir
            )
        stack.callback(stop_process, process)
        hubs.append(Hub(port, process, log))
    for hub in hubs:
        hub.wait_ready()
    return hubs
