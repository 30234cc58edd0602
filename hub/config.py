"""Settings of the hub process."""

from __future__ import annotations

from pydantic import Field

from telecare.mqtt import MAX_SESSION_EXPIRY_S
from telecare.settings import CommonSettings


class HubSettings(CommonSettings):
    """The hub's settings (``TELECARE_*`` variables or ``.env``)."""

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/telecare",
        description="libpq connection URI of the hub's PostgreSQL database.",
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    mqtt_client_id: str = Field(
        default="telecare-hub-1",
        description="Unique per replica: the broker keeps this replica's session by it.",
    )
    mqtt_share_group: str = Field(
        default="hub", description="Replicas in one group split the homes' traffic (MQTT 5)."
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
