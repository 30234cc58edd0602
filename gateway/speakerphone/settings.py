"""The speakerphone's settings: ICE servers and time limits, refused when unusable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiortc import RTCIceGatherer, RTCIceServer

from gateway.errors import GatewayError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from protocol import IceServer

DEFAULT_MAX_CALL_S: Final = 3600
"""A call is ended after an hour unless configured otherwise (GatewayConfig allows 60-14400)."""
DEFAULT_CONNECT_TIMEOUT_S: Final = 30.0
"""How long an answered call may take to connect before it counts as failed.

ICE alone may never give up: until the operator's side signals the end of its candidates,
aioice keeps waiting for more, so a call whose media cannot flow needs this deadline."""


class SpeakerphoneConfigError(GatewayError, ValueError):
    """A speakerphone setting is unusable (an ICE server URL aiortc cannot parse, a bad limit)."""


def rtc_ice_servers(ice_servers: Sequence[IceServer]) -> list[RTCIceServer]:
    """``ice_servers`` as aiortc takes them, each URL parsed now.

    Raises:
        SpeakerphoneConfigError: an ICE server URL is malformed.
    """
    servers = [
        RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
        for s in ice_servers
    ]
    try:
        # Parsing happens when a connection is made; doing it now turns a bad URL into
        # a refused setting instead of a failed emergency call.
        RTCIceGatherer(iceServers=servers)
    except ValueError as err:
        raise SpeakerphoneConfigError(f"ice_servers: {err}") from err
    return servers


def positive(name: str, value: float) -> float:
    """``value``, the setting ``name``, when it is above zero.

    Raises:
        SpeakerphoneConfigError: it is zero or negative.
    """
    if not value > 0:
        raise SpeakerphoneConfigError(f"{name} must be positive, not {value}")
    return value
