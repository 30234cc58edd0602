"""Settings of the hub process."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, IPvAnyNetwork, field_validator

from hub.zones import known_zone
from protocol import IceServer
from runtime.mqtt import MAX_SESSION_EXPIRY_S, MqttProtocol
from runtime.settings import CommonSettings


class CookieSecure(StrEnum):
    """When the session cookie is marked Secure (sent back over HTTPS only)."""

    AUTO = "auto"
    """When the client came over TLS, to the hub or to the trusted proxy."""
    ALWAYS = "always"
    NEVER = "never"


class HubSettings(CommonSettings):
    """The hub's settings (``TELECARE_*`` variables or ``.env``)."""

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/telecare",
        description="libpq connection URI of the hub's PostgreSQL database.",
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    trusted_proxy: IPvAnyNetwork | None = Field(
        default=None,
        description=(
            "Address (or network) of the reverse proxy in front of the API. Requests from it "
            "are taken to come from the last X-Forwarded-For entry, over TLS when "
            "X-Forwarded-Proto is https; from elsewhere those headers are ignored. Unset: no "
            "proxy."
        ),
    )
    cookie_secure: CookieSecure = Field(
        default=CookieSecure.AUTO,
        description=(
            "Mark the session cookie Secure: 'auto' when the client came over TLS (to the hub, "
            "or to the trusted proxy), 'always', or 'never'."
        ),
    )
    mqtt_client_id: str = Field(
        default="telecare-hub-1",
        description="Unique per replica: the broker keeps this replica's session by it.",
    )
    mqtt_share_group: str = Field(
        default="hub",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Replicas in one group split the homes' traffic (MQTT 5).",
    )
    mqtt_shared_subscription: bool = Field(
        default=True,
        description=(
            "Subscribe as a member of the share group; false for MQTT 5 brokers without "
            "shared subscriptions (then run one replica)."
        ),
    )
    mqtt_session_expiry_s: int = Field(
        default=60,
        ge=0,
        le=MAX_SESSION_EXPIRY_S,
        description=(
            "How long the broker keeps a stopped replica's session. Short on purpose: a broker "
            "goes on sending a share group's messages to a stopped member's session, so a long "
            "expiry would park part of the traffic with a dead replica. A restart within it "
            "loses nothing; after it, home units resend what was not acknowledged."
        ),
    )
    mqtt_receive_maximum: int = Field(
        default=4000,
        ge=1,
        le=65535,
        description="Most messages the broker sends the hub before the hub has stored them.",
    )

    @field_validator("mqtt_protocol")
    @classmethod
    def _hub_needs_mqtt5(cls, value: MqttProtocol) -> MqttProtocol:
        # Manual acknowledgement with a receive maximum, shared subscriptions and session
        # expiry are how the hub loses nothing and scales; 3.1.1 has none of them.
        if value is not MqttProtocol.V5:
            raise ValueError("the hub needs an MQTT 5 broker")
        return value

    batch_max_events: int = Field(
        default=1000, ge=1, le=50_000, description="A database write holds at most this many."
    )
    batch_max_wait_ms: float = Field(
        default=10.0,
        ge=0,
        le=5000,
        description="Telemetry waits at most this long for more to join its write.",
    )
    queue_capacity_events: int = Field(
        default=20_000,
        ge=1,
        description="Events queued before the hub stops reading from the broker.",
    )
    event_writers: int = Field(
        default=2, ge=1, le=16, description="Concurrent database writers for telemetry."
    )
    home_rate_per_s: float = Field(
        default=200.0,
        gt=0,
        description="Messages a second one home may send (up/alarms is never limited); a "
        "unit sends a few a minute, and drains its outbox in batches of up to 200 events.",
    )
    home_burst: float = Field(
        default=2000.0, ge=1, description="Messages one home may send at once above its rate."
    )
    dead_letters_per_minute: int = Field(
        default=10,
        ge=1,
        description="Refused messages of one home and reason kept (and logged) each minute; "
        "the rest are counted in dead_letter_counts.",
    )
    db_pool_size: int = Field(
        default=6,
        ge=2,
        le=100,
        description="Connections for the API, calls and the nightly indicators.",
    )
    ingest_pool_size: int = Field(
        default=6,
        ge=2,
        le=100,
        description="Connections for storing what homes send (writers and home lookups), "
        "apart from the API's, so a heavy read cannot delay storing an alarm.",
    )
    timers_pool_size: int = Field(
        default=2,
        ge=1,
        le=20,
        description="Connections for escalations and well-being checks, apart from the rest.",
    )
    ice_servers: list[IceServer] = Field(
        default_factory=list,
        description=(
            "STUN/TURN servers the consoles' browsers use for calls, as JSON: "
            '[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]. '
            "None needed when consoles and home units reach each other directly."
        ),
    )
    centre_time_zone: str = Field(
        default="Europe/Rome", description="Where the centre's day starts, for today's figures."
    )

    _known_zone = field_validator("centre_time_zone")(known_zone)

    retention_days: int = Field(
        default=400, ge=1, description="Raw events older than this are dropped (by partition)."
    )
    dead_letter_retention_days: int = Field(
        default=90, ge=1, description="Refused messages older than this are deleted."
    )
    partitions_ahead_days: int = Field(default=7, ge=1, le=60)
    maintenance_interval_s: float = Field(
        default=3600, gt=0, description="How often partitions are made ahead and old data dropped."
    )
    shutdown_grace_s: float = Field(
        default=10.0,
        ge=0,
        description="On stop, how long queued events may take to be stored and acknowledged.",
    )
