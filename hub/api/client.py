"""Where a request comes from: the client's address, and whether it came over TLS.

Behind a reverse proxy the hub's connection is the proxy's: the client's address and scheme
are in the ``X-Forwarded-For`` and ``X-Forwarded-Proto`` headers the proxy sets. Anyone can
send those headers, so they are believed only on connections from the proxy
(``TELECARE_TRUSTED_PROXY``), and only their last entry, the one the proxy added: the
entries before it are whatever the client sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from aiohttp import web

FORWARDED_FOR = "X-Forwarded-For"
FORWARDED_PROTO = "X-Forwarded-Proto"


@dataclass(frozen=True, slots=True)
class ClientOrigin:
    """How to tell a request's client: from the connection, or from a trusted proxy's headers."""

    trusted_proxy: IPv4Network | IPv6Network | None = None

    def address(self, request: web.Request) -> str:
        """The client's IP address (the peer's name when it has none, as on a Unix socket)."""
        forwarded = self._forwarded(request, FORWARDED_FOR)
        if forwarded is not None:
            return forwarded
        peer = _peer(request)
        return str(peer) if peer is not None else request.remote or "unknown"

    def is_tls(self, request: web.Request) -> bool:
        """Whether the client reached the hub, or the trusted proxy, over TLS."""
        proto = self._forwarded(request, FORWARDED_PROTO)
        if proto is not None:
            return proto.lower() == "https"
        return request.secure

    def _forwarded(self, request: web.Request, header: str) -> str | None:
        """The last entry of ``header``, when the request came from the trusted proxy."""
        peer = _peer(request)
        if self.trusted_proxy is None or peer is None or peer not in self.trusted_proxy:
            return None
        entries = [
            entry.strip()
            for line in request.headers.getall(header, ())
            for entry in line.split(",")
        ]
        return next((entry for entry in reversed(entries) if entry), None)


def _peer(request: web.Request) -> IPv4Address | IPv6Address | None:
    """The connection's peer address; an IPv4 client of a dual-stack socket as IPv4."""
    try:
        peer = ip_address(request.remote or "")
    except ValueError:
        return None
    if isinstance(peer, IPv6Address) and peer.ipv4_mapped is not None:
        return peer.ipv4_mapped
    return peer


ORIGIN = web.AppKey("client_origin", ClientOrigin)
"""How the API tells its clients' addresses and TLS (``hub.api.routes.add_api``)."""
