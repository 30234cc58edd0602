"""The flood benchmark sends what the hub takes, and reads what the hub writes.

Its payloads decode as the hub's router decodes them, its presses are matched by the hub's
own acks, and its figures come from the hub's real metrics and dead-letter tables (filled here
by the hub's storage code): a change on the hub's side that the benchmark would misread fails
here, not in a run printing wrong numbers.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import psycopg
from prometheus_client import generate_latest

from bench.flood.flooder import flood_payloads
from bench.flood.hub_side import Counters, grown, letters
from bench.flood.phases import settled
from bench.flood.presses import Press, Presser, figures, press_payload
from hub.metrics import HubMetrics
from hub.storage import dead_letters, migrate
from hub.storage.dead_letters import DeadLetter
from protocol import (
    Ack,
    Channel,
    Direction,
    EventBatch,
    EventKind,
    decode_topic,
    encode,
)

if TYPE_CHECKING:
    from runtime.mqtt_link import MqttLink


def test_payloads_are_what_the_hub_takes() -> None:
    """The flood is motion on ``up/events`` from its home; a press is a panic on ``up/alarms``."""
    flood = flood_payloads("flood-home", 3)
    assert len({payload for _, payload in flood}) == 3  # new event ids each
    for where, payload in flood:
        received = decode_topic(where, payload, direction=Direction.UP)
        assert received.topic.home_id == "flood-home"
        assert received.topic.channel is Channel.EVENTS
        assert isinstance(received.message, EventBatch)
        assert [e.kind for e in received.message.events] == [EventKind.MOTION]
    where, payload, event_id = press_payload("quiet-000", 7)
    received = decode_topic(where, payload, direction=Direction.UP)
    assert received.topic.channel is Channel.ALARMS
    assert isinstance(received.message, EventBatch)
    (event,) = received.message.events
    assert (event.event_id, event.kind) == (event_id, EventKind.PANIC_BUTTON)


def test_a_press_is_timed_by_the_ack_naming_it() -> None:
    """An ack of the hub's own making ends the press it names, and only that one."""
    presser = Presser(cast("MqttLink", None), ["quiet-000"], random.Random(1))  # noqa: S311 - choosing homes
    _, _, named = press_payload("quiet-000", 1)
    _, _, other = press_payload("quiet-000", 2)
    sent = time.perf_counter()
    presses = [Press("quiet-000", named, sent, 0.0), Press("quiet-000", other, sent, 0.0)]
    presser.waiting = {p.event_id: p for p in presses}
    ack = Ack(home_id="quiet-000", ts=datetime.now(UTC), committed=[named])
    presser.note(encode(ack), sent + 0.05)
    assert presses[0].latency_s is not None
    assert round(presses[0].latency_s, 6) == 0.05
    assert presses[1].acked is None
    assert list(presser.waiting) == [other]
    found = figures(presses, timeout_s=30.0)
    assert (found["presses"], found["missing"], found["max_ms"]) == (2, 1, 50.0)


def samples_of(metrics: HubMetrics) -> dict[str, float]:
    """The metrics as ``/metrics`` shows them, read as ``bench.common.hubs.Hub.metrics`` does."""
    samples = {}
    for line in generate_latest(metrics.registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_counters_are_read_from_the_hubs_metrics() -> None:
    """Received by channel (the presses' left aside), refusals by reason, as the hub counts."""
    metrics = HubMetrics()
    before = Counters.from_samples(samples_of(metrics))
    metrics.messages_received.labels(Channel.EVENTS.value).inc(5)
    metrics.messages_received.labels(Channel.ALARMS.value).inc(2)
    metrics.rejected.labels("rate_limited").inc(4)
    metrics.rejected_unkept.labels("rate_limited").inc(3)
    after = Counters.from_samples(samples_of(metrics))
    assert after.received_besides_alarms - before.received_besides_alarms == 5
    assert grown(after.rejected, before.rejected) == {"rate_limited": 4}
    assert grown(after.unkept, before.unkept) == {"rate_limited": 3}


async def test_dead_letter_tables_as_the_hub_writes_them(database_url: str) -> None:
    """Rows and counts as the hub stores them; the counts are None without their table."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
    with psycopg.connect(database_url, autocommit=True) as conn:
        empty = letters(conn)
    assert (empty.rows, empty.counted) == (0, 0)
    now = datetime.now(UTC)
    where = "telecare/v1/homes/flood-home/up/events"
    kept = [DeadLetter(now, where, b"{}", "unregistered_home", ("home_id",), "x")] * 2
    minute = now.replace(second=0, microsecond=0)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await dead_letters.store(conn, kept)
        await dead_letters.count_unkept(conn, {(minute, "flood-home", "unregistered_home"): 40})
    with psycopg.connect(database_url, autocommit=True) as conn:
        full = letters(conn)
        conn.execute("DROP TABLE dead_letter_counts")
        assert letters(conn).counted is None
    assert (full.rows, full.counted) == (2, 40)
    assert full.bytes > empty.bytes
    metrics = HubMetrics()
    start = Counters.from_samples(samples_of(metrics))
    metrics.rejected.labels("unregistered_home").inc(42)
    metrics.rejected_unkept.labels("unregistered_home").inc(40)
    assert settled(Counters.from_samples(samples_of(metrics)), start, full)
    metrics.rejected.labels("unregistered_home").inc(1)  # a kept one not stored yet
    assert not settled(Counters.from_samples(samples_of(metrics)), start, full)
