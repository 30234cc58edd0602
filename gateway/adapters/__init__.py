"""Device adapters: where a home unit's readings come from, behind one small interface.

An adapter runs until cancelled and hands each reading to ``report`` as a
:class:`~gateway.outbox.Draft`; the unit stores and sends it. Adapters: the simulator's radio
(:mod:`gateway.adapters.radio`) and Zigbee2MQTT (:mod:`gateway.adapters.zigbee2mqtt`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from gateway.outbox import Draft
    from protocol import DeviceHealth


class DeviceAdapter(Protocol):
    """A source of device readings."""

    name: str

    async def run(self, report: Callable[[Draft], object]) -> None:
        """Read devices until cancelled, calling ``report`` for each reading."""
        ...

    def health(self) -> list[DeviceHealth]:
        """What the adapter knows of its devices beyond their readings (battery, last heard)."""
        ...
