"""A call's steps as they are seen, and the figures over many calls."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench.common.output import percentile_cuts

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bench.common.output import Report

OPERATOR_HZ = 440.0
OPERATOR_AMPLITUDE = 0.5  # -9.0 dBFS RMS
UNIT_HZ = 1000.0
UNIT_AMPLITUDE = 0.25  # -15.1 dBFS RMS
AUDIBLE_DBFS = -40.0
"""Above this a side really hears the other (as in the speakerphone's and relay's tests)."""
POLL_S = 0.01
STAGES = (
    "clicked",
    "offer_sent",
    "placed",
    "unit_offered",
    "answer",
    "unit_connected",
    "ice_connected",
    "unit_hears",
    "console_hears",
    "both_hear",
)
LIMIT_STAGES = ("offer_made", "answer", "connected", "unit_hears", "operator_hears", "both_hear")


@dataclass
class Timing:
    """One call: when each step was seen, in seconds from its start."""

    began: float
    """``time.perf_counter()`` just before the click (or the offer)."""
    stages: dict[str, float] = field(default_factory=dict)

    def mark(self, stage: str) -> None:
        """``stage`` is seen now (only its first sighting counts)."""
        self.stages.setdefault(stage, time.perf_counter() - self.began)

    @property
    def total_ms(self) -> float | None:
        """Start to audio both ways, if it got there."""
        both = self.stages.get("both_hear")
        return None if both is None else round(1000 * both, 1)


def quantiles(values: Sequence[float]) -> tuple[float | None, float | None]:
    """p50 and p95, rounded; a single value is both, and with none there are none."""
    if len(values) == 1:
        return round(values[0], 1), round(values[0], 1)
    cuts = percentile_cuts(values)
    return (round(cuts[49], 1), round(cuts[94], 1)) if cuts else (None, None)


def figures(timings: Sequence[Timing], stages: Sequence[str]) -> Report:
    """Percentiles of the calls that made it, and of each stage seen."""
    totals = [t.total_ms for t in timings if t.total_ms is not None]
    p50, p95 = quantiles(totals)
    by_stage = {}
    for stage in stages:
        seen = [1000 * t.stages[stage] for t in timings if stage in t.stages]
        s50, s95 = quantiles(seen)
        by_stage[stage] = {"p50": s50, "p95": s95}
    return {
        "p50_ms": p50,
        "p95_ms": p95,
        "max_ms": max(totals, default=None),
        "min_ms": min(totals, default=None),
        "failed": len(timings) - len(totals),
        "stages_ms": by_stage,
        "calls_ms": [t.total_ms for t in timings],
    }
