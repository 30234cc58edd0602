"""Errors of the hub."""

from __future__ import annotations


class HubError(Exception):
    """Base of the hub's own errors."""


class MigrationError(HubError):
    """The database schema cannot be brought to this hub's version."""


class UnknownHomeError(HubError):
    """A message named a home that is not registered.

    Attributes:
        home_id: the home named.
    """

    def __init__(self, home_id: str) -> None:
        """Name the unregistered home."""
        super().__init__(f"home {home_id!r} is not registered")
        self.home_id = home_id


class UnknownUserError(HubError):
    """A command named a user of the console and API who does not exist.

    Attributes:
        username: the user name given.
    """

    def __init__(self, username: str) -> None:
        """Name the missing user."""
        super().__init__(f"no user {username!r}")
        self.username = username
