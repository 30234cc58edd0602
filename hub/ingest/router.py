"""Where each MQTT message goes: decoded and checked, then to a lane or the dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog

from hub.ingest.items import EventsIn, PresenceIn, RejectedIn
from hub.ingest.lanes import Lane, LanesClosedError
from hub.storage.dead_letters import DeadLetter
from protocol import (
    MAX_ID_LENGTH,
    ROOT,
    CallAnswer,
    Channel,
    Direction,
    EventBatch,
    Hangup,
    Heartbeat,
    IceCandidate,
    ProtocolError,
    Status,
    decode_topic,
    parse_topic,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from hub.ingest.flood import HomeRate, LetterSample
    from hub.ingest.registry import HomeRegister
    from hub.metrics import HubMetrics

log = structlog.get_logger(__name__)

UNREGISTERED_HOME = "unregistered_home"
INTERNAL_ERROR = "internal_error"
RATE_LIMITED = "rate_limited"


def home_of(topic: str) -> str:
    """The home id a topic names, as far as it can be read ("" when none)."""
    prefix = ROOT + "/"
    if not topic.startswith(prefix):
        return ""
    return topic[len(prefix) :].split("/", 1)[0][:MAX_ID_LENGTH]


@dataclass(frozen=True, slots=True)
class FloodGuards:
    """What keeps one noisy home from hurting the others (see :mod:`hub.ingest.flood`)."""

    rate: HomeRate
    sample: LetterSample


@dataclass
class IngestLanes:
    """The four lanes between the consumer and the writers."""

    urgent: Lane[EventsIn]
    normal: Lane[EventsIn]
    presence: Lane[PresenceIn]
    rejected: Lane[RejectedIn]

    @classmethod
    def with_capacity(cls, events: int) -> IngestLanes:
        """Lanes whose normal traffic waits once ``events`` events are queued."""
        return cls(
            urgent=Lane(None), normal=Lane(events), presence=Lane(events), rejected=Lane(events)
        )

    def close(self) -> None:
        """Take nothing more in; writers drain what is queued."""
        for lane in (self.urgent, self.normal, self.presence, self.rejected):
            lane.close()


class Router:
    """Decodes each message once and hands it to the writer that stores it."""

    def __init__(
        self,
        register: HomeRegister,
        lanes: IngestLanes,
        metrics: HubMetrics,
        on_call: Callable[[CallAnswer | IceCandidate | Hangup], Awaitable[None]],
        guards: FloodGuards,
    ) -> None:
        """Route into ``lanes``, taking only registered homes; call signalling to ``on_call``.

        ``guards`` limit each home's rate and sample what is refused.
        """
        self._register = register
        self._lanes = lanes
        self._metrics = metrics
        self._on_call = on_call
        self._rate = guards.rate
        self._sample = guards.sample

    async def route(self, topic: str, payload: bytes, settle: Callable[[], None]) -> None:
        """Decode, check and queue one message; ``settle`` acknowledges it once it is safe.

        Waits (backpressure) while the lane it goes to is full. A message that makes the hub
        fail in an unforeseen way is dead-lettered as ``internal_error`` rather than crashing
        the consumer, which would get the same message first again after reconnecting.
        """
        received_at = datetime.now(UTC)
        try:
            await self._route(topic, payload, settle, received_at)
        except LanesClosedError:
            raise
        except Exception as err:
            log.exception("route_failed", topic=topic)
            letter = DeadLetter(received_at, topic, payload, INTERNAL_ERROR, (), repr(err))
            await self._reject(letter, settle)

    async def _route(
        self, topic: str, payload: bytes, settle: Callable[[], None], received_at: datetime
    ) -> None:
        try:
            # The topic first, and whether its home is registered: a flood from an unknown
            # home id is refused without decoding its payloads, the costly part.
            where = parse_topic(topic)
            if not await self._register.is_registered(where.home_id):
                self._metrics.messages_received.labels(where.channel.value).inc()
                detail = f"home {where.home_id!r} is not registered"
                letter = DeadLetter(
                    received_at, topic, payload, UNREGISTERED_HOME, ("home_id",), detail
                )
                await self._reject(letter, settle)
                return
            if where.channel is not Channel.ALARMS and not self._rate.allow(where.home_id):
                # Before decoding too: a home over its rate costs the hub next to nothing.
                self._metrics.messages_received.labels(where.channel.value).inc()
                await self._limited(topic, payload, settle, received_at)
                return
            received = decode_topic(topic, payload, direction=Direction.UP)
        except ProtocolError as err:
            await self._reject(
                DeadLetter(received_at, topic, payload, err.reason.value, err.fields, err.detail),
                settle,
            )
            return
        self._metrics.messages_received.labels(received.topic.channel.value).inc()
        message = received.message
        if isinstance(message, EventBatch):
            item = EventsIn(batch=message, received_at=received_at, settle=settle)
            self._metrics.events_received.inc(item.size)
            await (self._lanes.urgent if item.urgent else self._lanes.normal).put(item)
        elif isinstance(message, Heartbeat | Status):
            await self._lanes.presence.put(PresenceIn(message, received_at, settle))
        elif isinstance(message, CallAnswer | IceCandidate | Hangup):
            # Nothing to store: a call's signalling matters only while the call lasts.
            await self._on_call(message)
            settle()

    async def _limited(
        self, topic: str, payload: bytes, settle: Callable[[], None], received_at: datetime
    ) -> None:
        detail = "the home sends faster than its rate; its unit sends it again later"
        letter = DeadLetter(received_at, topic, payload, RATE_LIMITED, ("home_id",), detail)
        await self._reject(letter, settle)

    async def _reject(self, letter: DeadLetter, settle: Callable[[], None]) -> None:
        if not self._sample.admit(home_of(letter.topic), letter.reason):
            # Beyond the home's sample for this minute: counted, not stored nor logged.
            self._metrics.rejected.labels(letter.reason).inc()
            self._metrics.rejected_unkept.labels(letter.reason).inc()
            settle()
            return
        log.warning(
            "message_rejected",
            topic=letter.topic,
            reason=letter.reason,
            fields=list(letter.fields),
            detail=letter.detail,
        )
        await self._lanes.rejected.put(RejectedIn(letter=letter, settle=settle))
