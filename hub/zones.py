"""Time zones named in settings and registry entries: checked once, where they come in."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def known_zone(name: str) -> str:
    """``name`` if it is a time zone this machine knows (for pydantic validators).

    Raises:
        ValueError: it is not, with the name in the message.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r}") from err
    return name
