"""Rooms of a home: where a device is, so that activity reads as daily living.

An event's ``location`` stays free text on the wire (older units and other makers send what
they like); the registry keeps each device's room from this list, and the hub reads an event's
location as a room when it is one of these names.
"""

from __future__ import annotations

from enum import StrEnum


class Room(StrEnum):
    """Where in the home a device is."""

    BEDROOM = "bedroom"
    BATHROOM = "bathroom"
    KITCHEN = "kitchen"
    LIVING = "living"
    ENTRANCE = "entrance"
    """The front door and the hall behind it: going out and coming back."""
    OTHER = "other"

    @classmethod
    def of_location(cls, location: str | None) -> Room | None:
        """The room an event's free-text ``location`` names, or None when it names none."""
        if location is None:
            return None
        try:
            return cls(location.strip().lower())
        except ValueError:
            return None
