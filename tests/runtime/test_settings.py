"""Settings: TELECARE_ variables and .env files, defaults that run locally, clear errors."""

from __future__ import annotations

import os
from ipaddress import IPv4Network, IPv6Network
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from device_sim import SimSettings
from gateway import GatewaySettings
from hub import HubSettings
from runtime.mqtt import MqttProtocol
from runtime.settings import LogFormat

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TELECARE_ variable or .env file of the developer's leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("TELECARE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_point_at_this_machine() -> None:
    """With nothing set, every process talks to a local broker on MQTT 5."""
    for settings in (HubSettings(), GatewaySettings(), SimSettings()):
        assert settings.mqtt_url == "mqtt://127.0.0.1:1883"
        assert settings.mqtt_protocol is MqttProtocol.V5
        assert settings.log_format is LogFormat.AUTO
    assert "127.0.0.1:5432" in HubSettings().database_url


def test_environment_variables_use_the_telecare_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """TELECARE_MQTT_URL and friends reach the settings."""
    monkeypatch.setenv("TELECARE_MQTT_URL", "mqtt://broker.example:1884")
    monkeypatch.setenv("TELECARE_MQTT_PROTOCOL", "3.1.1")
    monkeypatch.setenv("TELECARE_HOME_ID", "casa-rossi")
    settings = GatewaySettings()
    assert settings.mqtt_url == "mqtt://broker.example:1884"
    assert settings.mqtt_options().protocol is MqttProtocol.V311
    assert settings.home_id == "casa-rossi"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    """A .env file in the working directory is read; the environment still wins."""
    (tmp_path / ".env").write_text(
        "TELECARE_DATABASE_URL=postgresql://hub@db.local/telecare\nTELECARE_HTTP_PORT=9000\n"
    )
    settings = HubSettings()
    assert settings.database_url == "postgresql://hub@db.local/telecare"
    assert settings.http_port == 9000


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("TELECARE_MQTT_URL", "http://broker:1883", "mqtt_url"),
        ("TELECARE_MQTT_URL", "mqtt://broker:99999", "mqtt_url"),
        ("TELECARE_MQTT_URL", "mqtt://broker:0", "mqtt_url"),
        ("TELECARE_MQTT_URL", "mqtt://hub:secret@broker", "mqtt_url"),
        ("TELECARE_MQTT_SESSION_EXPIRY_S", str(2**32), "mqtt_session_expiry_s"),
        ("TELECARE_MQTT_PROTOCOL", "4", "mqtt_protocol"),
        ("TELECARE_HTTP_PORT", "0", "http_port"),
        ("TELECARE_LOG_FORMAT", "xml", "log_format"),
        ("TELECARE_TRUSTED_PROXY", "proxy.local", "trusted_proxy"),
        ("TELECARE_COOKIE_SECURE", "sometimes", "cookie_secure"),
        ("TELECARE_CENTRE_TIME_ZONE", "Mars/Olympus", "centre_time_zone"),
    ],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    """A bad value fails at start-up with the setting's name in the error."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        HubSettings()
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_ice_servers_are_json_stun_or_turn_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """None by default; a TURN server given as JSON; an http URL is refused, named."""
    assert HubSettings().ice_servers == []
    turn = '[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]'
    monkeypatch.setenv("TELECARE_ICE_SERVERS", turn)
    assert HubSettings().ice_servers[0].urls == ["turn:turn.example.org:3478"]
    monkeypatch.setenv("TELECARE_ICE_SERVERS", '[{"urls": ["http://turn.example.org"]}]')
    with pytest.raises(ValidationError) as caught:
        HubSettings()
    assert caught.value.errors()[0]["loc"][0] == "ice_servers"


def test_the_trusted_proxy_is_an_address_or_a_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy unless named; one address is a network of one."""
    assert HubSettings().trusted_proxy is None
    monkeypatch.setenv("TELECARE_TRUSTED_PROXY", "10.1.0.0/16")
    assert HubSettings().trusted_proxy == IPv4Network("10.1.0.0/16")
    monkeypatch.setenv("TELECARE_TRUSTED_PROXY", "::1")
    assert HubSettings().trusted_proxy == IPv6Network("::1/128")


def test_gateway_home_id_must_be_a_safe_identifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """A home id that could widen an MQTT topic filter is refused at start-up."""
    monkeypatch.setenv("TELECARE_HOME_ID", "home/#")
    with pytest.raises(ValidationError) as caught:
        GatewaySettings()
    assert caught.value.errors()[0]["loc"] == ("home_id",)


def test_settings_cannot_change_once_read() -> None:
    """Settings are frozen: nothing rewrites them behind a running process."""
    settings = HubSettings()
    with pytest.raises(ValidationError):
        settings.http_port = 1  # type: ignore[misc]


def test_password_stays_out_of_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker password is a secret: never printed, still usable."""
    monkeypatch.setenv("TELECARE_MQTT_PASSWORD", "s3cret")
    settings = GatewaySettings()
    assert "s3cret" not in repr(settings)
    assert settings.mqtt_options().password == "s3cret"
