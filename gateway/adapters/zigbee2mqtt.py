"""Zigbee2MQTT: cheap Zigbee sensors through the widely used open bridge.

Zigbee2MQTT publishes each device's state as JSON on ``{base}/{friendly name}`` on the home's
local broker. A device map file says which friendly names are ours and what each is::

    [devices."Kitchen PIR"]          # the friendly name in Zigbee2MQTT
    device_id = "pir-kitchen"
    kind = "motion"                  # what it is to us (see ``ROLES``)
    room = "kitchen"                 # bedroom, bathroom, kitchen, living, entrance, other

State messages repeat every field on every change, so states (occupancy, contact, leak,
smoke, tamper, battery low) become events only when they change; button ``action`` values
and temperature readings become an event each time. Messages of unknown devices, malformed
JSON and messages with nothing usable are logged, counted by reason and never forwarded.
Each field the device's kind is read from is checked on its own: one of the wrong type
(``wrong_type``: a string, list, object, or a bool where a number belongs and the reverse),
``null`` (``null_value``) or a number that is no real number (``not_finite``: NaN, ±Infinity,
or too large for a float) gives no reading and is logged and counted by that reason, while the
message's other fields still give theirs. Fields the kind is not read from are ignored.
``{base}/{name}/availability`` and ``{base}/bridge/state`` are kept (:attr:`health`,
:attr:`bridge_online`) and logged; the heartbeat reports each device's battery and last
message, but the protocol has no field for availability yet.
"""

from __future__ import annotations

import asyncio
import json
import math
import reprlib
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.errors import GatewayError
from gateway.outbox import Draft
from protocol import DeviceHealth, EventKind, Room, is_safe_id
from runtime.mqtt import make_client

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from runtime.mqtt import MqttOptions

log = structlog.get_logger(__name__)

LOW_BATTERY_PERCENT = 20
PRESS_ACTIONS = frozenset(
    {"single", "double", "long", "hold", "on", "press", "emergency", "sos", "panic"}
)
"""Button ``action`` values that count as a press (others, such as ``release``, do not)."""
PRESS_STATES = ("sos", "alarm")
"""State fields with which some SOS buttons report a press (true while pressed)."""
QUIET_WHEN_FALSE = frozenset(
    {
        EventKind.TAMPER,
        EventKind.BATTERY_LOW,
        EventKind.SMOKE,
        EventKind.FLOOD,
        EventKind.CO,
        EventKind.PANIC_BUTTON,
        EventKind.PULL_CORD,
        EventKind.CANCEL,
        EventKind.CHECK_IN,
    }
)
"""Kinds whose "all is well" on first sight (after a restart) is not reported."""

ROLES = frozenset(
    {
        EventKind.MOTION,
        EventKind.DOOR,
        EventKind.BED,
        EventKind.CHAIR,
        EventKind.PANIC_BUTTON,
        EventKind.PULL_CORD,
        EventKind.CANCEL,
        EventKind.CHECK_IN,
        EventKind.FLOOD,
        EventKind.SMOKE,
        EventKind.CO,
        EventKind.TEMPERATURE,
    }
)
"""What a mapped device may be."""


class MappedDevice(BaseModel):
    """One device of the map file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: str = Field(min_length=1, max_length=64)
    kind: EventKind
    room: Room | None = Field(
        default=None, description="Where it is; sent as each event's location."
    )

    def model_post_init(self, _context: object) -> None:
        """Check what pydantic's field types cannot."""
        if not is_safe_id(self.device_id):
            raise ValueError(f"device_id {self.device_id!r} is not a safe id")
        if self.kind not in ROLES:
            raise ValueError(f"kind {self.kind.value!r} is not one a Zigbee device can be")


class DeviceMap(BaseModel):
    """The map file: friendly name -> device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    devices: dict[str, MappedDevice]

    @classmethod
    def load(cls, path: Path) -> DeviceMap:
        """Read a TOML map file.

        Raises:
            ValueError: the file is not TOML or not a valid map (the message says where).
        """
        with path.open("rb") as file:
            return cls.model_validate(tomllib.load(file))


class RejectedMessageError(GatewayError, ValueError):
    """A Zigbee2MQTT message that is not forwarded; ``reason`` is its counter's name."""

    def __init__(self, reason: str, detail: str) -> None:
        """Say why."""
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass
class DeviceHealthState:
    """What the bridge last said about one device."""

    online: bool | None = None
    battery_percent: int | None = None
    last_seen: datetime | None = None


# Which state field each role watches, and how its value becomes our event's value.
_STATE_FIELDS: dict[EventKind, tuple[str, Callable[[Any], dict[str, object]]]] = {
    EventKind.MOTION: ("occupancy", lambda v: {"detected": bool(v)}),
    EventKind.BED: ("occupancy", lambda v: {"occupied": bool(v)}),
    EventKind.CHAIR: ("occupancy", lambda v: {"occupied": bool(v)}),
    EventKind.DOOR: ("contact", lambda v: {"open": not v}),  # contact true = closed
    EventKind.FLOOD: ("water_leak", lambda v: {"active": bool(v)}),
    EventKind.SMOKE: ("smoke", lambda v: {"active": bool(v)}),
    EventKind.CO: ("carbon_monoxide", lambda v: {"active": bool(v)}),
}
_BUTTON_VALUES: dict[EventKind, dict[str, object]] = {
    EventKind.PANIC_BUTTON: {"active": True},
    EventKind.PULL_CORD: {"active": True},
    EventKind.CANCEL: {},
    EventKind.CHECK_IN: {},
}
# The JSON type each field that readings are made of must have; ``float`` is any number.
_COMMON_FIELDS: dict[str, type] = {"battery": float, "battery_low": bool, "tamper": bool}


def _fields_read(kind: EventKind) -> dict[str, type]:
    """The fields a device of ``kind`` gives readings from, with the type each must have."""
    fields = dict(_COMMON_FIELDS)
    if kind in _STATE_FIELDS:
        fields[_STATE_FIELDS[kind][0]] = bool
    if kind in _BUTTON_VALUES:
        fields["action"] = str
        fields.update(dict.fromkeys(PRESS_STATES, bool))
    if kind == EventKind.TEMPERATURE:
        fields["temperature"] = float
    return fields


def _refusal(value: object, expected: type) -> str | None:
    """Why ``value`` cannot be read as ``expected`` (a counter's name), or None if it can."""
    if value is None:
        return "null_value"
    if expected is float:
        # bool is an int in Python, but ``"battery": true`` is no level.
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "wrong_type"
        try:
            # json parses NaN, Infinity and 1e400 (inf) as floats; rounding one raises.
            finite = math.isfinite(value)
        except OverflowError:  # an integer of hundreds of digits: no float holds it
            finite = False
        return None if finite else "not_finite"
    return None if isinstance(value, expected) else "wrong_type"


@dataclass
class Zigbee2MqttMapper:
    """Turns Zigbee2MQTT messages into readings; pure, apart from its memory of states.

    ``rejected`` counts, by reason, the messages not forwarded and the fields refused.
    """

    devices: DeviceMap
    base_topic: str = "zigbee2mqtt"
    rejected: dict[str, int] = field(default_factory=dict)
    health: dict[str, DeviceHealthState] = field(default_factory=dict)
    bridge_online: bool | None = None
    _last: dict[tuple[str, str], object] = field(default_factory=dict)

    def map(
        self, topic: str, payload: bytes, now: datetime, *, retained: bool = False
    ) -> list[Draft]:
        """The readings in one message (often none: a repeated state says nothing new).

        A ``retained`` message is the broker replaying an old state (Zigbee2MQTT with
        ``retain: true``, after our reconnect or restart): it is remembered as the current
        state, so only later changes are events, but is never itself an event, and says
        nothing about when the device was last heard.

        A field the device's kind is read from but of the wrong type, ``null``, NaN or
        infinite gives no reading; it is logged and counted, and the others are still read.

        Raises:
            RejectedMessageError: unknown device, malformed payload, or nothing usable; counted.
        """
        try:
            drafts = self._map(topic, payload, now, retained=retained)
        except RejectedMessageError as err:
            self.rejected[err.reason] = self.rejected.get(err.reason, 0) + 1
            raise
        return [] if retained else drafts

    def _map(self, topic: str, payload: bytes, now: datetime, *, retained: bool) -> list[Draft]:
        prefix = self.base_topic + "/"
        if not topic.startswith(prefix):
            raise RejectedMessageError("outside_base_topic", topic)
        name = topic[len(prefix) :]
        if name == "bridge/state":
            self.bridge_online = _availability(payload)
            log.info("zigbee2mqtt_bridge", online=self.bridge_online)
            return []
        if name.startswith("bridge/") or name.endswith(("/set", "/get")):
            return []  # the bridge's own topics and commands to devices: not readings
        if name.endswith("/availability"):
            device = self._device(name.removesuffix("/availability"))
            self._health(device).online = _availability(payload)
            return []
        device = self._device(name)
        state = _json_object(payload)
        if retained:
            state.pop("action", None)  # a press replayed is not a press
        else:
            self._health(device).last_seen = now
        usable = self._without_refused(device, state)
        drafts = [
            *self._role_readings(device, usable, now),
            *self._common_readings(device, usable, now),
        ]
        if not drafts and not self._knows_something(device, state):
            raise RejectedMessageError(
                "nothing_usable", f"{name}: no field for a {device.kind.value}"
            )
        return drafts

    def _device(self, name: str) -> MappedDevice:
        device = self.devices.devices.get(name)
        if device is None:
            raise RejectedMessageError("unknown_device", name)
        return device

    def _without_refused(self, device: MappedDevice, state: dict[str, Any]) -> dict[str, Any]:
        """``state`` without the fields read for ``device`` whose values cannot be; counted."""
        usable = dict(state)
        for field_name, expected in _fields_read(device.kind).items():
            if field_name not in state:
                continue
            value = state[field_name]
            if field_name == "action" and value is None:
                # Zigbee2MQTT's cached state can say ``"action": null`` between presses, as
                # it says ``""``: no press, not a bad value.
                continue
            reason = _refusal(value, expected)
            if reason is None:
                continue
            del usable[field_name]
            self.rejected[reason] = self.rejected.get(reason, 0) + 1
            log.warning(
                "zigbee2mqtt_rejected",
                device_id=device.device_id,
                field=field_name,
                reason=reason,
                detail=reprlib.repr(value),  # bounded: a value can be a long string or list
            )
        return usable

    def _health(self, device: MappedDevice) -> DeviceHealthState:
        return self.health.setdefault(device.device_id, DeviceHealthState())

    def _role_readings(
        self, device: MappedDevice, state: dict[str, Any], now: datetime
    ) -> list[Draft]:
        kind = device.kind
        if kind in _BUTTON_VALUES:
            action = state.get("action")
            if isinstance(action, str) and action.lower() in PRESS_ACTIONS:
                return [self._draft(device, kind, _BUTTON_VALUES[kind], now)]
            # Some SOS buttons report a state instead of an action: a press is it turning on.
            return [
                self._draft(device, kind, _BUTTON_VALUES[kind], now)
                for field_name in PRESS_STATES
                for change in self._on_change(
                    device, kind, (field_name, lambda v: {"on": bool(v)}), state, now
                )
                if change.value["on"]
            ]
        if kind == EventKind.TEMPERATURE:
            # Zigbee2MQTT repeats the last temperature in every report (humidity, battery):
            # only a new value is a reading.
            celsius = state.get("temperature")
            if isinstance(celsius, int | float) and not isinstance(celsius, bool):
                return self._on_change(
                    device, kind, ("temperature", lambda v: {"celsius": float(v)}), state, now
                )
            return []
        return self._on_change(device, kind, _STATE_FIELDS[kind], state, now)

    def _common_readings(
        self, device: MappedDevice, state: dict[str, Any], now: datetime
    ) -> list[Draft]:
        drafts = self._on_change(
            device, EventKind.TAMPER, ("tamper", lambda v: {"active": bool(v)}), state, now
        )
        battery = state.get("battery")
        percent: int | None = None
        if isinstance(battery, int | float) and not isinstance(battery, bool):
            percent = max(0, min(100, round(battery)))
            self._health(device).battery_percent = percent
        flag = state.get("battery_low")
        low = flag if isinstance(flag, bool) else None
        if low is None and percent is not None:
            low = percent <= LOW_BATTERY_PERCENT
        if low is not None:
            drafts += self._on_change(
                device,
                EventKind.BATTERY_LOW,
                ("battery_low", lambda v: {"low": bool(v), "percent": percent}),
                {"battery_low": low},
                now,
            )
        return drafts

    def _on_change(
        self,
        device: MappedDevice,
        kind: EventKind,
        watched: tuple[str, Callable[[Any], dict[str, object]]],
        state: dict[str, Any],
        now: datetime,
    ) -> list[Draft]:
        field_name, value_of = watched
        value = state.get(field_name)
        if value is None or (kind != EventKind.TEMPERATURE and not isinstance(value, bool)):
            return []
        key = (device.device_id, field_name)
        if self._last.get(key) == value:
            return []
        first = key not in self._last
        self._last[key] = value
        if first and kind in QUIET_WHEN_FALSE and not value:
            return []  # "no smoke", "not tampered", "battery fine" on first sight is no news
        return [self._draft(device, kind, value_of(value), now)]

    def _knows_something(self, device: MappedDevice, state: dict[str, Any]) -> bool:
        watched = {"battery", "battery_low", "tamper", "voltage", "action", *PRESS_STATES}
        if device.kind in _STATE_FIELDS:
            watched.add(_STATE_FIELDS[device.kind][0])
        if device.kind == EventKind.TEMPERATURE:
            watched.add("temperature")
        return bool(watched & state.keys())

    @staticmethod
    def _draft(
        device: MappedDevice, kind: EventKind, value: dict[str, object], now: datetime
    ) -> Draft:
        room = None if device.room is None else device.room.value
        return Draft(device.device_id, kind, value, now, room)


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        state = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        # RecursionError: arrays or objects nested thousands deep, which fit in a message.
        raise RejectedMessageError("malformed", f"not JSON: {err}") from err
    if not isinstance(state, dict):
        raise RejectedMessageError("malformed", "not a JSON object")
    return state


def _availability(payload: bytes) -> bool:
    text = payload.decode(errors="replace").strip()
    if text.startswith("{"):
        state = _json_object(payload).get("state")
        text = state if isinstance(state, str) else ""
    if text not in {"online", "offline"}:
        raise RejectedMessageError("malformed", f"availability {text!r}")
    return text == "online"


class Zigbee2MqttAdapter:
    """Reads Zigbee2MQTT on the home's local broker."""

    name = "zigbee2mqtt"

    def __init__(self, options: MqttOptions, mapper: Zigbee2MqttMapper, client_id: str) -> None:
        """Read ``mapper``'s base topic on the broker of ``options``."""
        self._options = options
        self.mapper = mapper
        self._client_id = client_id
        self.subscribed = asyncio.Event()
        """Set once the adapter listens (for tests and start-up checks)."""

    def health(self) -> list[DeviceHealth]:
        """Battery and last message of every mapped device the bridge has reported on."""
        return [
            DeviceHealth(
                device_id=device_id,
                battery_percent=state.battery_percent,
                last_seen=state.last_seen,
            )
            for device_id, state in self.mapper.health.items()
            if state.last_seen is not None
        ]

    async def run(self, report: Callable[[Draft], object]) -> None:
        """Subscribe and forward readings until cancelled (reconnecting is the caller's)."""
        async with make_client(self._options, identifier=self._client_id) as client:
            await client.subscribe(f"{self.mapper.base_topic}/#", qos=1)
            log.info("zigbee2mqtt_subscribed", base_topic=self.mapper.base_topic)
            self.subscribed.set()
            async for message in client.messages:
                payload = message.payload if isinstance(message.payload, bytes) else b""
                topic = message.topic.value
                try:
                    drafts = self.mapper.map(
                        topic, payload, datetime.now(UTC), retained=message.retain
                    )
                except RejectedMessageError as err:
                    log.warning(
                        "zigbee2mqtt_rejected", topic=topic, reason=err.reason, detail=str(err)
                    )
                    continue
                for draft in drafts:
                    try:
                        report(draft)
                    except ValidationError as err:
                        # A value outside what the protocol allows (a 150 °C reading).
                        self.mapper.rejected["invalid_value"] = (
                            self.mapper.rejected.get("invalid_value", 0) + 1
                        )
                        log.warning(
                            "zigbee2mqtt_rejected",
                            topic=topic,
                            reason="invalid_value",
                            detail=str(err),
                        )
