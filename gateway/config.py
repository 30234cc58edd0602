"""Settings of the home unit (gateway) process."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from protocol import is_safe_id
from protocol.limits import ACK_TIMEOUT_S
from runtime.settings import CommonSettings


class GatewaySettings(CommonSettings):
    """The home unit's settings (``TELECARE_*`` variables or ``.env``)."""

    home_id: str = Field(default="home-1", description="This home's id; also the MQTT username.")
    outbox_path: Path = Field(
        default=Path("gateway-outbox.sqlite3"),
        description="SQLite file holding events until the hub acknowledges them.",
    )
    outbox_capacity: int = Field(
        default=100_000,
        ge=100,
        description="Events kept before the size policy drops telemetry (never alarms).",
    )
    heartbeat_interval_s: int = Field(default=60, ge=10, le=3600)
    ack_timeout_s: float = Field(
        default=ACK_TIMEOUT_S,
        ge=1,
        le=600,
        description="Unacknowledged events are sent again after this, doubling to 5 min.",
    )
    cancel_window_s: int = Field(default=30, ge=0, le=600)
    max_call_s: int = Field(
        default=3600, ge=60, le=4 * 3600, description="A call is hung up after this long."
    )
    zigbee2mqtt_device_map: Path | None = Field(
        default=None,
        description="TOML map of Zigbee2MQTT friendly names to devices; unset, no Zigbee.",
    )
    zigbee2mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="The home's local broker, where Zigbee2MQTT publishes.",
    )
    zigbee2mqtt_base_topic: str = Field(default="zigbee2mqtt", pattern=r"^[^#+\x00]{1,200}$")

    @field_validator("home_id")
    @classmethod
    def _safe_home_id(cls, value: str) -> str:
        if not is_safe_id(value):
            msg = "must be 1-64 letters, digits, '_' or '-', starting with a letter or digit"
            raise ValueError(msg)
        return value
