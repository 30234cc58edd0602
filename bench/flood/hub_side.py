"""What the flood costs the hub: its counters, its dead letters, its log and its memory."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psutil

from protocol import Channel

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    import psycopg

    from bench.common.hubs import Hub

RECEIVED = "telecare_messages_received_total"
REJECTED = "telecare_messages_rejected_total"
UNKEPT = "telecare_messages_rejected_unkept_total"
EVENTS_RECEIVED = "telecare_events_received_total"
EVENTS_STORED = "telecare_events_stored_total"
EVENTS_DUPLICATE = "telecare_events_duplicate_total"
RATE_LIMITED = "rate_limited"
MB = 1024 * 1024
RSS_EVERY_S = 0.05


def by_label(samples: Mapping[str, float], metric: str) -> dict[str, float]:
    """The samples of ``metric`` (one label) by that label's value; ``{}`` when none."""
    prefix = metric + "{"
    found = {}
    for name, value in samples.items():
        if name.startswith(prefix):
            found[name[len(prefix) :].split('"')[1]] = value
    return found


@dataclass(frozen=True, slots=True)
class Counters:
    """The hub's counters this benchmark reads, at one moment."""

    received: dict[str, float]
    """Messages received, by channel."""
    rejected: dict[str, float]
    """Messages refused, by reason (kept as dead letters or only counted)."""
    unkept: dict[str, float]
    """Refused messages only counted, by reason."""
    events_received: float
    events_stored: float
    events_duplicate: float

    @classmethod
    def of(cls, hub: Hub) -> Counters:
        """Read them from ``hub``'s ``/metrics``."""
        return cls.from_samples(hub.metrics())

    @classmethod
    def from_samples(cls, samples: Mapping[str, float]) -> Counters:
        """Take them from the samples of a hub's ``/metrics``, as ``Hub.metrics`` reads them."""
        return cls(
            received=by_label(samples, RECEIVED),
            rejected=by_label(samples, REJECTED),
            unkept=by_label(samples, UNKEPT),
            events_received=samples.get(EVENTS_RECEIVED, 0.0),
            events_stored=samples.get(EVENTS_STORED, 0.0),
            events_duplicate=samples.get(EVENTS_DUPLICATE, 0.0),
        )

    @property
    def received_besides_alarms(self) -> float:
        """Messages received on every channel but ``up/alarms`` (the presses' own)."""
        return sum(v for channel, v in self.received.items() if channel != Channel.ALARMS.value)


def grown(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, int]:
    """How much each labelled counter grew; those that did not are left out."""
    moved = {k: round(v - before.get(k, 0.0)) for k, v in after.items()}
    return {k: v for k, v in sorted(moved.items()) if v}


@dataclass(frozen=True, slots=True)
class Letters:
    """The dead-letter tables at one moment."""

    rows: int
    bytes: int
    counted: int | None
    """Sum of ``dead_letter_counts.messages``; None when the hub has no such table."""


def letters(conn: psycopg.Connection[Any]) -> Letters:
    """Rows and size of ``dead_letters``, and the messages ``dead_letter_counts`` counts."""
    row = conn.execute(
        "SELECT count(*), pg_total_relation_size('dead_letters') FROM dead_letters"
    ).fetchone()
    rows, size = (int(row[0]), int(row[1])) if row else (0, 0)
    counted = None
    found = conn.execute("SELECT to_regclass('dead_letter_counts') IS NOT NULL").fetchone()
    if found and found[0]:
        total = conn.execute("SELECT coalesce(sum(messages), 0) FROM dead_letter_counts").fetchone()
        counted = int(total[0]) if total else 0
    return Letters(rows, size, counted)


def log_size(log: Path) -> int:
    """Bytes in the hub's log so far."""
    try:
        return log.stat().st_size
    except FileNotFoundError:
        return 0


def log_lines_since(log: Path, offset: int) -> int:
    """Lines written to the hub's log after byte ``offset``."""
    with log.open("rb") as out:
        out.seek(offset)
        lines = 0
        while chunk := out.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


class PeakRss:
    """The highest resident memory of a process and its children, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        """Sample ``pid`` from :meth:`start` until :meth:`stop`."""
        self._process = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self.peak = 0

    def start(self) -> PeakRss:
        """Start sampling; the sampler."""
        self._sample()
        self._thread.start()
        return self

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._stop.set()
        self._thread.join()
        self._sample()
        return round(self.peak / MB, 1)

    def _run(self) -> None:
        while not self._stop.wait(RSS_EVERY_S):
            self._sample()

    def _sample(self) -> None:
        with contextlib.suppress(psutil.Error):
            rss = self._process.memory_info().rss
            for child in self._process.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    rss += child.memory_info().rss
            self.peak = max(self.peak, rss)
