"""Settings of the simulator process."""

from __future__ import annotations

from pydantic import Field

from runtime.settings import CommonSettings


class SimSettings(CommonSettings):
    """The simulator's settings (``TELECARE_*`` variables or ``.env``)."""

    sim_homes: int = Field(default=50, ge=1, le=100_000, description="Homes to simulate.")
    sim_seed: int = Field(default=1, description="Seed, so a run can be repeated exactly.")
    sim_home_prefix: str = Field(
        default="sim", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$", description="Home id prefix."
    )
