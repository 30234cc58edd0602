"""A district's review settings: which changes in a person's days put them on the review list.

Pure. Each watched indicator can be switched off and its threshold changed for a district
(``PUT /api/v1/districts/{district}/review-settings``, supervisors and admins); the defaults
are the examples of issue 12 and docs/social-work.md ("Early signs of decline"). Strict, as
every API body is (:mod:`hub.api.models`): numbers are JSON numbers, booleans
``true``/``false``. Every field stands on its own (no rule between fields), so whatever the
OpenAPI document allows is a valid setting.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hub.fields import WholeNumber


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    enabled: bool = True


class DropRule(_Rule):
    """The usual level falls by at least ``share`` (0.25: a quarter less)."""

    share: float = Field(default=0.25, ge=0.05, le=0.95)


class RiseRule(_Rule):
    """The usual level is multiplied by ``ratio`` and grows by ``at_least`` (in its unit)."""

    ratio: float = Field(default=2.0, ge=1.1, le=10.0)
    at_least: float = Field(
        default=1.0,
        ge=0.0,
        le=24 * 60,
        description="The smallest rise that counts, whatever the ratio: a rise from 0.2 to 0.5"
        " bathroom visits a night is more than double and still nothing to look into.",
    )


class LaterRule(_Rule):
    """A time of day comes ``minutes`` later than usual."""

    minutes: WholeNumber = Field(default=90, ge=15, le=12 * 60)


class OutingsRule(_Rule):
    """No outing on ``days`` days at home in a row (longer for someone who rarely goes out)."""

    days: WholeNumber = Field(
        default=10,
        ge=3,
        le=28,
        description="The shortest run of days at home without going out that counts. For a"
        " person whose usual days out make such a run likely, the run must be longer: see"
        " docs/social-work.md.",
    )


class ReviewSettings(BaseModel):
    """A district's thresholds for the review list."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    active_hours: DropRule = DropRule(share=0.25)
    """Hours with activity at home, down."""
    night_bathroom_visits: RiseRule = RiseRule(ratio=2.0, at_least=1.0)
    """Bathroom visits at night, up (visits a night)."""
    outings: OutingsRule = OutingsRule(days=10)
    """Going out, down to none."""
    rise_min: LaterRule = LaterRule(minutes=90)
    """Getting up, later."""
    night_out_of_bed_minutes: RiseRule = RiseRule(ratio=2.0, at_least=45.0)
    """Time out of bed at night, up (minutes)."""
    kitchen_visits: DropRule = DropRule(share=0.4)
    """Uses of the kitchen, down."""
    comes_back_margin: float = Field(
        default=0.5,
        ge=0.1,
        le=5.0,
        description="A change marked as seen comes back on the list only once it has grown by"
        " this share of itself (0.5: half as much again).",
    )
