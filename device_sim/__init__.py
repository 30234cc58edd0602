"""Simulated homes and people for tests, demos and benchmarks."""

from device_sim.config import SimSettings

__all__ = ["SimSettings"]
