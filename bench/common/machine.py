"""The machine under the benchmark: CPU used by each role's processes, and the load average.

The machine is shared (two cores here, other work on them), so the figures say how busy it was
while they were measured, and who of ours used the CPU.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import psycopg


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy since it started (idle and I/O wait not)."""
    total = psutil.cpu_times()
    return float(sum(total) - total.idle - getattr(total, "iowait", 0.0))


def loadavg() -> list[float]:
    """The machine's load average over 1, 5 and 15 minutes."""
    return [float(part) for part in Path("/proc/loadavg").read_text().split()[:3]]


def database_backends(conn: psycopg.Connection[Any]) -> list[int]:
    """The server processes serving ``conn``'s database, ``conn``'s own left out."""
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()"
    ).fetchall()
    return [int(row[0]) for row in rows]


@dataclass(frozen=True, slots=True)
class CpuSample:
    """CPU seconds used so far, by role and process, and the machine's busy time, at ``at``."""

    at: float
    """``time.monotonic()`` when sampled."""
    roles: tuple[str, ...]
    used_s: dict[tuple[str, int], float]
    machine_s: float


def cpu_sample(roles: Mapping[str, Iterable[int]]) -> CpuSample:
    """CPU seconds each role's processes (by pid) have used so far; a process gone is skipped."""
    used: dict[tuple[str, int], float] = {}
    for role, pids in roles.items():
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(pid).cpu_times()
                used[role, pid] = times.user + times.system
    return CpuSample(time.monotonic(), tuple(roles), used, machine_busy_s())


def cpu_percent(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """Percent of one core each role used between the samples; ``machine``, ``machine_cores``.

    A process started since ``before`` counts whole; every role sampled is in the result.
    """
    wall = after.at - before.at
    shares = dict.fromkeys(after.roles, 0.0)
    for (role, pid), used in after.used_s.items():
        shares[role] += used - before.used_s.get((role, pid), 0.0)
    shares["machine"] = after.machine_s - before.machine_s
    result = {role: round(100 * used / wall, 1) for role, used in shares.items()}
    result["machine_cores"] = float(psutil.cpu_count() or 0)
    return result


@dataclass(frozen=True, slots=True)
class ServicePids:
    """The services' processes to charge CPU time to: the hubs, and the broker when private."""

    hubs: list[int]
    broker: int | None

    def roles(self, conn: psycopg.Connection[Any]) -> dict[str, list[int]]:
        """Their process ids by role, with the backends serving ``conn``'s database."""
        roles = {"hubs": self.hubs}
        if self.broker is not None:
            roles["broker"] = [self.broker]
        roles["db_backends"] = database_backends(conn)
        return roles
