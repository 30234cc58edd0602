"""Zigbee2MQTT messages of each supported device type become the right readings."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from gateway.adapters.zigbee2mqtt import (
    DeviceMap,
    RejectedMessageError,
    Zigbee2MqttAdapter,
    Zigbee2MqttMapper,
)
from protocol import EventKind
from runtime.mqtt import make_client

if TYPE_CHECKING:
    from pathlib import Path

    from gateway.outbox import Draft
    from runtime.mqtt import MqttOptions

NOW = datetime(2026, 11, 24, 10, tzinfo=UTC)

MAP_FILE = """
[devices."Kitchen PIR"]
device_id = "pir-kitchen"
kind = "motion"
room = "kitchen"

[devices."Front door"]
device_id = "door-front"
kind = "door"
room = "entrance"

[devices."bedroom/bed pad"]
device_id = "bed-1"
kind = "bed"
room = "bedroom"

[devices."Pendant"]
device_id = "pendant-1"
kind = "panic_button"

[devices."Cancel button"]
device_id = "cancel-1"
kind = "cancel"

[devices."Bathroom leak"]
device_id = "leak-1"
kind = "flood"
room = "bathroom"

[devices."Hall smoke"]
device_id = "smoke-1"
kind = "smoke"
room = "entrance"

[devices."Living thermometer"]
device_id = "thermo-1"
kind = "temperature"
room = "living"
"""


@pytest.fixture
def mapper(tmp_path: Path) -> Zigbee2MqttMapper:
    """A mapper for the sample home's devices."""
    path = tmp_path / "devices.toml"
    path.write_text(MAP_FILE)
    return Zigbee2MqttMapper(DeviceMap.load(path))


def send(mapper: Zigbee2MqttMapper, name: str, state: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(device, kind, value, room) of the readings one state message gives."""
    drafts = mapper.map(f"zigbee2mqtt/{name}", json.dumps(state).encode(), NOW)
    assert all(d.ts == NOW for d in drafts)
    return [(d.device_id, d.kind, d.value, d.location) for d in drafts]


def test_motion_reports_changes_only(mapper: Zigbee2MqttMapper) -> None:
    """A PIR's occupancy becomes motion when it changes, not on every repeat."""
    pir = "Kitchen PIR"
    on = [("pir-kitchen", EventKind.MOTION, {"detected": True}, "kitchen")]
    assert send(mapper, pir, {"occupancy": True, "battery": 90, "linkquality": 120}) == on
    assert send(mapper, pir, {"occupancy": True, "battery": 89, "linkquality": 110}) == []
    assert send(mapper, pir, {"occupancy": False}) == [
        ("pir-kitchen", EventKind.MOTION, {"detected": False}, "kitchen")
    ]


def test_contact_bed_leak_and_smoke_states(mapper: Zigbee2MqttMapper) -> None:
    """Contact false is an open door; bed occupancy, water leak and smoke map to theirs."""
    assert send(mapper, "Front door", {"contact": False}) == [
        ("door-front", EventKind.DOOR, {"open": True}, "entrance")
    ]
    assert send(mapper, "bedroom/bed pad", {"occupancy": True}) == [
        ("bed-1", EventKind.BED, {"occupied": True}, "bedroom")
    ]
    assert send(mapper, "Bathroom leak", {"water_leak": True, "battery": 100}) == [
        ("leak-1", EventKind.FLOOD, {"active": True}, "bathroom")
    ]
    assert send(mapper, "Hall smoke", {"smoke": True}) == [
        ("smoke-1", EventKind.SMOKE, {"active": True}, "entrance")
    ]


def test_button_actions_are_presses_each_time(mapper: Zigbee2MqttMapper) -> None:
    """Every press action is an event, repeated or not; a release or empty action is not."""
    press = [("pendant-1", EventKind.PANIC_BUTTON, {"active": True}, None)]
    assert send(mapper, "Pendant", {"action": "single"}) == press
    assert send(mapper, "Pendant", {"action": "single"}) == press
    assert send(mapper, "Pendant", {"action": "release"}) == []
    assert send(mapper, "Pendant", {"action": ""}) == []
    assert send(mapper, "Cancel button", {"action": "single"}) == [
        ("cancel-1", EventKind.CANCEL, {}, None)
    ]


def test_temperature_battery_and_tamper(mapper: Zigbee2MqttMapper) -> None:
    """A new temperature is a reading, a repeated one is not; low battery and tamper once."""
    thermo = "Living thermometer"
    assert send(mapper, thermo, {"temperature": 21.5, "battery": 80, "tamper": False}) == [
        ("thermo-1", EventKind.TEMPERATURE, {"celsius": 21.5}, "living")
    ]
    assert send(mapper, thermo, {"temperature": 21.5, "battery": 15, "tamper": True}) == [
        ("thermo-1", EventKind.TAMPER, {"active": True}, "living"),
        ("thermo-1", EventKind.BATTERY_LOW, {"low": True, "percent": 15}, "living"),
    ]
    assert send(mapper, thermo, {"temperature": 21.5, "battery": 14, "tamper": True}) == []
    assert send(mapper, thermo, {"temperature": 22.0}) == [
        ("thermo-1", EventKind.TEMPERATURE, {"celsius": 22.0}, "living")
    ]
    assert mapper.health["thermo-1"].battery_percent == 14


def test_sos_state_buttons_and_a_bare_battery_low_flag(mapper: Zigbee2MqttMapper) -> None:
    """A button that reports ``sos: true`` presses; ``battery_low`` alone is enough."""
    assert send(mapper, "Pendant", {"sos": False, "battery_low": False, "linkquality": 90}) == []
    assert send(mapper, "Pendant", {"sos": True, "battery_low": False}) == [
        ("pendant-1", EventKind.PANIC_BUTTON, {"active": True}, None)
    ]
    assert send(mapper, "Pendant", {"sos": False}) == []
    assert send(mapper, "Front door", {"contact": True, "battery_low": True}) == [
        ("door-front", EventKind.DOOR, {"open": False}, "entrance"),
        ("door-front", EventKind.BATTERY_LOW, {"low": True, "percent": None}, "entrance"),
    ]


def test_a_detector_saying_all_is_well_after_a_restart_is_no_event(
    mapper: Zigbee2MqttMapper,
) -> None:
    """A smoke detector's first "no smoke" is not reported as a restore; smoke then is."""
    assert send(mapper, "Hall smoke", {"smoke": False, "battery": 90}) == []
    assert send(mapper, "Hall smoke", {"smoke": True}) == [
        ("smoke-1", EventKind.SMOKE, {"active": True}, "entrance")
    ]


def test_retained_states_are_remembered_but_never_events(mapper: Zigbee2MqttMapper) -> None:
    """A replayed press is not a press; a replayed state is the baseline for changes."""
    replay = b'{"action": "single", "battery": 90}'
    assert mapper.map("zigbee2mqtt/Pendant", replay, NOW, retained=True) == []
    assert "pendant-1" not in mapper.health or mapper.health["pendant-1"].last_seen is None
    door = b'{"contact": false}'
    assert mapper.map("zigbee2mqtt/Front door", door, NOW, retained=True) == []
    assert send(mapper, "Front door", {"contact": False}) == []
    assert send(mapper, "Front door", {"contact": True}) == [
        ("door-front", EventKind.DOOR, {"open": False}, "entrance")
    ]


def test_availability_and_bridge_state_keep_health(mapper: Zigbee2MqttMapper) -> None:
    """Availability (JSON or plain) and the bridge's state are health, not events."""
    seen = []
    for payload in (b'{"state":"offline"}', b"online"):
        assert mapper.map("zigbee2mqtt/Pendant/availability", payload, NOW) == []
        seen.append(mapper.health["pendant-1"].online)
    assert seen == [False, True]
    assert mapper.map("zigbee2mqtt/bridge/state", b'{"state":"online"}', NOW) == []
    assert mapper.bridge_online is True
    assert mapper.map("zigbee2mqtt/bridge/devices", b"[]", NOW) == []
    assert mapper.map("zigbee2mqtt/Pendant/set", b'{"state":"ON"}', NOW) == []


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("zigbee2mqtt/Unknown sensor", b'{"occupancy": true}', "unknown_device"),
        ("zigbee2mqtt/Kitchen PIR", b"{not json", "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b"[1, 2]", "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b'{"colour": "red"}', "nothing_usable"),
        ("zigbee2mqtt/Pendant/availability", b"maybe", "malformed"),
        ("other/Kitchen PIR", b'{"occupancy": true}', "outside_base_topic"),
    ],
)
def test_bad_messages_are_rejected_and_counted(
    mapper: Zigbee2MqttMapper, topic: str, payload: bytes, reason: str
) -> None:
    """Unknown devices, malformed and useless messages raise with a reason and are counted."""
    with pytest.raises(RejectedMessageError) as caught:
        mapper.map(topic, payload, NOW)
    assert caught.value.reason == reason
    assert mapper.rejected == {reason: 1}


def test_a_bad_map_file_says_what_is_wrong(tmp_path: Path) -> None:
    """A device with an unsafe id or a kind no Zigbee device can be is refused at load."""
    path = tmp_path / "devices.toml"
    path.write_text('[devices."x"]\ndevice_id = "has space"\nkind = "motion"\n')
    with pytest.raises(ValueError, match="safe id"):
        DeviceMap.load(path)
    path.write_text('[devices."x"]\ndevice_id = "d1"\nkind = "mains_power"\n')
    with pytest.raises(ValueError, match="not one a Zigbee device can be"):
        DeviceMap.load(path)


async def test_the_adapter_reads_the_local_broker(
    mapper: Zigbee2MqttMapper, mqtt_options: MqttOptions, home_id: str
) -> None:
    """Messages on the local broker reach the unit as readings; rejected ones do not."""
    mapper.base_topic = f"z2m-{home_id}"
    adapter = Zigbee2MqttAdapter(mqtt_options, mapper, client_id=f"{home_id}-z2m")
    got: list[Draft] = []
    arrived = asyncio.Event()

    def report(draft: Draft) -> None:
        got.append(draft)
        arrived.set()

    reading = asyncio.create_task(adapter.run(report))
    try:
        async with make_client(mqtt_options, identifier=f"{home_id}-bridge") as bridge:
            async with asyncio.timeout(20):
                await adapter.subscribed.wait()
            await bridge.publish(f"{mapper.base_topic}/Stranger", b'{"occupancy": true}', qos=1)
            await bridge.publish(f"{mapper.base_topic}/Pendant", b'{"action": "sos"}', qos=1)
            async with asyncio.timeout(20):
                await arrived.wait()
    finally:
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
    assert [(d.device_id, d.kind) for d in got] == [("pendant-1", EventKind.PANIC_BUTTON)]
    assert mapper.rejected == {"unknown_device": 1}
