"""Login throttling: after repeated failures, sign-ins are refused for a while.

Three limits over the same window, so that guessing is slow and locking someone out is hard:

- a user name from one address (5): the usual guesser, or a mistyping user, waits; the same
  user name from another address is not refused;
- an address, whatever user names it tries (20): one address cannot try many users;
- a user name from all addresses (50): a guesser with many addresses is still slowed; to
  lock a user name out everywhere takes ten addresses or more, each adding at most five.

An IPv6 client is counted by its /64 network: one host usually has the whole of it to pick
addresses from.

Pure, with the clock passed in. Kept in the hub's memory: a restart forgets it, and with
several replicas each counts its own failures (both weaken it, neither disables it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from ipaddress import ip_address, ip_network
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Hashable

WINDOW_S = 15 * 60.0
MAX_PER_USER_AT_ADDRESS = 5
MAX_PER_ADDRESS = 20
MAX_PER_USER = 50
MAX_KEYS = 10_000
"""Keys remembered at most per limit; past it the oldest key's failures are forgotten first."""


@dataclass
class FailureCount:
    """Counts failed attempts per key over a sliding window."""

    max_failures: int
    window_s: float = WINDOW_S
    _failures: dict[Hashable, deque[float]] = field(default_factory=dict)

    def retry_after(self, key: Hashable, now: float) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        recent = self._recent(key, now)
        if len(recent) < self.max_failures:
            return 0.0
        return recent[0] + self.window_s - now

    def failed(self, key: Hashable, now: float) -> None:
        """Note a failed attempt."""
        if key not in self._failures and len(self._failures) >= MAX_KEYS:
            self._failures.pop(next(iter(self._failures)))
        self._recent(key, now).append(now)

    def withdraw(self, key: Hashable, at: float) -> None:
        """Take back the attempt noted at ``at``: it was not a failure after all."""
        recent = self._failures.get(key)
        if recent is not None and at in recent:
            recent.remove(at)

    def forget(self, key: Hashable) -> None:
        """Forget all of a key's failures."""
        self._failures.pop(key, None)

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window_s:
            recent.popleft()
        return recent


@dataclass
class LoginThrottle:
    """The three limits on sign-in attempts, by user name and client address."""

    at_address: FailureCount = field(default_factory=lambda: FailureCount(MAX_PER_USER_AT_ADDRESS))
    address: FailureCount = field(default_factory=lambda: FailureCount(MAX_PER_ADDRESS))
    user: FailureCount = field(default_factory=lambda: FailureCount(MAX_PER_USER))

    def retry_after(self, username: str, address: str, now: float) -> float:
        """Seconds until ``username`` may be tried from ``address`` (0 when it may now)."""
        address = _source(address)
        return max(
            self.at_address.retry_after((username, address), now),
            self.address.retry_after(address, now),
            self.user.retry_after(username, now),
        )

    def failed(self, username: str, address: str, now: float) -> None:
        """Note a failed attempt, or one under way.

        Attempts are noted before they are checked, so that many at once cannot all get past
        the limits; :meth:`succeeded` takes a right one back.
        """
        address = _source(address)
        self.at_address.failed((username, address), now)
        self.address.failed(address, now)
        self.user.failed(username, now)

    def succeeded(self, username: str, address: str, at: float) -> None:
        """The attempt noted at ``at`` was right.

        The user's earlier slips from this address are forgiven. The address's and the user
        name's other failures stand: signing in to one's own account must not reset the
        count of guesses at others, nor the guesses of other addresses at this one.
        """
        address = _source(address)
        self.at_address.forget((username, address))
        self.address.withdraw(address, at)
        self.user.withdraw(username, at)


def _source(address: str) -> str:
    """What an address is counted as: itself, or its /64 for IPv6."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address  # not an IP address (a Unix socket's peer): counted as it is
    if parsed.version == 6:
        return str(ip_network((parsed, 64), strict=False))
    return address
