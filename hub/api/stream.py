"""``/api/v1/stream``: changes of alarms, call tasks and presence, pushed as they happen.

One connection per hub LISTENs to PostgreSQL's notifications, which every change of an
alarm or presence raises (a trigger), whichever replica or ingest writer made it; each
console's WebSocket gets the changes of its user's districts. A console that falls behind
(its queue full) is disconnected rather than let the hub's memory grow: it reconnects and
reloads the queue through the REST API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

import psycopg
import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from hub.api.access import POOL, ApiError, still_allowed
from hub.calls.relay import CallRelay
from hub.storage import audit

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from hub.auth.users import User

log = structlog.get_logger(__name__)

CHANNELS = {"telecare_alarms": "alarm", "telecare_presence": "presence", "telecare_calls": "call"}
CALL_SIGNALS = "telecare_call_signals"
"""A home's call signalling stored by another replica (see :mod:`hub.calls.relay`)."""
QUEUE_PER_CONSOLE = 1000
KEEPALIVE = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
"""TCP keepalives on the LISTEN connection: a half-open one is noticed within two minutes."""
RELISTEN_S = 1.0
RECHECK_S = 60.0
"""How often a console's sign-in is checked again while its socket is open."""
OVERFLOW: dict[str, Any] = {"type": "overflow"}
"""Put in a console's queue when it fell behind: its socket is closed."""
GOING_AWAY: dict[str, Any] = {"type": "going_away"}
"""Put in every console's queue when the hub stops: its socket is closed as going away."""


class ChangeFeed:
    """Fans the database's change notifications out to the connected consoles."""

    def __init__(self, on_call_signal: Callable[[dict[str, Any]], None]) -> None:
        """No console yet; ``on_call_signal`` hears of relayed call signalling."""
        self._consoles: dict[asyncio.Queue[dict[str, Any]], User] = {}
        self._on_call_signal = on_call_signal

    def subscribe(self, user: User) -> asyncio.Queue[dict[str, Any]]:
        """A queue of the changes ``user`` may see."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_PER_CONSOLE)
        self._consoles[queue] = user
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop feeding ``queue``."""
        self._consoles.pop(queue, None)

    def broadcast(self, message: dict[str, Any]) -> None:
        """Hand ``message`` to every console."""
        for queue in list(self._consoles):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(message)

    def publish(self, kind: str, change: dict[str, Any]) -> None:
        """Hand one change to every console whose user serves its district."""
        message = {"type": kind, kind: change}
        for queue, user in list(self._consoles.items()):
            if not user.serves(str(change.get("district"))):
                continue
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                log.warning("stream_console_too_slow", username=user.username)
                self._end(queue, OVERFLOW)

    def close_all(self) -> None:
        """Have every console's socket closed as going away: the hub is stopping."""
        for queue in list(self._consoles):
            self._end(queue, GOING_AWAY)

    def _end(self, queue: asyncio.Queue[dict[str, Any]], last: dict[str, Any]) -> None:
        """Stop feeding ``queue``; what it still holds gives way to ``last``."""
        self.unsubscribe(queue)
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(last)

    async def listen_forever(self, database_url: str) -> None:
        """LISTEN to the change channels, reconnecting after any database trouble.

        Changes made while it was reconnecting are lost to it, so after a reconnect every
        console is told to reload (``{"type": "resync"}``) through the REST API.
        """
        first = True
        while True:
            try:
                # TCP keepalives: a half-open LISTEN connection is noticed within a minute.
                async with await psycopg.AsyncConnection.connect(
                    database_url,
                    autocommit=True,
                    keepalives=1,
                    keepalives_idle=30,
                    keepalives_interval=10,
                    keepalives_count=3,
                ) as conn:
                    for channel in [*CHANNELS, CALL_SIGNALS]:
                        await conn.execute(f"LISTEN {channel}")
                    if not first:
                        self.broadcast({"type": "resync"})
                    first = False
                    async for notice in conn.notifies():
                        change = json.loads(notice.payload)
                        if notice.channel == CALL_SIGNALS:
                            self._on_call_signal(change)
                        else:
                            self.publish(CHANNELS[notice.channel], change)
            except psycopg.Error as err:
                log.warning("stream_listen_failed", error=str(err))
            await asyncio.sleep(RELISTEN_S)


FEED = web.AppKey("change_feed", ChangeFeed)
CALL_RELAY = web.AppKey("call_relay", CallRelay)


async def stream(request: web.Request, user: User) -> web.WebSocketResponse:
    """The WebSocket of ``user``, signed in as for the REST API: one JSON message per change."""
    _same_origin(request)
    feed = request.app[FEED]
    # Subscribed before the handshake completes: a change made once the console is
    # connected is never missed.
    queue = feed.subscribe(user)
    socket = web.WebSocketResponse(heartbeat=30)
    try:
        await socket.prepare(request)
    except BaseException:
        feed.unsubscribe(queue)
        raise
    async with request.app[POOL].connection() as conn:
        await audit.record(conn, user.username, "stream.open", "stream")
    sender = asyncio.create_task(_send(socket, queue))
    guard = asyncio.create_task(_close_when_signed_out(request, socket, user))
    relay = request.app[CALL_RELAY]
    try:
        async for message in socket:
            # Consoles send only call signalling; anything else is refused and ignored.
            if message.type == WSMsgType.TEXT:
                await relay.from_console(user, queue, message.data)
    finally:
        feed.unsubscribe(queue)
        for task in (sender, guard):
            task.cancel()
        await asyncio.gather(sender, guard, return_exceptions=True)
        await relay.console_gone(queue)
    return socket


def _same_origin(request: web.Request) -> None:
    """Refuse a browser's socket opened by a page of another origin.

    SameSite=Strict keeps other sites' pages from using the session, not a sibling
    subdomain's; this socket can place calls into homes, so the page must be the hub's own.
    Clients that are not browsers send no Origin and are let through.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return
    expected = f"{request.scheme}://{request.host}"
    forwarded = request.headers.get("X-Forwarded-Proto")
    allowed = {expected, f"{forwarded}://{request.host}"} if forwarded else {expected}
    if origin not in allowed:
        raise ApiError(403, "the stream is opened only from the hub's own pages")


async def _close_when_signed_out(
    request: web.Request, socket: web.WebSocketResponse, user: User
) -> None:
    # A socket outlives its sign-in check: signing out, deactivation, expiry or a change of
    # role or districts must end it (the console signs in again and sees what it now may).
    while True:
        await asyncio.sleep(RECHECK_S)
        if not await still_allowed(request, user):
            await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"signed out")
            return


async def _send(socket: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
    while True:
        message = await queue.get()
        if message is OVERFLOW:
            await socket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow")
            return
        if message is GOING_AWAY:
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"hub stopping")
            return
        await socket.send_json(message)


async def close_streams(app: web.Application) -> None:
    """Close the consoles' sockets as going away when the hub stops (``on_shutdown``).

    Left open, each would hold the stop until the server's shutdown timeout and then be cut
    without a word.
    """
    app[FEED].close_all()


async def feed_context(app: web.Application, database_url: str) -> AsyncIterator[None]:
    """Run the feed's listener for the life of the app."""
    tasks = [
        asyncio.create_task(app[FEED].listen_forever(database_url)),
        asyncio.create_task(app[CALL_RELAY].run_timers()),
    ]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
