"""The home unit's outbox: durable, ordered, acknowledged by id, bounded by an explicit policy."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from gateway.outbox import Draft, Outbox
from protocol import EventKind

if TYPE_CHECKING:
    from pathlib import Path

TS = datetime(2026, 11, 24, 10, tzinfo=UTC)


def motion(device: str = "pir-kitchen") -> Draft:
    """A movement reading."""
    return Draft(device, EventKind.MOTION, {"detected": True}, TS, "kitchen")


def temperature(celsius: float, device: str = "thermo-1") -> Draft:
    """A temperature reading."""
    return Draft(device, EventKind.TEMPERATURE, {"celsius": celsius}, TS)


def panic() -> Draft:
    """A panic press on the pendant."""
    return Draft("pendant-1", EventKind.PANIC_BUTTON, {"active": True}, TS)


def door() -> Draft:
    """The front door opening."""
    return Draft("door-front", EventKind.DOOR, {"open": True}, TS, "hall")


def kinds(outbox: Outbox) -> list[str]:
    """Kinds of the waiting events, in order."""
    return [p.event.kind.value for p in outbox.pending()]


def test_events_wait_in_order_with_rising_seq_until_acknowledged(tmp_path: Path) -> None:
    """Events come out in the order they went in; an ack removes exactly the ones it names."""
    outbox = Outbox(tmp_path / "o.sqlite3", "home-1")
    added = [outbox.add(d) for d in (motion(), door(), panic())]
    assert [e.seq for e in added if e] == [1, 2, 3]
    assert all(e is not None and e.home_id == "home-1" for e in added)
    assert [p.event for p in outbox.pending()] == added
    assert outbox.acknowledge([added[1].event_id, added[1].event_id]) == 1  # type: ignore[union-attr]
    assert kinds(outbox) == ["motion", "panic_button"]
    assert outbox.depth == 2


def test_events_and_seq_survive_a_kill(tmp_path: Path) -> None:
    """A process killed right after add() returned leaves its events on disk; seq goes on."""
    path = tmp_path / "o.sqlite3"
    script = textwrap.dedent(f"""
        import os, signal
        from datetime import UTC, datetime
        from gateway.outbox import Draft, Outbox
        from protocol import EventKind
        outbox = Outbox({str(path)!r}, "home-1")
        for n in range(5):
            outbox.add(Draft("pir-1", EventKind.MOTION, {{"detected": True}}, datetime.now(UTC)))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    killed = subprocess.run([sys.executable, "-c", script], check=False)
    assert killed.returncode == -9
    outbox = Outbox(path, "home-1")
    assert [p.event.seq for p in outbox.pending()] == [1, 2, 3, 4, 5]
    after = outbox.add(panic())
    assert after is not None
    assert after.seq == 6


def test_a_full_outbox_coalesces_superseded_telemetry_first(tmp_path: Path) -> None:
    """Full: an older reading that a newer one of the same device replaces goes first."""
    outbox = Outbox(tmp_path / "o.sqlite3", "home-1", capacity=4)
    for event in (temperature(20.0), door(), temperature(21.0), motion()):
        outbox.add(event)
    outbox.add(panic())
    assert kinds(outbox) == ["door", "temperature", "motion", "panic_button"]
    (kept,) = [p.event for p in outbox.pending() if p.event.kind == EventKind.TEMPERATURE]
    assert kept.model_dump()["value"] == {"celsius": 21.0}
    assert outbox.dropped == 1


def test_then_oldest_telemetry_then_other_events_and_never_alarms(tmp_path: Path) -> None:
    """The drop order is telemetry, then other events; alarms stay even past the capacity."""
    outbox = Outbox(tmp_path / "o.sqlite3", "home-1", capacity=3)
    for event in (motion("pir-1"), door(), motion("pir-2")):
        outbox.add(event)
    outbox.add(panic())  # drops pir-1's reading (oldest telemetry)
    outbox.add(panic())  # drops pir-2's reading
    assert kinds(outbox) == ["door", "panic_button", "panic_button"]
    outbox.add(panic())  # drops the door event
    outbox.add(panic())  # nothing else to drop: the alarm goes in anyway
    assert kinds(outbox) == ["panic_button"] * 4
    assert outbox.add(door()) is None  # only alarms left: the new non-alarm event is dropped
    assert kinds(outbox) == ["panic_button"] * 4
    assert outbox.dropped == 4


def test_a_bad_draft_is_refused_and_stores_nothing(tmp_path: Path) -> None:
    """A reading that does not make a valid event raises and leaves the outbox unchanged."""
    outbox = Outbox(tmp_path / "o.sqlite3", "home-1")
    with pytest.raises(ValidationError):
        outbox.add(Draft("thermo-1", EventKind.TEMPERATURE, {"celsius": 500}, TS))
    assert outbox.depth == 0
    first = outbox.add(motion())
    assert first is not None
    assert first.seq == 1  # the refused draft took no sequence number


def test_alarm_devices_come_first_and_drops_are_reported_once(tmp_path: Path) -> None:
    """What to send first reads alarm devices' events first; dropped ids are handed over."""
    outbox = Outbox(tmp_path / "o.sqlite3", "home-1", capacity=3)
    first = outbox.add(motion("pir-1"))
    outbox.add(door())
    outbox.add(Draft("pendant-1", EventKind.BATTERY_LOW, {"low": True}, TS))
    outbox.add(panic())  # full: pir-1's reading goes
    assert [p.event.kind for p in outbox.first_to_send(2)] == [
        EventKind.BATTERY_LOW,
        EventKind.PANIC_BUTTON,
    ]
    assert first is not None
    assert outbox.take_dropped() == [first.event_id]
    assert outbox.take_dropped() == []
