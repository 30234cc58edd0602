"""MQTT clients configured one way for every process, on MQTT 5 or, degraded, on 3.1.1.

MQTT 3.1.1 brokers (amqtt, some customers' brokers) refuse an MQTT 5 CONNECT, so the version
comes from settings. What MQTT 5 adds degrades as follows on 3.1.1:

- shared subscriptions (``$share/group/...``) become plain subscriptions, so every subscriber
  gets every message: run one hub replica per broker;
- session expiry becomes a persistent session (clean session off) that the broker keeps until
  the client returns or the broker's own limit;
- message expiry is not sent; the broker keeps queued messages until they are delivered.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from runtime.errors import SharedRuntimeError

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
MAX_SESSION_EXPIRY_S = 2**32 - 1
"""MQTT 5's largest session expiry (a four-byte integer); it means "never expires"."""


class MqttProtocol(StrEnum):
    """The MQTT protocol version a client speaks."""

    V5 = "5"
    V311 = "3.1.1"

    @property
    def aiomqtt_version(self) -> aiomqtt.ProtocolVersion:
        """The matching aiomqtt constant."""
        if self is MqttProtocol.V5:
            return aiomqtt.ProtocolVersion.V5
        return aiomqtt.ProtocolVersion.V311


class MqttUrlError(SharedRuntimeError, ValueError):
    """A broker URL that cannot be used."""


@dataclass(frozen=True, slots=True)
class MqttEndpoint:
    """Where a broker listens and who we are to it."""

    host: str
    port: int
    tls: bool
    username: str | None


def parse_mqtt_url(url: str) -> MqttEndpoint:
    """Read ``mqtt://[user@]host[:port]`` (or ``mqtts://``).

    A password is refused in the URL: URLs end up in logs and reprs, so the password has a
    setting of its own (``TELECARE_MQTT_PASSWORD``).

    Raises:
        MqttUrlError: another scheme, no host, a password, a path, or a bad port.
    """
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise MqttUrlError(f"scheme must be mqtt or mqtts, not {parts.scheme!r}")
    if not parts.hostname:
        raise MqttUrlError("the URL names no host")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise MqttUrlError("the URL must not have a path, query or fragment")
    if parts.password is not None:
        raise MqttUrlError("put the password in TELECARE_MQTT_PASSWORD, not in the URL")
    try:
        port = DEFAULT_PORTS[parts.scheme] if parts.port is None else parts.port
    except ValueError as err:
        raise MqttUrlError(str(err)) from err
    if port == 0:
        raise MqttUrlError("port 0 is not a port to connect to")
    return MqttEndpoint(
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "mqtts",
        username=unquote(parts.username) if parts.username else None,
    )


@dataclass(frozen=True, slots=True)
class MqttOptions:
    """Everything needed to open a client, independent of which process opens it."""

    url: str
    protocol: MqttProtocol = MqttProtocol.V5
    keepalive_s: int = 30
    password: str | None = None
    timeout_s: float = 10.0
    """How long to wait for the broker to answer a connect, subscribe or publish."""


def make_client(
    options: MqttOptions,
    *,
    identifier: str,
    session_expiry_s: int = 0,
    username: str | None = None,
    will: aiomqtt.Will | None = None,
) -> aiomqtt.Client:
    """Build (not connect) a client.

    Args:
        options: broker address, protocol version and credentials.
        identifier: the MQTT client id; a persistent session is found again by it.
        session_expiry_s: 0 for a session that ends with the connection; otherwise how long
            the broker keeps the session (subscriptions and queued QoS 1 messages) after a
            disconnect. On 3.1.1 any value above 0 means a persistent session.
        username: overrides the URL's user (a home unit's user is its home id).
        will: published by the broker if the connection dies.

    Raises:
        MqttUrlError: a password without a user name (the broker would never see it).
    """
    endpoint = parse_mqtt_url(options.url)
    user = username or endpoint.username
    if options.password and not user:
        raise MqttUrlError("a broker password needs a user name")
    persistent = session_expiry_s > 0
    common = {
        "hostname": endpoint.host,
        "port": endpoint.port,
        "username": user,
        "password": options.password,
        "identifier": identifier,
        "protocol": options.protocol.aiomqtt_version,
        "keepalive": options.keepalive_s,
        "timeout": options.timeout_s,
        "will": will,
        "tls_context": ssl.create_default_context() if endpoint.tls else None,
    }
    if options.protocol is MqttProtocol.V5:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = session_expiry_s
        client = aiomqtt.Client(**common, clean_start=not persistent, properties=properties)  # type: ignore[arg-type]
    else:
        client = aiomqtt.Client(**common, clean_session=not persistent)  # type: ignore[arg-type]
    return client


def send_without_delay(client: aiomqtt.Client) -> bool:
    """Turn Nagle's algorithm off on a connected client's socket (``TCP_NODELAY``).

    With it on, a small packet (a panic press) waits while an earlier one is unacknowledged,
    and Linux acknowledges late: tens of milliseconds on every alarm. paho has no option
    for it, and aiomqtt uses paho's socket-open callback itself, so it is set once connected.
    Returns whether it was set (False when the client holds no TCP socket).
    """
    sock = client._client.socket()  # noqa: SLF001 - paho's socket: no API sets the option
    if not isinstance(sock, socket.socket) or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return True


def shared_subscription(topic_filter: str, group: str, protocol: MqttProtocol) -> str:
    """The filter to subscribe to so that members of ``group`` split the messages.

    On 3.1.1 there are no shared subscriptions: the plain filter is returned and every
    subscriber gets every message.
    """
    if protocol is MqttProtocol.V5:
        return f"$share/{group}/{topic_filter}"
    return topic_filter


def publish_properties(protocol: MqttProtocol, *, expiry_s: int | None) -> Properties | None:
    """Properties of a PUBLISH that the broker drops after ``expiry_s`` undelivered.

    None on 3.1.1 (no message expiry there) or when no expiry is wanted.
    """
    if protocol is not MqttProtocol.V5 or expiry_s is None:
        return None
    properties = Properties(PacketTypes.PUBLISH)
    properties.MessageExpiryInterval = expiry_s
    return properties
