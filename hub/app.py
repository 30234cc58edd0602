"""The hub as an aiohttp application: one factory, one cleanup context per resource."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import psycopg
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import AsyncConnectionPool

from hub.api.access import POOL
from hub.api.routes import add_api
from hub.api.stream import CALL_RELAY, feed_context
from hub.calls.relay import CallRelay
from hub.config import HubSettings
from hub.ingest.consumer import Connection, Consumer, NotConnectedError, publish_on_first
from hub.ingest.flood import HomeRate, LetterSample
from hub.ingest.registry import HomeRegister
from hub.ingest.router import FloodGuards, IngestLanes, Router
from hub.ingest.writers import BatchPolicy, Writers
from hub.loops.alarm_timers import check_wellbeing_forever, escalate_forever
from hub.loops.indicators import nightly_forever
from hub.loops.maintenance import maintain_forever, maintain_once
from hub.metrics import HubMetrics
from hub.storage import events, health, migrate
from protocol import alarm_filter, hub_filters

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


log = structlog.get_logger(__name__)

Pool = AsyncConnectionPool[psycopg.AsyncConnection[object]]

SETTINGS = web.AppKey("settings", HubSettings)
METRICS = web.AppKey("metrics", HubMetrics)
INGEST_POOL = web.AppKey("ingest_pool", AsyncConnectionPool)
TIMERS_POOL = web.AppKey("timers_pool", AsyncConnectionPool)
CONSUMER = web.AppKey("consumer", Consumer)
ALARM_CONSUMER = web.AppKey("alarm_consumer", Consumer)
WRITER_TASKS = web.AppKey("writer_tasks", list)
WRITERS = web.AppKey("writers", Writers)
STUCK_AFTER_S = 30.0
"""/readyz fails once the writers have stored nothing for this long while trying."""

READY_TIMEOUT_S = 2.0
PRESENCE_POLICY = BatchPolicy(max_events=500, max_wait_s=0.2)
DEAD_LETTER_POLICY = BatchPolicy(max_events=200, max_wait_s=0.1)
UNKEPT_EVERY_S = 5.0
"""How often the counts of refused messages beyond their homes' samples are stored."""


def create_app(settings: HubSettings) -> web.Application:
    """Build a hub. Nothing starts until the application runs (migrate, pool, MQTT)."""
    app = web.Application()
    app[SETTINGS] = settings
    app[METRICS] = HubMetrics()
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_maintenance)
    app.cleanup_ctx.append(_ingest)
    app.cleanup_ctx.append(_change_feed)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", _metrics)
    relay = CallRelay(
        pool=lambda: app[POOL], publish=lambda to, body: _consumer(app).publish(to, body)
    )
    add_api(app, settings, relay)
    return app


def _consumer(app: web.Application) -> Consumer:
    consumer = app.get(CONSUMER)
    if consumer is None:
        raise NotConnectedError("the hub is not reading from the broker yet")
    return consumer


async def _prepare_connection(conn: psycopg.AsyncConnection[object]) -> None:
    await events.prepare(conn)


async def _database(app: web.Application) -> AsyncIterator[None]:
    """Migrate, make partitions, then open the pool; close it last."""
    settings = app[SETTINGS]
    async with await psycopg.AsyncConnection.connect(
        settings.database_url, autocommit=True
    ) as conn:
        await migrate.migrate(conn)
        await maintain_once(conn, settings)
    # Three pools, so that a burst of heavy API reads cannot take the connection an alarm
    # needs to be stored, nor the one an escalation needs.
    pools = {
        POOL: _pool(settings.database_url, "hub-api", settings.db_pool_size),
        INGEST_POOL: _pool(settings.database_url, "hub-ingest", settings.ingest_pool_size),
        TIMERS_POOL: _pool(settings.database_url, "hub-timers", settings.timers_pool_size),
    }
    for key, pool in pools.items():
        await pool.open(wait=True)
        app[key] = pool
    yield
    for pool in pools.values():
        await pool.close()


def _pool(url: str, name: str, size: int) -> Pool:
    return AsyncConnectionPool(
        url,
        min_size=min(2, size),
        max_size=size,
        kwargs={"autocommit": True, "application_name": f"telecare-{name}"},
        configure=_prepare_connection,
        open=False,
        name=name,
    )


async def _change_feed(app: web.Application) -> AsyncIterator[None]:
    async for _ in feed_context(app, app[SETTINGS].database_url):
        yield


async def _maintenance(app: web.Application) -> AsyncIterator[None]:
    tasks = [
        asyncio.create_task(maintain_forever(app[SETTINGS])),
        asyncio.create_task(escalate_forever(app[TIMERS_POOL])),
        asyncio.create_task(check_wellbeing_forever(app[TIMERS_POOL])),
        asyncio.create_task(nightly_forever(app[POOL])),
    ]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _ingest(app: web.Application) -> AsyncIterator[None]:
    """Start writers, then the consumer; on stop, stop reading, drain, acknowledge, close."""
    settings, metrics, pool = app[SETTINGS], app[METRICS], app[INGEST_POOL]
    register = HomeRegister(pool)
    log.info("homes_loaded", homes=await register.load())
    lanes = IngestLanes.with_capacity(settings.queue_capacity_events)
    sample = LetterSample(settings.dead_letters_per_minute)
    guards = FloodGuards(HomeRate(settings.home_rate_per_s, settings.home_burst), sample)
    router = Router(register, lanes, metrics, app[CALL_RELAY].from_home, guards)
    consumer = Consumer(
        settings,
        router.route,
        metrics,
        Connection("telemetry", hub_filters(), settings.mqtt_client_id),
    )
    alarm_consumer = Consumer(
        settings,
        router.route,
        metrics,
        Connection("alarms", [alarm_filter()], f"{settings.mqtt_client_id}-alarms"),
    )
    writers = Writers(pool, consumer.publish, metrics)
    urgent_receipts = publish_on_first(alarm_consumer, consumer)
    telemetry = BatchPolicy(settings.batch_max_events, settings.batch_max_wait_ms / 1000)
    urgent = BatchPolicy(settings.batch_max_events, 0.0)
    tasks = [
        asyncio.create_task(writers.events(lanes.urgent, urgent, "urgent", urgent_receipts)),
        *(
            asyncio.create_task(writers.events(lanes.normal, telemetry, "normal"))
            for _ in range(settings.event_writers)
        ),
        asyncio.create_task(writers.presence(lanes.presence, PRESENCE_POLICY)),
        asyncio.create_task(writers.dead_letters(lanes.rejected, DEAD_LETTER_POLICY)),
    ]
    counting = asyncio.create_task(writers.unkept_letters(sample, UNKEPT_EVERY_S))
    for task in tasks:
        task.add_done_callback(_report_writer_end)
    consuming = [asyncio.create_task(c.run()) for c in (alarm_consumer, consumer)]
    app[CONSUMER] = consumer
    app[ALARM_CONSUMER] = alarm_consumer
    app[WRITER_TASKS] = tasks
    app[WRITERS] = writers
    yield
    await asyncio.gather(consumer.stop_reading(), alarm_consumer.stop_reading())
    lanes.close()
    try:
        async with asyncio.timeout(settings.shutdown_grace_s):
            await asyncio.gather(*tasks)
    except TimeoutError:
        # The timeout cancelled the writers mid-retry: what they held was neither stored nor
        # acknowledged, so the broker delivers it again to the next hub.
        log.warning("shutdown_left_events_unstored", note="the broker will deliver them again")
    counting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await counting
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(settings.shutdown_grace_s):
            await writers.store_unkept(sample)
    consumer.release()
    alarm_consumer.release()
    await asyncio.gather(*consuming)
    log.info("ingest_stopped")


def _report_writer_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("writer_died", exc_info=task.exception())


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    """200 when the database answers, the broker connection is up and the writers store.

    Otherwise 503, naming what is not.
    """
    app = request.app
    checks = {"database": False, "broker": False, "writers": False}
    consumers = [app.get(CONSUMER), app.get(ALARM_CONSUMER)]
    checks["broker"] = all(c is not None and c.connected for c in consumers)
    tasks = app.get(WRITER_TASKS, [])
    writers = app.get(WRITERS)
    checks["writers"] = (
        bool(tasks)
        and not any(task.done() for task in tasks)
        and writers is not None
        and writers.stuck_for() < STUCK_AFTER_S
    )
    pool = app.get(POOL)
    if pool is not None:
        try:
            async with asyncio.timeout(READY_TIMEOUT_S), pool.connection() as conn:
                await health.ping(conn)
            checks["database"] = True
        except (TimeoutError, psycopg.Error):
            checks["database"] = False
    ready = all(checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status=200 if ready else 503,
    )


async def _metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
