"""History for dashboards and adaptive rules: simulated days written straight into the database.

It does not go through MQTT or the hub: the rows are built from the same routines as the live
simulation and stored with the hub's own storage code (COPY, exactly once by event id, the
hourly rollup kept in the same transaction), in day partitions it makes first. The homes are
registered in the given district, with the room of each device. Running it twice adds a second
history: the event ids are new each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg
import structlog

from device_sim.home import DEVICE_ROOMS
from hub.storage import events, homes, migrate, partitions, registry
from protocol import MAX_BATCH_EVENTS, EventBatch

if TYPE_CHECKING:
    from collections.abc import Callable

    from device_sim.home import SimHome
    from gateway.outbox import Draft

log = structlog.get_logger(__name__)

ROWS_PER_WRITE = 20_000


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """What a backfill wrote."""

    homes: int
    days: int
    events: int


async def backfill(  # noqa: PLR0913 - each is a distinct choice of the run
    database_url: str,
    sim_homes: list[SimHome],
    days: int,
    district: str,
    *,
    until: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillResult:
    """Write ``days`` days of history, ending at ``until`` (now), for ``sim_homes``.

    ``progress(homes_done, events_written)`` is called after each home.
    """
    end = until or datetime.now(UTC)
    start = end - timedelta(days=days)
    written = await backfill_span(database_url, sim_homes, district, start, end, progress=progress)
    log.info("backfill_done", homes=len(sim_homes), days=days, events=written)
    return BackfillResult(homes=len(sim_homes), days=days, events=written)


async def backfill_span(  # noqa: PLR0913 - each is a distinct choice of the run
    database_url: str,
    sim_homes: list[SimHome],
    district: str,
    start: datetime,
    end: datetime,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the readings of ``sim_homes`` from ``start`` to ``end``; how many events.

    As :func:`backfill` does, for any stretch of time (the last hours since a history ended,
    say).
    """
    written = 0
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        behind = (end.date() - start.date()).days
        await partitions.create_ahead(conn, end.date(), days_ahead=1, days_behind=behind + 1)
        await homes.register(conn, [h.home_id for h in sim_homes], district)
        for home in sim_homes:
            await registry.set_device_rooms(conn, home.home_id, DEVICE_ROOMS)
        await events.prepare(conn)
        rows: list[events.EventRow] = []
        for done, home in enumerate(sim_homes, start=1):
            for batch in _batches(home.home_id, home.readings(start, end)):
                rows += events.rows_of(batch, batch.events[-1].ts)
                if len(rows) >= ROWS_PER_WRITE:
                    written += await events.store(conn, rows)
                    rows = []
            if progress is not None:
                progress(done, written + len(rows))
        if rows:
            written += await events.store(conn, rows)
    return written


def _batches(home_id: str, drafts: list[Draft]) -> list[EventBatch]:
    made = [d.to_event(home_id, seq) for seq, d in enumerate(drafts, start=1)]
    return [
        EventBatch(home_id=home_id, events=made[i : i + MAX_BATCH_EVENTS])
        for i in range(0, len(made), MAX_BATCH_EVENTS)
    ]
