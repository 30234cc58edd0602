"""The ``telecare gateway`` process: the unit, its device adapters, and a clean stop."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

import aiomqtt
import structlog

from gateway.adapters.zigbee2mqtt import DeviceMap, Zigbee2MqttAdapter, Zigbee2MqttMapper
from gateway.outbox import Outbox
from gateway.unit import HomeUnit
from runtime.mqtt import MqttOptions

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gateway.adapters import DeviceAdapter
    from gateway.config import GatewaySettings

log = structlog.get_logger(__name__)

ADAPTER_BACKOFF_FIRST_S = 1.0
ADAPTER_BACKOFF_MAX_S = 60.0


def adapters_for(settings: GatewaySettings) -> list[DeviceAdapter]:
    """The device adapters ``settings`` ask for.

    Raises:
        ValueError: the Zigbee2MQTT device map cannot be read.
    """
    adapters: list[DeviceAdapter] = []
    if settings.zigbee2mqtt_device_map is not None:
        mapper = Zigbee2MqttMapper(
            DeviceMap.load(settings.zigbee2mqtt_device_map), settings.zigbee2mqtt_base_topic
        )
        options = MqttOptions(
            url=settings.zigbee2mqtt_url, protocol=settings.mqtt_protocol, keepalive_s=30
        )
        adapters.append(Zigbee2MqttAdapter(options, mapper, f"unit-{settings.home_id}-z2m"))
    return adapters


async def run_gateway(
    settings: GatewaySettings, adapters: Sequence[DeviceAdapter], stop: asyncio.Event
) -> HomeUnit:
    """Run a home unit with ``adapters`` until ``stop`` is set; return the stopped unit."""
    outbox = Outbox(settings.outbox_path, settings.home_id, settings.outbox_capacity)
    unit = HomeUnit(settings, outbox)
    if not adapters:
        log.warning("gateway_without_devices", home_id=settings.home_id)
    for adapter in adapters:
        unit.add_health_source(adapter.health)
    running = [asyncio.create_task(unit.run())]
    running += [asyncio.create_task(_keep_running(a, unit)) for a in adapters]
    try:
        await stop.wait()
    finally:
        for task in running[1:]:
            task.cancel()
        await unit.stop()
        await asyncio.gather(*running, return_exceptions=True)
        outbox.close()
    return unit


async def _keep_running(adapter: DeviceAdapter, unit: HomeUnit) -> None:
    """Run an adapter, starting it again with backoff when its connection fails."""
    delay = ADAPTER_BACKOFF_FIRST_S
    while True:
        try:
            await adapter.run(unit.report)
        except (aiomqtt.MqttError, OSError) as err:
            log.warning("adapter_failed", adapter=adapter.name, error=str(err))
        except Exception:
            # Whatever it was, a unit whose devices fall silent is worse than a retry.
            log.exception("adapter_crashed", adapter=adapter.name)
        await asyncio.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter
        delay = min(delay * 2, ADAPTER_BACKOFF_MAX_S)
