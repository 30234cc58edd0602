"""Errors of the hub: every exception the hub defines derives from HubError."""

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


class TokenNameInUseError(HubError):
    """A user already has a live API token of this name (names tell a user's tokens apart).

    Attributes:
        username: the token's user.
        name: the name asked for.
    """

    def __init__(self, username: str, name: str) -> None:
        """Name the user and the name taken."""
        super().__init__(f"{username!r} already has a live token named {name!r}")
        self.username = username
        self.name = name


class UnknownTokenError(HubError):
    """A user has no live API token of this name.

    Attributes:
        username: the user named.
        name: the token's name given.
    """

    def __init__(self, username: str, name: str) -> None:
        """Name the user and the token looked for."""
        super().__init__(f"{username!r} has no live token named {name!r}")
        self.username = username
        self.name = name
