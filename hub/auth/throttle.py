"""Login throttling: after repeated failures a user name is refused for a while.

Pure, with the clock passed in. Kept in the hub's memory: a restart forgets it, and with
several replicas each counts its own failures (both weaken it, neither disables it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

MAX_FAILURES = 5
WINDOW_S = 15 * 60.0
MAX_KEYS = 10_000
"""User names remembered at most; past it the oldest failures are forgotten first."""


@dataclass
class LoginThrottle:
    """Counts failed logins per key (a user name) over a sliding window."""

    max_failures: int = MAX_FAILURES
    window_s: float = WINDOW_S
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        recent = self._recent(key, now)
        if len(recent) < self.max_failures:
            return 0.0
        return recent[0] + self.window_s - now

    def failed(self, key: str, now: float) -> None:
        """Note a failed attempt, or one under way.

        Attempts are noted before they are checked, so that many at once cannot all get past
        the limit; :meth:`succeeded` forgets them.
        """
        if key not in self._failures and len(self._failures) >= MAX_KEYS:
            self._failures.pop(next(iter(self._failures)))
        self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        """Forget the failures of a key that got it right."""
        self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window_s:
            recent.popleft()
        return recent
