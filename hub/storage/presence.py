"""The presence table: when each home unit was last heard, and what it said about itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from psycopg import AsyncConnection

    from protocol import Heartbeat, Status

# Rows of homes deleted since the hub last looked are skipped (WHERE EXISTS) rather than
# failing the whole batch on the foreign key.
_HEARTBEAT = """
INSERT INTO presence (home_id, online, last_seen, heartbeat_ts, interval_s, uptime_s, power,
                      battery_percent, signal_dbm, outbox_depth, outbox_dropped, firmware)
SELECT %(home)s, true, %(received)s, %(ts)s, %(interval)s, %(uptime)s, %(power)s, %(battery)s,
       %(signal)s, %(depth)s, %(dropped)s, %(firmware)s
WHERE EXISTS (SELECT 1 FROM homes WHERE home_id = %(home)s)
ON CONFLICT (home_id) DO UPDATE SET
    -- a heartbeat older than the last status does not undo an "offline"
    online = CASE WHEN presence.status_ts IS NULL OR presence.status_ts <= EXCLUDED.heartbeat_ts
                  THEN true ELSE presence.online END,
    last_seen = EXCLUDED.last_seen, heartbeat_ts = EXCLUDED.heartbeat_ts,
    interval_s = EXCLUDED.interval_s, uptime_s = EXCLUDED.uptime_s, power = EXCLUDED.power,
    battery_percent = EXCLUDED.battery_percent, signal_dbm = EXCLUDED.signal_dbm,
    outbox_depth = EXCLUDED.outbox_depth, outbox_dropped = EXCLUDED.outbox_dropped,
    firmware = EXCLUDED.firmware
WHERE presence.heartbeat_ts IS NULL OR presence.heartbeat_ts <= EXCLUDED.heartbeat_ts
"""

_DEVICE = """
INSERT INTO devices (home_id, device_id, battery_percent, signal_dbm, last_seen, updated_at)
SELECT %(home)s, %(device)s, %(battery)s, %(signal)s, %(seen)s, %(received)s
WHERE EXISTS (SELECT 1 FROM homes WHERE home_id = %(home)s)
ON CONFLICT (home_id, device_id) DO UPDATE SET
    battery_percent = EXCLUDED.battery_percent, signal_dbm = EXCLUDED.signal_dbm,
    last_seen = EXCLUDED.last_seen, updated_at = EXCLUDED.updated_at
WHERE devices.last_seen IS NULL OR EXCLUDED.last_seen IS NULL
   OR devices.last_seen <= EXCLUDED.last_seen
"""

# A retained status replayed on resubscription, or a will that overtakes a newer "online",
# must not roll the state back: only a status at least as new as the stored one applies.
_STATUS = """
INSERT INTO presence (home_id, online, status_reason, status_ts, last_seen)
SELECT %(home)s, %(online)s, %(reason)s, %(ts)s, %(received)s
WHERE EXISTS (SELECT 1 FROM homes WHERE home_id = %(home)s)
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
                    {
                        "home": beat.home_id,
                        "received": received,
                        "ts": beat.ts,
                        "interval": beat.interval_s,
                        "uptime": beat.uptime_s,
                        "power": beat.power.value,
                        "battery": beat.battery_percent,
                        "signal": beat.signal_dbm,
                        "depth": beat.outbox_depth,
                        "dropped": beat.outbox_dropped,
                        "firmware": beat.firmware,
                    }
                    for beat, received in heartbeats
                ],
            )
            devices = [
                {
                    "home": beat.home_id,
                    "device": device.device_id,
                    "battery": device.battery_percent,
                    "signal": device.signal_dbm,
                    "seen": device.last_seen,
                    "received": received,
                }
                for beat, received in heartbeats
                for device in beat.devices
            ]
            if devices:
                await cursor.executemany(_DEVICE, devices)
        if statuses:
            await cursor.executemany(
                _STATUS,
                [
                    {
                        "home": status.home_id,
                        "online": status.state.value == "online",
                        "reason": status.reason.value,
                        "ts": status.ts,
                        "received": received,
                    }
                    for status, received in statuses
                ],
            )
