"""Time zones named in settings and registry entries: checked once, where they come in."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import structlog

log = structlog.get_logger(__name__)

DEFAULT_TIME_ZONE = "Europe/Rome"
"""A home's time zone until its rules say otherwise."""

ZONE_NAMES = tuple(sorted(available_timezones()))
"""Every IANA time zone this machine knows; the API's document lists them as the choices."""
_KNOWN = frozenset(ZONE_NAMES)


def known_zone(name: str) -> str:
    """``name`` if it is a time zone this machine knows (for pydantic validators).

    Raises:
        ValueError: it is not, with the name in the message.
    """
    if name not in _KNOWN:
        raise ValueError(f"unknown time zone {name!r}")
    return name


def zone_of(name: str) -> ZoneInfo:
    """The time zone named ``name`` (:data:`DEFAULT_TIME_ZONE` for one this machine lacks)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown_time_zone", time_zone=name)
        return ZoneInfo(DEFAULT_TIME_ZONE)
