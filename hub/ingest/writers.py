"""The database writers: events (urgent and normal lanes), presence, dead letters.

Each writer takes a batch from its lane, stores it in one transaction, then publishes the
receipts and acknowledges the MQTT messages. A transient database error retries the same
batch (nothing is acknowledged meanwhile); a batch the database refuses outright is split so
that only the offending message is dead-lettered and the rest are stored.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import psycopg
import structlog

from hub.alarms.rules import trigger_for
from hub.errors import HubError
from hub.ingest.items import EventsIn, PresenceIn, RejectedIn
from hub.ingest.receipts import receipts
from hub.ingest.refusals import refusal
from hub.storage import alarm_changes, dead_letters, events, presence
from hub.storage.dead_letters import DeadLetter
from protocol import CancelEvent, Channel, Heartbeat, Status, channel_for, encode, topic

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from uuid import UUID

    from psycopg_pool import AsyncConnectionPool

    from hub.ingest.flood import LetterSample
    from hub.ingest.lanes import Lane
    from hub.metrics import HubMetrics
    from protocol import Event

log = structlog.get_logger(__name__)

T = TypeVar("T")


REFUSED = (psycopg.DataError, psycopg.errors.ForeignKeyViolation)
"""Errors about the data itself: retrying the same rows cannot help. A foreign-key error
means a home deleted from the register while its unit still sends: its messages are
dead-lettered so the other homes' events, in the same batch, are stored. (Other integrity
errors mean the schema is wrong: retried and logged, not blamed on the messages.)"""

RETRY_FIRST_S = 0.1
RETRY_MAX_S = 5.0
STORAGE_REFUSED = "storage_refused"


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """When a writer stops gathering and writes: at ``max_events`` or ``max_wait_s``."""

    max_events: int
    max_wait_s: float


class Writers:
    """The writer tasks of one hub, sharing its connection pool."""

    def __init__(
        self,
        pool: AsyncConnectionPool[psycopg.AsyncConnection[object]],
        publish: Callable[[str, bytes], None],
        metrics: HubMetrics,
    ) -> None:
        """Write through ``pool``; send receipts with ``publish(topic, payload)``."""
        self._pool = pool
        self._publish = publish
        self._metrics = metrics
        self._failing_since: float | None = None

    def stuck_for(self) -> float:
        """Seconds the writers have been failing to store anything (0 while all is well)."""
        since = self._failing_since
        return 0.0 if since is None else time.monotonic() - since

    async def events(
        self,
        lane: Lane[EventsIn],
        policy: BatchPolicy,
        name: str,
        publish: Callable[[str, bytes], None] | None = None,
    ) -> None:
        """Store event batches from ``lane`` until it is closed and empty.

        Receipts go out with ``publish`` when given, else with the writers' own.
        """
        send = publish or self._publish
        gauge = self._metrics.queue_events.labels(name)
        flush = self._metrics.flush_seconds.labels(name)
        while items := await lane.take(policy.max_events, policy.max_wait_s):
            gauge.set(lane.events)
            started = time.perf_counter()
            stored, alarms_of = await self._store_events(items)
            flush.observe(time.perf_counter() - started)
            self._acknowledge(stored, alarms_of, send)

    async def _store_events(
        self, items: Sequence[EventsIn]
    ) -> tuple[list[EventsIn], dict[UUID, UUID]]:
        """Store ``items`` and the alarms they raise or join, in one transaction.

        Returns the items stored (all but any the database refused) and, for each event that
        raised or joined an alarm, the alarm's id.
        """
        rows = [row for item in items for row in events.rows_of(item.batch, item.received_at)]
        batch_events = [event for item in items for event in item.batch.events]
        try:
            new, joined = await self._with_retry(
                lambda conn: _store_with_alarms(conn, rows, batch_events)
            )
        except REFUSED as err:
            if len(items) == 1:
                await self._refuse(items[0], err)
                return [], {}
            half = len(items) // 2
            first, first_alarms = await self._store_events(items[:half])
            second, second_alarms = await self._store_events(items[half:])
            return [*first, *second], first_alarms | second_alarms
        self._metrics.batch_events.observe(len(rows))
        self._metrics.events_stored.inc(new)
        self._metrics.events_duplicate.inc(len(rows) - new)
        for link in joined:
            if link.raised:
                log.warning(
                    "alarm_raised",
                    alarm_id=str(link.alarm_id),
                    event_id=str(link.event_id),
                    home_id=next(e.home_id for e in batch_events if e.event_id == link.event_id),
                )
        return list(items), {link.event_id: link.alarm_id for link in joined}

    def _acknowledge(
        self,
        stored: Sequence[EventsIn],
        alarms_of: dict[UUID, UUID],
        publish: Callable[[str, bytes], None],
    ) -> None:
        committed = [(e.home_id, e.event_id) for item in stored for e in item.batch.events]
        acks = receipts(committed, datetime.now(UTC), alarms_of)
        failed: list[HubError] = []
        for ack in acks:
            try:
                publish(topic(ack.home_id, Channel.ACKS), encode(ack))
            except HubError as err:
                failed.append(err)
        self._metrics.acks_sent.inc(len(acks) - len(failed))
        if failed:
            # The events are stored; their units resend and get the ack then.
            self._metrics.acks_failed.inc(len(failed))
            log.warning("acks_not_sent", count=len(failed), error=str(failed[0]))
        for item in stored:
            item.settle()

    async def _refuse(self, item: EventsIn, err: psycopg.Error) -> None:
        letter = DeadLetter(
            received_at=item.received_at,
            topic=topic(item.batch.home_id, channel_for(item.batch)),
            payload=encode(item.batch),
            reason=STORAGE_REFUSED,
            fields=(),
            detail=str(err),
        )
        log.error("events_refused_by_database", home_id=item.batch.home_id, error=str(err))
        await self._store_letters([RejectedIn(letter=letter, settle=item.settle)])

    async def presence(self, lane: Lane[PresenceIn], policy: BatchPolicy) -> None:
        """Store heartbeats and status changes from ``lane`` until it is closed and empty."""
        while items := await lane.take(policy.max_events, policy.max_wait_s):
            try:
                await self._with_retry(partial(_store_presence, items))
                self._metrics.presence_updates.inc(len(items))
            except REFUSED as err:
                # Presence is state, overwritten by the next heartbeat; the refusal is logged.
                log.exception("presence_refused_by_database", count=len(items), error=str(err))
            for item in items:
                item.settle()

    async def dead_letters(self, lane: Lane[RejectedIn], policy: BatchPolicy) -> None:
        """Store refused messages from ``lane`` until it is closed and empty."""
        while items := await lane.take(policy.max_events, policy.max_wait_s):
            await self._store_letters(items)

    async def unkept_letters(self, sample: LetterSample, every_s: float) -> None:
        """Store the counts of refused messages beyond their homes' samples, every ``every_s``.

        One log line per home and reason says how many went unlogged.
        """
        while True:
            await asyncio.sleep(every_s)
            await self.store_unkept(sample)

    async def store_unkept(self, sample: LetterSample) -> None:
        """Store the counts gathered since the last time (also once more at shutdown)."""
        counts = sample.take_counts()
        if counts:
            await self._with_retry(lambda conn: dead_letters.count_unkept(conn, counts))
            for (minute, home_id, reason), messages in counts.items():
                log.warning(
                    "messages_rejected_unlogged",
                    home_id=home_id,
                    reason=reason,
                    messages=messages,
                    minute=minute.isoformat(),
                )

    async def _store_letters(self, items: Sequence[RejectedIn]) -> None:
        letters = [item.letter for item in items]
        try:
            await self._with_retry(lambda conn: dead_letters.store(conn, letters))
        except REFUSED as err:
            # The log line is then the only record of these refused messages.
            for letter in letters:
                log.exception(
                    "dead_letter_refused_by_database",
                    topic=letter.topic,
                    reason=letter.reason,
                    error=str(err),
                )
        self._tell_refused(letters)
        for item in items:
            self._metrics.rejected.labels(item.letter.reason).inc()
            item.settle()

    def _tell_refused(self, letters: Sequence[DeadLetter]) -> None:
        """Tell each sending unit which of its events are refused for good.

        So it stops resending them; after the dead letters are stored, as receipts follow
        storage.
        """
        now = datetime.now(UTC)
        for letter in letters:
            ack = refusal(letter, now)
            if ack is None:
                continue
            try:
                self._publish(topic(ack.home_id, Channel.ACKS), encode(ack))
            except HubError as err:
                # The unit resends the events and is told again then.
                log.warning("refusal_not_sent", home_id=ack.home_id, error=str(err))
                continue
            self._metrics.events_refused.labels(letter.reason).inc(len(ack.refused))

    async def _with_retry(
        self, work: Callable[[psycopg.AsyncConnection[object]], Awaitable[T]]
    ) -> T:
        """Run ``work`` on a pooled connection until it succeeds (or the task is cancelled).

        Data the database refuses (``REFUSED``) is raised to the caller. Anything else is
        retried with backoff: connection and lock troubles, and also the unexpected, since
        giving up would leave the messages unacknowledged and the writer dead; nothing is
        acknowledged until the write succeeds.
        """
        delay = RETRY_FIRST_S
        while True:
            try:
                async with self._pool.connection() as conn:
                    done = await work(conn)
                self._failing_since = None
                return done  # noqa: TRY300 - the retries below are the loop's point
            except REFUSED:
                raise
            except (psycopg.OperationalError, psycopg.errors.DeadlockDetected) as err:
                self._metrics.store_retries.inc()
                log.warning("store_retry", error=str(err), delay_s=delay)
            except Exception:
                self._metrics.store_retries.inc()
                log.exception("store_failed_unexpectedly", delay_s=delay)
            if self._failing_since is None:
                self._failing_since = time.monotonic()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)


async def _store_presence(
    items: Sequence[PresenceIn], conn: psycopg.AsyncConnection[object]
) -> None:
    beats = [(i.message, i.received_at) for i in items if isinstance(i.message, Heartbeat)]
    states = [(i.message, i.received_at) for i in items if isinstance(i.message, Status)]
    await presence.store(conn, beats, states)


async def _store_with_alarms(
    conn: psycopg.AsyncConnection[object], rows: Sequence[events.EventRow], batch: Sequence[Event]
) -> tuple[int, list[alarm_changes.Joined]]:
    """Events, and the alarms they raise, join or cancel, committed together."""
    triggered = [(event, trigger) for event in batch if (trigger := trigger_for(event))]
    cancels = [event for event in batch if isinstance(event, CancelEvent)]
    if not triggered and not cancels:
        return await events.store(conn, rows), []
    now = datetime.now(UTC)
    async with conn.transaction():
        new = await events.store(conn, rows)
        joined = await alarm_changes.apply_triggers(conn, triggered, now) if triggered else []
        if cancels:
            await alarm_changes.cancel_by_resident(conn, cancels, now)
    return new, joined
