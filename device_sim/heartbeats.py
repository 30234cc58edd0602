"""When each simulated home unit's heartbeat falls due (load mode).

A real unit sends a heartbeat when it connects and then every interval, counted from its own
start, so a fleet's heartbeats are spread over the interval; they come all at once only when
every unit starts at once (a broker restart, a power cut). Each simulated home has its own
phase within the interval (:meth:`device_sim.home.SimHome.phase`: zero for every home when the
homes are synchronized), and the emitter asks a few times a second which phases came round
since it last asked.
"""

from __future__ import annotations

import bisect
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from device_sim.home import SimHome

HEARTBEAT = "heartbeat"
"""The timer's name, for :meth:`device_sim.home.SimHome.phase`."""


class HeartbeatSchedule:
    """The homes sorted by heartbeat phase, so a check costs a search, not a pass over all."""

    def __init__(self, homes: Sequence[SimHome], interval_s: float) -> None:
        """Each home beats at its phase of every ``interval_s``, counted from the run's start."""
        self.interval_s = interval_s
        period = timedelta(seconds=interval_s)
        by_phase = sorted(
            (home.phase(HEARTBEAT, period).total_seconds(), home.home_id) for home in homes
        )
        self._phases = [phase for phase, _ in by_phase]
        self._home_ids = [home_id for _, home_id in by_phase]

    def due(self, start_s: float, end_s: float) -> list[str]:
        """Homes whose heartbeat falls in ``[start_s, end_s)``, seconds from the run's start.

        Consecutive stretches (each starting where the last ended) give each heartbeat once.
        A home is named at most once per call, even for a stretch longer than the interval: a
        loop that stalled sends one late heartbeat, as a unit's late timer does, not one for
        every interval it missed.
        """
        if end_s - start_s >= self.interval_s:
            return list(self._home_ids)
        start_phase, end_phase = start_s % self.interval_s, end_s % self.interval_s
        first = bisect.bisect_left(self._phases, start_phase)
        last = bisect.bisect_left(self._phases, end_phase)
        if start_phase <= end_phase:
            return self._home_ids[first:last]
        return self._home_ids[first:] + self._home_ids[:last]  # across the interval's end
