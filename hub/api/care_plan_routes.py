"""Care plans (*piano assistenziale individualizzato*) through the API, and the reviews due.

A home's plan holds the goals, the services agreed and their providers, the social worker who
answers for it and the next review date. Saving never overwrites: it writes the next version,
so the history shows each version with who saved it and when. Social workers, supervisors and
admins read and change the plans of their districts (another district's home is 404);
operators do not see plans at all (403). Every read and every change is audited.
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog

from hub.api.access import ApiError, visible
from hub.api.models import (
    CarePlanIn,
    CarePlanOut,
    CarePlanVersion,
    DuePlanList,
    DuePlanOut,
    FieldProblem,
)
from hub.api.params import DuePlansQuery, HomePath
from hub.api.routing import Allowed, Call, RouteTable
from hub.api.rows import out
from hub.auth import users
from hub.auth.users import Role, User
from hub.storage import audit, care_plans, registry

log = structlog.get_logger(__name__)

ROUTES = RouteTable()
SOCIAL_ROLES = frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMIN})
"""Who reads and writes care plans, and who may answer for one."""
READERS = Allowed(SOCIAL_ROLES, "read care plans")
WRITERS = Allowed(SOCIAL_ROLES, "change care plans")

Conn = psycopg.AsyncConnection[Any]


def _version(row: care_plans.CarePlanRow) -> CarePlanVersion:
    return out(CarePlanVersion, row)


@ROUTES.get(
    "/api/v1/homes/{home_id}/care-plan",
    "A home's care plan: the version in force and every version, newest first",
    errors=[404],
    allowed=READERS,
)
async def get_care_plan(call: Call, path: HomePath) -> CarePlanOut:
    """The plan in force (None before the first) and its whole history, who and when."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        visible(user, await registry.home_district(conn, path.home_id), "home")
        versions = await care_plans.history(conn, path.home_id)
        await audit.record(
            conn,
            user.username,
            "care_plan.read",
            f"home:{path.home_id}",
            {"versions": len(versions)},
        )
    history = [_version(row) for row in versions]
    return CarePlanOut(
        home_id=path.home_id, current=history[0] if history else None, history=history
    )


def _cannot_follow(worker: User | None, district: str) -> str | None:
    """Why ``worker`` cannot answer for a plan in ``district`` (None: they can)."""
    if worker is None:
        return "no active user of this name"
    if worker.role not in SOCIAL_ROLES:
        return f"has the role {worker.role.value}: a social worker, supervisor or admin answers"
    if not worker.serves(district):
        return "does not serve this home's district"
    return None


async def _check_plan(conn: Conn, home_id: str, district: str, body: CarePlanIn) -> None:
    """Refuse what the body's schema cannot say is wrong: a 422 naming each field.

    The responsible must be able to follow the plan (an active social worker, supervisor or
    admin serving the home's district), and the plan's resident must live in this home.
    """
    problems = []
    if body.resident_id is not None:
        residents = {row.resident_id for row in await registry.residents(conn, home_id)}
        if body.resident_id not in residents:
            problems.append(
                FieldProblem(field="resident_id", message="not a resident of this home")
            )
    problem = _cannot_follow(await users.active_user(conn, body.responsible), district)
    if problem is not None:
        problems.append(FieldProblem(field="responsible", message=problem))
    if problems:
        raise ApiError(422, "the request body is not valid", problems)


@ROUTES.put(
    "/api/v1/homes/{home_id}/care-plan",
    "Save a home's care plan as its next version (social worker, supervisor, admin)",
    errors=[404, 409],
    allowed=WRITERS,
)
async def save_care_plan(call: Call, path: HomePath, body: CarePlanIn) -> CarePlanVersion:
    """The plan, whole, kept as a new version; the versions before it stay as they were."""
    user = call.user
    async with call.pool.connection() as conn, conn.transaction():
        district = visible(user, await registry.home_district(conn, path.home_id), "home")
        await _check_plan(conn, path.home_id, district, body)
        try:
            saved = await care_plans.save(
                conn,
                path.home_id,
                based_on=body.based_on_version,
                resident_id=body.resident_id,
                goals=body.goals,
                services=[service.model_dump() for service in body.services],
                responsible=body.responsible,
                next_review=body.next_review,
                notes=body.notes,
                saved_by=user.username,
                saved_at=datetime.now(UTC),
            )
        except care_plans.CarePlanChangedError as err:
            raise ApiError(
                409,
                f"the care plan was changed meanwhile: version {err.current} is in force",
                code="care_plan.changed",
                params={"version": str(err.current)},
            ) from err
        await audit.record(
            conn,
            user.username,
            "care_plan.save",
            f"home:{path.home_id}",
            {"version": saved.version, "responsible": saved.responsible},
        )
    log.info("care_plan_saved", home_id=path.home_id, version=saved.version, actor=user.username)
    return _version(saved)


@ROUTES.get(
    "/api/v1/care-plans/due",
    "Care plans of the caller's districts due for review, the earliest first",
    allowed=READERS,
)
async def due_care_plans(call: Call, query: DuePlansQuery) -> DuePlanList:
    """Plans in force whose review date is at most ``within_days`` after the home's today."""
    user = call.user
    districts = None if user.role is Role.ADMIN else list(user.districts)
    async with call.pool.connection() as conn, conn.transaction():
        found = await care_plans.due(conn, districts, datetime.now(UTC), query.within_days)
        await audit.record(
            conn,
            user.username,
            "care_plans.due",
            "care_plans",
            {"within_days": query.within_days, "home_ids": [row.home_id for row in found]},
        )
    return DuePlanList(items=[out(DuePlanOut, row) for row in found])
