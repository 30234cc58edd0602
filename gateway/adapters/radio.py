"""The simulator's radio: simulated devices hand readings to the unit in the same process."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from gateway.outbox import Draft
    from protocol import DeviceHealth


class SimRadio:
    """A device adapter fed by :meth:`transmit` (the simulated devices' side)."""

    name = "sim-radio"

    def __init__(self) -> None:
        """An idle radio."""
        self._air: asyncio.Queue[Draft] = asyncio.Queue()

    def transmit(self, draft: Draft) -> None:
        """A simulated device sends a reading."""
        self._air.put_nowait(draft)

    def health(self) -> list[DeviceHealth]:
        """Nothing beyond the readings: the unit notes when it heard each device."""
        return []

    async def run(self, report: Callable[[Draft], object]) -> None:
        """Pass every transmitted reading to ``report``, in order, until cancelled."""
        while True:
            report(await self._air.get())
