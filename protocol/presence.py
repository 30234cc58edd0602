"""Messages that tell the hub a home unit is alive: heartbeats and the retained status."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from protocol.base import Counter, DeviceId, HomeId, Percent, Text, Timestamp, WireModel
from protocol.limits import MAX_DEVICES_IN_HEARTBEAT


class PowerSource(StrEnum):
    """What the home unit is running on."""

    MAINS = "mains"
    BATTERY = "battery"


class DeviceHealth(WireModel):
    """One radio device as the home unit last heard it."""

    device_id: DeviceId
    battery_percent: Percent | None = None
    last_seen: Timestamp | None = None
    signal_dbm: int | None = Field(default=None, ge=-150, le=0)


class Heartbeat(WireModel):
    """Payload of ``up/heartbeat`` (QoS 0): the home unit's periodic sign of life."""

    home_id: HomeId
    ts: Timestamp
    interval_s: int = Field(
        ge=10, le=3600, description="Seconds until the next heartbeat; absence is judged by it."
    )
    uptime_s: Counter
    power: PowerSource
    battery_percent: Percent | None = Field(
        default=None, description="The home unit's own backup battery."
    )
    signal_dbm: int | None = Field(default=None, ge=-150, le=0)
    outbox_depth: Counter = Field(description="Events waiting for the hub's ack.")
    outbox_dropped: Counter = Field(
        description="Telemetry events coalesced away since start (never alarm events)."
    )
    firmware: Text | None = None
    devices: list[DeviceHealth] = Field(default_factory=list, max_length=MAX_DEVICES_IN_HEARTBEAT)


class Presence(StrEnum):
    """Whether the home unit holds a connection to the broker."""

    ONLINE = "online"
    OFFLINE = "offline"


class StatusReason(StrEnum):
    """Why the status changed."""

    CONNECTED = "connected"
    SHUTDOWN = "shutdown"
    CONNECTION_LOST = "connection_lost"


class Status(WireModel):
    """Payload of ``up/status`` (QoS 1, retained).

    The home unit publishes ``online`` when it connects and ``offline``/``shutdown`` before a
    clean stop; it registers ``offline``/``connection_lost`` as its MQTT will, so the broker
    publishes that when the connection dies. The will is written at connect time, so its
    ``ts`` is the connect time; the unit stamps the ``online`` it publishes after connecting
    with that same time. The hub keeps the status with the newest ``ts``, and of equal ones
    the last to arrive, which is the will. It keeps its own receive time beside it.
    """

    home_id: HomeId
    state: Presence
    reason: StatusReason
    ts: Timestamp
