"""A cancel press within the window cancels the alarm it follows; later ones cancel nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gateway.config import GatewaySettings
from gateway.outbox import Draft, Outbox
from gateway.unit import HomeUnit
from protocol import CancelEvent, EventKind

if TYPE_CHECKING:
    from pathlib import Path


def press(kind: EventKind) -> Draft:
    """A press on the pendant."""
    value = {} if kind == EventKind.CANCEL else {"active": True}
    return Draft("pendant", kind, value, datetime.now(UTC))


def test_cancel_names_the_alarm_only_within_the_window(tmp_path: Path) -> None:
    """Both presses are sent; only the one inside the window says which alarm it cancels."""
    now = [1000.0]
    settings = GatewaySettings(home_id="home-1", cancel_window_s=30)
    unit = HomeUnit(settings, Outbox(tmp_path / "o.sqlite3", "home-1"), clock=lambda: now[0])
    alarm = unit.report(press(EventKind.PANIC_BUTTON))
    assert alarm is not None
    now[0] += 29
    inside = unit.report(press(EventKind.CANCEL))
    now[0] += 2
    outside = unit.report(press(EventKind.CANCEL))
    assert isinstance(inside, CancelEvent)
    assert isinstance(outside, CancelEvent)
    assert inside.value.cancels == alarm.event_id
    assert outside.value.cancels is None


def test_a_detector_restore_does_not_take_over_the_alarm(tmp_path: Path) -> None:
    """A "smoke gone" after a panic press: the cancel still names the panic."""
    now = [1000.0]
    settings = GatewaySettings(home_id="home-1", cancel_window_s=30)
    unit = HomeUnit(settings, Outbox(tmp_path / "o.sqlite3", "home-1"), clock=lambda: now[0])
    alarm = unit.report(press(EventKind.PANIC_BUTTON))
    unit.report(Draft("smoke-1", EventKind.SMOKE, {"active": False}, datetime.now(UTC)))
    cancel = unit.report(press(EventKind.CANCEL))
    assert alarm is not None
    assert isinstance(cancel, CancelEvent)
    assert cancel.value.cancels == alarm.event_id
