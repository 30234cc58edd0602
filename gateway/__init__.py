"""The home unit: device adapters, durable outbox, heartbeat, speakerphone."""

from gateway.config import GatewaySettings

__all__ = ["GatewaySettings"]
