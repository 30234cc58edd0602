"""Zigbee2MQTT messages of each supported device type become the right readings."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import tomllib
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from gateway.adapters.zigbee2mqtt import (
    DeviceMap,
    RejectedMessageError,
    Zigbee2MqttAdapter,
    Zigbee2MqttMapper,
)
from gateway.outbox import Draft
from protocol import EventKind
from runtime.mqtt import make_client

if TYPE_CHECKING:
    from pathlib import Path

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
        ("zigbee2mqtt/Kitchen PIR", b"{}", "nothing_usable"),
        ("zigbee2mqtt/Kitchen PIR", b"[]", "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b'"x"', "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b"42", "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b"null", "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b"NaN", "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b"", "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b'{"action": "\xff\xfe"}', "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b'{"occupancy": true', "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b"[" * 100_000, "malformed"),
        ("zigbee2mqtt/Kitchen PIR", b'{"battery": ' + b"9" * 5000 + b"}", "malformed"),
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


# Real messages, as Zigbee2MQTT publishes them for common devices (fields we do not read,
# such as linkquality, voltage and illuminance, included).
@pytest.mark.parametrize(
    ("name", "state", "readings"),
    [
        pytest.param(
            "Kitchen PIR",
            {
                "occupancy": True,
                "battery": 100,
                "voltage": 3005,
                "illuminance": 12,
                "illuminance_lux": 12,
                "linkquality": 87,
                "device_temperature": 24,
                "power_outage_count": 3,
            },
            [("pir-kitchen", EventKind.MOTION, {"detected": True}, "kitchen")],
            id="aqara-motion",
        ),
        pytest.param(
            "Front door",
            {
                "contact": False,
                "battery": 91,
                "voltage": 3005,
                "device_temperature": 25,
                "power_outage_count": 20,
                "linkquality": 60,
            },
            [("door-front", EventKind.DOOR, {"open": True}, "entrance")],
            id="aqara-door-contact",
        ),
        pytest.param(
            "Pendant",
            {"action": "single", "battery": 100, "voltage": 3045, "linkquality": 72},
            [("pendant-1", EventKind.PANIC_BUTTON, {"active": True}, None)],
            id="sos-button-action",
        ),
        pytest.param(
            "Pendant",
            {"action": "emergency", "battery": 100, "battery_low": False, "linkquality": 72},
            [("pendant-1", EventKind.PANIC_BUTTON, {"active": True}, None)],
            id="heiman-sos-button",
        ),
        pytest.param(
            "Hall smoke",
            {
                "smoke": True,
                "battery_low": False,
                "tamper": False,
                "battery": 100,
                "supervision": False,
                "restore_reports": True,
                "test": False,
                "linkquality": 90,
            },
            [("smoke-1", EventKind.SMOKE, {"active": True}, "entrance")],
            id="heiman-smoke",
        ),
        pytest.param(
            "Bathroom leak",
            {
                "water_leak": True,
                "battery": 100,
                "battery_low": False,
                "tamper": False,
                "voltage": 3000,
                "linkquality": 120,
            },
            [("leak-1", EventKind.FLOOD, {"active": True}, "bathroom")],
            id="water-leak",
        ),
        pytest.param(
            "Living thermometer",
            {
                "temperature": 21.5,
                "humidity": 48.2,
                "pressure": 1013.2,
                "battery": 87,
                "voltage": 2985,
                "linkquality": 102,
            },
            [("thermo-1", EventKind.TEMPERATURE, {"celsius": 21.5}, "living")],
            id="temperature-humidity",
        ),
        pytest.param(
            "bedroom/bed pad",
            {"occupancy": True, "battery": 64, "linkquality": 40},
            [("bed-1", EventKind.BED, {"occupied": True}, "bedroom")],
            id="bed-pad",
        ),
    ],
)
def test_real_zigbee2mqtt_messages_give_their_readings(
    mapper: Zigbee2MqttMapper, name: str, state: dict[str, Any], readings: list[Any]
) -> None:
    """Each common device's real message gives its reading; the fields we do not read pass."""
    assert send(mapper, name, state) == readings
    assert mapper.rejected == {}


def test_a_null_battery_after_a_restart_does_not_lose_the_temperature(
    mapper: Zigbee2MqttMapper,
) -> None:
    """Zigbee2MQTT sends ``null`` for values it does not know yet: counted, the rest read."""
    state = {
        "battery": None,
        "humidity": 74.05,
        "linkquality": None,
        "temperature": 19.35,
        "voltage": None,
    }
    assert send(mapper, "Living thermometer", state) == [
        ("thermo-1", EventKind.TEMPERATURE, {"celsius": 19.35}, "living")
    ]
    assert mapper.rejected == {"null_value": 1}
    assert mapper.health["thermo-1"].battery_percent is None


def test_a_button_between_presses_says_no_action(mapper: Zigbee2MqttMapper) -> None:
    """An empty or ``null`` action (Zigbee2MQTT's "no action now") is no press and no fault."""
    assert send(mapper, "Pendant", {"action": "", "battery": 100, "linkquality": 72}) == []
    assert send(mapper, "Pendant", {"action": None, "battery": 100, "linkquality": 72}) == []
    assert mapper.rejected == {}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 400])
def test_a_number_that_is_no_real_number_is_refused_not_a_crash(
    mapper: Zigbee2MqttMapper, number: str
) -> None:
    """NaN, ±Infinity or an enormous battery or temperature is counted; nothing raises.

    The message's other fields still give their readings, and the refused temperature does
    not replace the one remembered: the same temperature again is still no news.
    """
    pir = f'{{"occupancy": true, "battery": {number}, "linkquality": 87}}'.encode()
    assert [d.kind for d in mapper.map("zigbee2mqtt/Kitchen PIR", pir, NOW)] == [EventKind.MOTION]
    assert mapper.health["pir-kitchen"].battery_percent is None
    thermo = "zigbee2mqtt/Living thermometer"
    assert mapper.map(thermo, b'{"temperature": 21.5}', NOW) != []
    assert mapper.map(thermo, f'{{"temperature": {number}, "battery": 15}}'.encode(), NOW) == [
        Draft("thermo-1", EventKind.BATTERY_LOW, {"low": True, "percent": 15}, NOW, "living")
    ]
    assert mapper.map(thermo, b'{"temperature": 21.5}', NOW) == []
    assert mapper.rejected == {"not_finite": 2}


@pytest.mark.parametrize(
    ("name", "state", "reason"),
    [
        ("Kitchen PIR", {"occupancy": "true"}, "wrong_type"),
        ("Kitchen PIR", {"occupancy": 1}, "wrong_type"),
        ("Kitchen PIR", {"occupancy": None}, "null_value"),
        ("Front door", {"contact": "open"}, "wrong_type"),
        ("Front door", {"contact": []}, "wrong_type"),
        ("Bathroom leak", {"water_leak": {"state": True}}, "wrong_type"),
        ("Hall smoke", {"smoke": 1.0}, "wrong_type"),
        ("Hall smoke", {"tamper": "false"}, "wrong_type"),
        ("Hall smoke", {"battery_low": 0}, "wrong_type"),
        ("Kitchen PIR", {"battery": True}, "wrong_type"),
        ("Kitchen PIR", {"battery": "87"}, "wrong_type"),
        ("Kitchen PIR", {"battery": [87]}, "wrong_type"),
        ("Kitchen PIR", {"battery": None}, "null_value"),
        ("Living thermometer", {"temperature": "21.5"}, "wrong_type"),
        ("Living thermometer", {"temperature": {"value": 21.5}}, "wrong_type"),
        ("Living thermometer", {"temperature": None}, "null_value"),
        ("Pendant", {"action": 1}, "wrong_type"),
        ("Pendant", {"action": ["single"]}, "wrong_type"),
        ("Pendant", {"sos": "true"}, "wrong_type"),
        ("Pendant", {"alarm": None}, "null_value"),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_and_counted(
    mapper: Zigbee2MqttMapper, name: str, state: dict[str, Any], reason: str
) -> None:
    """A value of the wrong type or ``null``, where the device's kind reads one, is counted."""
    assert send(mapper, name, {**state, "linkquality": 50}) == []
    assert mapper.rejected == {reason: 1}


def test_fields_a_device_is_not_read_from_are_ignored(mapper: Zigbee2MqttMapper) -> None:
    """A PIR's odd contact or temperature is none of its business: no refusal, motion read."""
    state = {"occupancy": True, "contact": "ajar", "temperature": math.nan, "sos": None}
    assert send(mapper, "Kitchen PIR", state) == [
        ("pir-kitchen", EventKind.MOTION, {"detected": True}, "kitchen")
    ]
    assert send(mapper, "Front door", {"contact": True, "occupancy": None}) == [
        ("door-front", EventKind.DOOR, {"open": False}, "entrance")
    ]
    assert mapper.rejected == {}


def test_a_refused_field_is_logged_with_the_device_and_reason(mapper: Zigbee2MqttMapper) -> None:
    """The warning names the device, the field and why, so the installer can find it."""
    with capture_logs() as logs:
        send(mapper, "Kitchen PIR", {"occupancy": True, "battery": math.inf})
    assert [
        (e["event"], e["log_level"], e["device_id"], e["field"], e["reason"]) for e in logs
    ] == [("zigbee2mqtt_rejected", "warning", "pir-kitchen", "battery", "not_finite")]


# The documented rules, written out independently of the adapter: the fields each kind gives
# readings from, with the JSON type each must have (float: any number).
COMMON_FIELDS: dict[str, type] = {"battery": float, "battery_low": bool, "tamper": bool}
BUTTON_FIELDS: dict[str, type] = {"action": str, "sos": bool, "alarm": bool}
READ_FIELDS: dict[EventKind, dict[str, type]] = {
    EventKind.MOTION: {"occupancy": bool},
    EventKind.DOOR: {"contact": bool},
    EventKind.BED: {"occupancy": bool},
    EventKind.FLOOD: {"water_leak": bool},
    EventKind.SMOKE: {"smoke": bool},
    EventKind.TEMPERATURE: {"temperature": float},
    EventKind.PANIC_BUTTON: BUTTON_FIELDS,
    EventKind.CANCEL: BUTTON_FIELDS,
}
# Fields whose presence makes a message more than "nothing usable", beyond those read.
KNOWN_UNREAD = {"voltage", "action", "sos", "alarm"}
# Which fields each kind of reading can come from.
SOURCES: dict[EventKind, set[str]] = {
    EventKind.MOTION: {"occupancy"},
    EventKind.BED: {"occupancy"},
    EventKind.DOOR: {"contact"},
    EventKind.FLOOD: {"water_leak"},
    EventKind.SMOKE: {"smoke"},
    EventKind.TEMPERATURE: {"temperature"},
    EventKind.TAMPER: {"tamper"},
    EventKind.BATTERY_LOW: {"battery", "battery_low"},
    EventKind.PANIC_BUTTON: set(BUTTON_FIELDS),
    EventKind.CANCEL: set(BUTTON_FIELDS),
}
DEVICES = DeviceMap.model_validate(tomllib.loads(MAP_FILE))
FIELD_NAMES = sorted(
    {name for fields in READ_FIELDS.values() for name in fields}
    | set(COMMON_FIELDS)
    | KNOWN_UNREAD
    | {"carbon_monoxide", "humidity", "linkquality", "illuminance", "device_temperature"}
)


def expected_refusal(field: str, value: object, expected: type) -> str | None:
    """The reason the documented rules give for refusing ``value``, or None if it is read."""
    if field == "action" and value is None:
        return None  # Zigbee2MQTT's "no action now"
    if value is None:
        return "null_value"
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "wrong_type"  # True is an int to Python, but no number here
        try:
            return None if math.isfinite(float(value)) else "not_finite"
        except OverflowError:  # an int of hundreds of digits
            return "not_finite"
    return None if type(value) is expected else "wrong_type"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["single", "emergency", "release", "", "true", "21.5"]),
    st.text(max_size=8),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), inner, max_size=3),
    ),
    max_leaves=8,
)
states = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), json_values)
messages = st.tuples(
    st.sampled_from(sorted(DEVICES.devices)), st.one_of(states, json_values), st.booleans()
)


@settings(max_examples=200, deadline=None, database=None)
@given(sent=st.lists(messages, min_size=1, max_size=5))
def test_any_message_is_read_refused_or_ignored_never_a_crash(
    sent: list[tuple[str, Any, bool]],
) -> None:
    """Whatever JSON a device sends, the adapter keeps going and accounts for every field.

    A message that is not an object is malformed; one with no field a device of its kind
    knows is nothing usable; otherwise each field read for its kind is either usable or
    counted once by its reason, fields not read are ignored, every reading comes from a
    usable field, and no NaN or infinity ever reaches a reading.
    """
    mapper = Zigbee2MqttMapper(DEVICES)
    for name, state, retained in sent:
        topic = f"zigbee2mqtt/{name}"
        payload = json.dumps(state).encode()
        before = Counter(mapper.rejected)
        if not isinstance(state, dict):
            with pytest.raises(RejectedMessageError):
                mapper.map(topic, payload, NOW, retained=retained)
            assert counted_since(mapper, before) == {"malformed": 1}
            continue
        # A replayed press is dropped unread (see the retained test).
        fields = {k: v for k, v in state.items() if not (retained and k == "action")}
        read = {**COMMON_FIELDS, **READ_FIELDS[DEVICES.devices[name].kind]}
        if not (set(read) | KNOWN_UNREAD) & fields.keys():
            with pytest.raises(RejectedMessageError):
                mapper.map(topic, payload, NOW, retained=retained)
            assert counted_since(mapper, before) == {"nothing_usable": 1}
            continue
        refusals = {
            field: expected_refusal(field, fields[field], expected)
            for field, expected in read.items()
            if field in fields
        }
        drafts = mapper.map(topic, payload, NOW, retained=retained)
        assert counted_since(mapper, before) == Counter(
            reason for reason in refusals.values() if reason is not None
        )
        assert not (retained and drafts)
        for draft in drafts:
            usable = {f for f in SOURCES[draft.kind] if f in refusals and refusals[f] is None}
            assert usable, f"{draft.kind} from refused or absent fields of {fields!r}"
            json.dumps(draft.value, allow_nan=False)  # raises on NaN or infinity


def counted_since(mapper: Zigbee2MqttMapper, before: Counter[str]) -> Counter[str]:
    """What the mapper has counted as rejected since ``before``."""
    counted = Counter(mapper.rejected)
    counted.subtract(before)
    return +counted


@settings(max_examples=200, deadline=None, database=None)
@given(payload=st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_any_bytes_are_read_or_rejected_never_a_crash(payload: bytes) -> None:
    """Any bytes, for a device, its availability or the bridge, are read or rejected and counted.

    Nothing else is ever raised, so no message can stop the adapter.
    """
    mapper = Zigbee2MqttMapper(DEVICES)
    topics = ("zigbee2mqtt/Pendant", "zigbee2mqtt/Pendant/availability", "zigbee2mqtt/bridge/state")
    rejected = 0
    for topic in topics:
        try:
            mapper.map(topic, payload, NOW)
        except RejectedMessageError:
            rejected += 1
    assert mapper.rejected.get("malformed", 0) + mapper.rejected.get("nothing_usable", 0) == (
        rejected
    )


async def test_the_adapter_reads_the_local_broker(
    mapper: Zigbee2MqttMapper, mqtt_options: MqttOptions, home_id: str
) -> None:
    """Messages on the local broker reach the unit as readings; rejected ones do not.

    A battery of NaN is counted and the adapter goes on reading: the press after it arrives.
    """
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
            await bridge.publish(f"{mapper.base_topic}/Pendant", b'{"battery": NaN}', qos=1)
            await bridge.publish(f"{mapper.base_topic}/Pendant", b'{"action": "sos"}', qos=1)
            async with asyncio.timeout(20):
                await arrived.wait()
    finally:
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
    assert [(d.device_id, d.kind) for d in got] == [("pendant-1", EventKind.PANIC_BUTTON)]
    assert mapper.rejected == {"unknown_device": 1, "not_finite": 1}
