"""The review list through the API: people whose routine has changed, for social workers.

Social workers, supervisors and admins of a district read its list and mark entries as seen,
with what they did; supervisors and admins set the district's thresholds. Operators do not see
the list (403): it is not an alarm and never reaches their queue. Another district's home,
entry or settings is a 404. Every read and every change is audited.
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog

from hub.api.access import ApiError, visible, visible_row
from hub.api.params import HomePath
from hub.api.review_models import (
    DistrictPath,
    ReviewEntryOut,
    ReviewEntryPath,
    ReviewList,
    ReviewQuery,
    ReviewSettingsOut,
    SeenRequest,
)
from hub.api.routing import Allowed, Call, RouteTable
from hub.api.rows import out
from hub.auth.users import OVERRIDING_ROLES, Role
from hub.review.settings import ReviewSettings
from hub.storage import audit, registry, review

log = structlog.get_logger(__name__)

ROUTES = RouteTable()
SOCIAL = Allowed(
    frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMIN}), "read or keep the review list"
)
SETTERS = Allowed(OVERRIDING_ROLES, "change a district's review settings")

Conn = psycopg.AsyncConnection[Any]


def _items(rows: list[review.EntryRow]) -> list[ReviewEntryOut]:
    return [out(ReviewEntryOut, row) for row in rows]


@ROUTES.get("/api/v1/review", "Open entries of the review list, newest first", allowed=SOCIAL)
async def review_list(call: Call, query: ReviewQuery) -> ReviewList:
    """The open entries of the caller's districts: who, which change, in words and numbers."""
    user = call.user
    districts = None if user.role is Role.ADMIN else list(user.districts)
    async with call.pool.connection() as conn, conn.transaction():
        rows = await review.open_entries(conn, districts, query.limit)
        await audit.record(
            conn,
            user.username,
            "review.list",
            "review",
            {
                "entry_ids": [str(r.entry_id) for r in rows],
                "home_ids": sorted({r.home_id for r in rows}),
            },
        )
    return ReviewList(items=_items(rows))


@ROUTES.get(
    "/api/v1/homes/{home_id}/review",
    "A home's review entries, open and seen, newest first",
    errors=[404],
    allowed=SOCIAL,
)
async def home_review(call: Call, path: HomePath) -> ReviewList:
    """Every entry of the home, with what was done about the seen ones."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        visible(user, await registry.home_district(conn, path.home_id), "home")
        rows = await review.home_entries(conn, path.home_id)
        await audit.record(
            conn,
            user.username,
            "review.home",
            f"home:{path.home_id}",
            {"entry_ids": [str(r.entry_id) for r in rows]},
        )
    return ReviewList(items=_items(rows))


@ROUTES.post(
    "/api/v1/review/{entry_id}/seen",
    "Mark an entry as seen, with what was done and a note",
    errors=[404, 409],
    allowed=SOCIAL,
)
async def mark_seen(call: Call, path: ReviewEntryPath, body: SeenRequest) -> ReviewEntryOut:
    """The entry leaves the open list; it comes back only if the change grows (docs)."""
    user = call.user
    now = datetime.now(UTC)
    async with call.pool.connection() as conn, conn.transaction():
        row = visible_row(user, await review.entry(conn, path.entry_id), "review entry")
        done = await review.mark_seen(
            conn,
            path.entry_id,
            outcome=body.outcome.value,
            note=body.note,
            by=user.username,
            at=now,
        )
        if not done:
            # Seen meanwhile by someone else: say by whom.
            row = visible_row(user, await review.entry(conn, path.entry_id), "review entry")
            raise ApiError(
                409,
                f"the entry was already seen by {row.seen_by}",
                code="review.already_seen",
                params={"user": row.seen_by or ""},
            )
        await audit.record(
            conn,
            user.username,
            "review.seen",
            f"review:{path.entry_id}",
            {"home_id": row.home_id, "outcome": body.outcome.value},
        )
        row = visible_row(user, await review.entry(conn, path.entry_id), "review entry")
    log.info(
        "review_seen",
        entry_id=str(path.entry_id),
        home_id=row.home_id,
        outcome=body.outcome.value,
        actor=user.username,
    )
    return out(ReviewEntryOut, row)


@ROUTES.get(
    "/api/v1/districts/{district}/review-settings",
    "A district's review thresholds",
    errors=[404],
    allowed=SOCIAL,
)
async def get_review_settings(call: Call, path: DistrictPath) -> ReviewSettingsOut:
    """The thresholds the nightly review applies to the district's homes."""
    user = call.user
    visible(user, path.district, "district")
    async with call.pool.connection() as conn, conn.transaction():
        row = await review.district_settings(conn, path.district)
        await audit.record(conn, user.username, "review_settings.read", f"district:{path.district}")
    return out(ReviewSettingsOut, row)


@ROUTES.put(
    "/api/v1/districts/{district}/review-settings",
    "Replace a district's review thresholds (supervisor, admin)",
    errors=[404],
    allowed=SETTERS,
)
async def put_review_settings(
    call: Call, path: DistrictPath, body: ReviewSettings
) -> ReviewSettingsOut:
    """The district's thresholds, replaced whole; the next nightly review applies them."""
    user = call.user
    visible(user, path.district, "district")
    async with call.pool.connection() as conn, conn.transaction():
        row = await review.save_settings(
            conn, path.district, body, user.username, datetime.now(UTC)
        )
        await audit.record(
            conn,
            user.username,
            "review_settings.replace",
            f"district:{path.district}",
            body.model_dump(mode="json"),
        )
    return out(ReviewSettingsOut, row)
