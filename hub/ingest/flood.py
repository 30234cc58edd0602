"""Keeping one noisy home from hurting the others (pure, no I/O).

- :class:`HomeRate`: a token bucket per home id. Telemetry and presence from a home over its
  rate are refused (``rate_limited``) without being stored or acknowledged to the unit, which
  keeps them in its outbox and sends them again later; ``up/alarms`` is never limited.
- :class:`LetterSample`: the refused messages of each home and reason kept as dead letters and
  log lines are the first few of each minute; the rest are only counted, and the counts stored
  once a few seconds. A flood of 50,000 bad messages is then a few rows and one count.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

WINDOW_S = 60
"""The sample's window: a wall-clock minute."""
PRUNE_EVERY = 100_000
"""Messages between two sweeps of the buckets of quiet homes."""


@dataclass
class _Bucket:
    tokens: float
    at: float


class HomeRate:
    """Messages a second each home may send (after a burst), telemetry and presence alike."""

    def __init__(
        self, per_s: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Allow ``per_s`` messages a second to each home, and ``burst`` at once."""
        self._per_s = per_s
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._calls = 0

    def allow(self, home_id: str) -> bool:
        """Take one message's token from ``home_id``; False when it has none left."""
        self._calls += 1
        if self._calls % PRUNE_EVERY == 0:
            self.forget_full()  # homes' ids must not pile up without end
        now = self._clock()
        bucket = self._buckets.get(home_id)
        if bucket is None:
            bucket = self._buckets[home_id] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._per_s)
        bucket.at = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def forget_full(self) -> int:
        """Drop the buckets that have filled up again (homes quiet for a while); how many."""
        now = self._clock()
        full = [
            home
            for home, b in self._buckets.items()
            if b.tokens + (now - b.at) * self._per_s >= self._burst
        ]
        for home in full:
            del self._buckets[home]
        return len(full)


class LetterSample:
    """Which refused messages are kept whole: the first ``per_minute`` of each home and reason."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.time) -> None:
        """Keep ``per_minute`` messages of each (home, reason) a minute; count the rest."""
        self._per_minute = per_minute
        self._clock = clock
        self._kept: Counter[tuple[int, str, str]] = Counter()
        self._counted: Counter[tuple[int, str, str]] = Counter()

    def admit(self, home_id: str, reason: str) -> bool:
        """Whether this refused message is kept (stored and logged) or only counted."""
        key = (int(self._clock() // WINDOW_S), home_id, reason)
        if self._kept[key] < self._per_minute:
            self._kept[key] += 1
            return True
        self._counted[key] += 1
        return False

    def take_counts(self) -> dict[tuple[datetime, str, str], int]:
        """The messages only counted since the last call, by (minute, home, reason).

        Also forgets the minutes that are over, so many homes' ids do not pile up.
        """
        taken = {
            (datetime.fromtimestamp(minute * WINDOW_S, UTC), home, reason): count
            for (minute, home, reason), count in self._counted.items()
        }
        self._counted.clear()
        current = int(self._clock() // WINDOW_S)
        for key in [k for k in self._kept if k[0] < current]:
            del self._kept[key]
        return taken
