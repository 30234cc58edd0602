"""Settings every telecare process shares; each process extends them with its own class.

Values come from ``TELECARE_*`` environment variables, then a ``.env`` file in the working
directory, then the defaults, which run against services on this machine.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from runtime.mqtt import MqttOptions, MqttProtocol, parse_mqtt_url


class LogFormat(StrEnum):
    """How log events are written."""

    AUTO = "auto"
    """Readable lines on a terminal, JSON lines otherwise."""
    JSON = "json"
    CONSOLE = "console"


class CommonSettings(BaseSettings):
    """Logging and broker settings shared by the hub, the home unit and the simulator."""

    model_config = SettingsConfigDict(
        env_prefix="TELECARE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: LogFormat = LogFormat.AUTO

    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="mqtt://[user@]host[:port], or mqtts:// for TLS; the password goes in "
        "mqtt_password.",
    )
    mqtt_protocol: MqttProtocol = Field(
        default=MqttProtocol.V5,
        description="'5', or '3.1.1' for brokers without MQTT 5 (see docs/protocol.md).",
    )
    mqtt_password: SecretStr | None = Field(
        default=None, description="Broker password, when not given in mqtt_url."
    )
    mqtt_keepalive_s: int = Field(default=30, ge=5, le=3600)

    @field_validator("mqtt_url")
    @classmethod
    def _valid_mqtt_url(cls, value: str) -> str:
        parse_mqtt_url(value)
        return value

    def mqtt_options(self) -> MqttOptions:
        """The broker options for :func:`runtime.mqtt.make_client`."""
        return MqttOptions(
            url=self.mqtt_url,
            protocol=self.mqtt_protocol,
            keepalive_s=self.mqtt_keepalive_s,
            password=self.mqtt_password.get_secret_value() if self.mqtt_password else None,
        )
