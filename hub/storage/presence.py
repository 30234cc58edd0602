"""The presence table: when each home unit was last heard, and what it said about itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from psycopg import AsyncConnection

    from protocol import Heartbeat, Status

_HEARTBEAT = """
INSERT INTO presence (home_id, online, last_seen, heartbeat_ts, interval_s, uptime_s, power,
                      battery_percent, signal_dbm, outbox_depth, outbox_dropped, firmware)
VALUES (%s, true, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (home_id) DO UPDATE SET
    online = true, last_seen = EXCLUDED.last_seen, heartbeat_ts = EXCLUDED.heartbeat_ts,
    interval_s = EXCLUDED.interval_s, uptime_s = EXCLUDED.uptime_s, power = EXCLUDED.power,
    battery_percent = EXCLUDED.battery_percent, signal_dbm = EXCLUDED.signal_dbm,
    outbox_depth = EXCLUDED.outbox_depth, outbox_dropped = EXCLUDED.outbox_dropped,
    firmware = EXCLUDED.firmware
WHERE presence.heartbeat_ts IS NULL OR presence.heartbeat_ts <= EXCLUDED.heartbeat_ts
"""

_DEVICE = """
INSERT INTO devices (home_id, device_id, battery_percent, signal_dbm, last_seen, updated_at)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (home_id, device_id) DO UPDATE SET
    battery_percent = EXCLUDED.battery_percent, signal_dbm = EXCLUDED.signal_dbm,
    last_seen = EXCLUDED.last_seen, updated_at = EXCLUDED.updated_at
"""

# A retained status replayed on resubscription, or a will that overtakes a newer "online",
# must not roll the state back: only a status at least as new as the stored one applies.
_STATUS = """
INSERT INTO presence (home_id, online, status_reason, status_ts, last_seen)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (home_id) DO UPDATE SET
    online = EXCLUDED.online, status_reason = EXCLUDED.status_reason,
    status_ts = EXCLUDED.status_ts, last_seen = GREATEST(presence.last_seen, EXCLUDED.last_seen)
WHERE presence.status_ts IS NULL OR presence.status_ts <= EXCLUDED.status_ts
"""


async def store(
    conn: AsyncConnection[object],
    heartbeats: Sequence[tuple[Heartbeat, datetime]],
    statuses: Sequence[tuple[Status, datetime]],
) -> None:
    """Apply heartbeats and status changes (each with the hub's receive time) in one transaction."""
    async with conn.transaction(), conn.cursor() as cursor:
        if heartbeats:
            await cursor.executemany(
                _HEARTBEAT,
                [
                    (
                        beat.home_id,
                        received,
                        beat.ts,
                        beat.interval_s,
                        beat.uptime_s,
                        beat.power.value,
                        beat.battery_percent,
                        beat.signal_dbm,
                        beat.outbox_depth,
                        beat.outbox_dropped,
                        beat.firmware,
                    )
                    for beat, received in heartbeats
                ],
            )
            devices = [
                (
                    beat.home_id,
                    device.device_id,
                    device.battery_percent,
                    device.signal_dbm,
                    device.last_seen,
                    received,
                )
                for beat, received in heartbeats
                for device in beat.devices
            ]
            if devices:
                await cursor.executemany(_DEVICE, devices)
        if statuses:
            await cursor.executemany(
                _STATUS,
                [
                    (
                        status.home_id,
                        status.state.value == "online",
                        status.reason.value,
                        status.ts,
                        received,
                    )
                    for status, received in statuses
                ],
            )
