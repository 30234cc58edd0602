"""A district's figures for a month, and its exports: JSON, a CSV file per table, a PDF report.

For social workers, supervisors and admins of the district (another district is a 404, as
for a person's data; operators are refused). Months are the centre's calendar months
(``centre_time_zone``). Every read is written to the audit log, with the form it took.
"""

# No `from __future__ import annotations`: the route table reads the handlers' types.
import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from hub.api.access import visible
from hub.api.params import DistrictMonthPath, DistrictTablePath
from hub.api.routing import Allowed, Call, RouteTable
from hub.api.stats_routes import CENTRE_ZONE
from hub.auth.users import Role
from hub.reports.figures import DistrictMonth
from hub.reports.monthly import Month, district_month
from hub.reports.pdf import report_pdf
from hub.reports.tables import csv_text
from hub.storage import audit, district_figures

ROUTES = RouteTable()
SOCIAL = Allowed(
    frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMIN}), "see the district's figures"
)
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")


async def _figures(call: Call, path: DistrictMonthPath, **read: Any) -> DistrictMonth:  # noqa: ANN401
    """The month's figures, if the caller may see the district; the read is audited."""
    user = call.user
    month = Month.parse(path.month)
    async with call.pool.connection() as conn:
        # A district the caller is assigned to exists for them even before its first home; an
        # admin (who serves every district) is told about districts that have had homes.
        known = path.district in user.districts or await district_figures.district_known(
            conn, path.district
        )
        visible(user, path.district if known else None, "district")
        figures = await district_month(
            conn, path.district, month, call.request.app[CENTRE_ZONE], datetime.now(UTC)
        )
        await audit.record(
            conn,
            user.username,
            "district.month.read",
            f"district:{path.district}",
            {"month": str(month), **read},
        )
    return figures


def _attachment(figures: DistrictMonth, suffix: str) -> dict[str, str]:
    """A download's file name, in letters a header and every file system take."""
    district = _UNSAFE_IN_NAME.sub("_", figures.district)
    name = f"telecare-{district}-{figures.month}-{suffix}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@ROUTES.get(
    "/api/v1/districts/{district}/months/{month}",
    "A district's figures for a calendar month (social worker, supervisor, admin)",
    errors=[404],
    allowed=SOCIAL,
)
async def district_month_figures(call: Call, path: DistrictMonthPath) -> DistrictMonth:
    """People served, alarms, answer times, outcomes, calls, check-ins, faults, review list."""
    return await _figures(call, path, format="json")


@ROUTES.get(
    "/api/v1/districts/{district}/months/{month}/csv/{table}.csv",
    "One table of a district's month as CSV",
    errors=[404],
    allowed=SOCIAL,
    responses={200: "the table as text/csv (UTF-8, a header line; columns in docs/social-work.md)"},
)
async def district_month_csv(call: Call, path: DistrictTablePath) -> web.Response:
    """One table of the month's figures, ``district`` and ``month`` first on every line."""
    figures = await _figures(call, path, format="csv", table=path.table.value)
    return web.Response(
        text=csv_text(figures, path.table),
        content_type="text/csv",
        charset="utf-8",
        headers=_attachment(figures, f"{path.table.value}.csv"),
    )


@ROUTES.get(
    "/api/v1/districts/{district}/months/{month}/report.pdf",
    "A district's month as a printable report",
    errors=[404],
    allowed=SOCIAL,
    responses={200: "the report as application/pdf: every table, and charts"},
)
async def district_month_pdf(call: Call, path: DistrictMonthPath) -> web.Response:
    """The month's report: the district, the month, every table, and charts."""
    figures = await _figures(call, path, format="pdf")
    # Laying out pages takes a fraction of a second of CPU: off the event loop.
    pdf = await asyncio.to_thread(report_pdf, figures)
    return web.Response(
        body=pdf, content_type="application/pdf", headers=_attachment(figures, "report.pdf")
    )
