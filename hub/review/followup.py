"""What a night's finding does to the review list: a new entry, an update, or nothing new.

Pure; the nightly run (:mod:`hub.review.nightly`) and the quality benchmark
(``bench/dashboards/quality.py``) take the same steps. For one home and indicator, against its
latest entry:

- no entry yet: a new open entry;
- the latest entry is open (nobody has looked yet): it takes tonight's numbers, never a second
  open entry beside it;
- the latest entry was seen by a social worker: while the change goes on (found again within
  :data:`EPISODE_GAP_DAYS` of the last time), it comes back as a new open entry only once it
  has grown by the district's margin beyond what was seen (``comes_back_margin`` of the seen
  change: 0.5, half as much again); a change that went away for longer than the gap and
  returns is new, and opens a new entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hub.review.method import Finding, Indicator

EPISODE_GAP_DAYS = 28
"""A change not found for this many days has ended: found again, it is a new one."""


class EntryState(StrEnum):
    """Where an entry of the review list stands."""

    OPEN = "open"
    SEEN = "seen"


class Step(StrEnum):
    """What a finding does to the list."""

    OPEN = "open"
    """A new open entry."""
    UPDATE = "update"
    """The open entry takes tonight's numbers."""
    GOES_ON = "goes_on"
    """The seen entry's change goes on, not grown: only the day it was last found moves."""


@dataclass(frozen=True, slots=True)
class Latest:
    """The latest entry of a home for one indicator, as the decision needs it."""

    state: EntryState
    last_found_on: date
    usual: float
    """The usual value the entry shows (for a seen one: what the social worker saw)."""
    change: float
    """The change the entry shows."""
    entry_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One step to take on the stored list."""

    step: Step
    home_id: str
    finding: Finding
    entry_id: uuid.UUID
    """The new entry's id (:attr:`Step.OPEN`), else the entry changed."""


def next_step(latest: Latest | None, finding: Finding, on: date, margin: float) -> Step:
    """What ``finding`` (found on ``on``) does, given the indicator's ``latest`` entry."""
    if latest is None:
        return Step.OPEN
    if latest.state is EntryState.OPEN:
        return Step.UPDATE
    if on <= latest.last_found_on:
        return Step.GOES_ON  # a day reviewed again (a catch-up): nothing new from it
    if on - latest.last_found_on > timedelta(days=EPISODE_GAP_DAYS):
        return Step.OPEN
    if finding.change_from(latest.usual) >= latest.change * (1 + margin):
        return Step.OPEN
    return Step.GOES_ON


def changes(
    home_id: str,
    findings: Sequence[Finding],
    latest: Mapping[Indicator, Latest],
    on: date,
    margin: float,
) -> list[Change]:
    """The steps a home's findings of ``on`` take, against its latest entry per indicator."""
    made = []
    for finding in findings:
        before = latest.get(finding.indicator)
        step = next_step(before, finding, on, margin)
        if step is Step.OPEN or before is None or before.entry_id is None:
            entry_id = uuid.uuid4()
        else:
            entry_id = before.entry_id
        made.append(Change(step, home_id, finding, entry_id))
    return made
