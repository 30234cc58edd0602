"""A district's month through a running hub: JSON, CSV files and the PDF agree; who may read."""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from consoles import PASSWORD, Console
from months import DISTRICT, EXPECTED, LABEL, MONTH, OTHER, fill_march
from pypdf import PdfReader
from queries import rows

from hub.auth.users import Role, add_user
from hub.reports.figures import Table
from hub.reports.tables import columns

if TYPE_CHECKING:
    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

BASE = f"/api/v1/districts/{DISTRICT}/months/{MONTH}"


async def _people(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await fill_march(conn)
        await add_user(conn, "sara", PASSWORD, Role.SOCIAL_WORKER, [DISTRICT])
        await add_user(conn, "silvia", PASSWORD, Role.SOCIAL_WORKER, [OTHER])
        await add_user(conn, "nuova", PASSWORD, Role.SOCIAL_WORKER, ["ats-new"])
        await add_user(conn, "carla", PASSWORD, Role.SUPERVISOR, [DISTRICT])
        await add_user(conn, "anna", PASSWORD, Role.OPERATOR, [DISTRICT])
        await add_user(conn, "ada", PASSWORD, Role.ADMIN, [])


async def _raw(console: Console, path: str) -> tuple[int, str, bytes, str]:
    """GET ``path``: status, content type, body and Content-Disposition."""
    async with console.http.get(f"{console.base}{path}") as r:
        return r.status, r.content_type, await r.read(), r.headers.get("Content-Disposition", "")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def test_the_csv_files_and_the_pdf_say_what_the_json_says(
    hub: RunningHub, database_url: str
) -> None:
    """Each CSV file is its JSON table, columns as documented; the PDF holds the totals."""
    await _people(database_url)
    sara = Console(hub.url)
    try:
        assert await sara.login("sara") == 200
        status, figures = await sara.get(BASE)
        assert status == 200
        assert figures["summary"]["alarms"] == EXPECTED.alarms
        assert figures["people"] == EXPECTED.people
        assert (figures["district"], figures["month"]) == (DISTRICT, MONTH)
        assert figures["time_zone"] == "Europe/Rome"
        for table in Table:
            status, kind, body, disposition = await _raw(sara, f"{BASE}/csv/{table.value}.csv")
            assert (status, kind) == (200, "text/csv"), table
            assert disposition == (
                f'attachment; filename="telecare-{DISTRICT}-{MONTH}-{table.value}.csv"'
            )
            header, *lines = list(csv.reader(io.StringIO(body.decode("utf-8"))))
            assert header == columns(table)
            section = figures[table.value]
            expected = section if isinstance(section, list) else [section]
            assert lines == [
                [DISTRICT, MONTH, *(_csv_value(row[name]) for name in header[2:])]
                for row in expected
            ], table
        alarms = list(
            csv.DictReader(io.StringIO((await _raw(sara, f"{BASE}/csv/alarms.csv"))[2].decode()))
        )
        assert sum(int(row["alarms"]) for row in alarms) == figures["summary"]["alarms"]
        status, kind, body, disposition = await _raw(sara, f"{BASE}/report.pdf")
        assert (status, kind) == (200, "application/pdf")
        assert disposition.endswith(f'filename="telecare-{DISTRICT}-{MONTH}-report.pdf"')
        reader = PdfReader(io.BytesIO(body))
        text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
        assert f"Monthly report: {DISTRICT}" in text
        assert LABEL in text
        summary = figures["summary"]
        for figure, value in [
            ("People served", summary["people_served"]),
            ("Alarms raised", summary["alarms"]),
            ("False alarms", summary["false_alarms"]),
            ("Missed check-ins", summary["missed_check_ins"]),
            ("Device faults", summary["device_faults"]),
            ("Well-being calls planned", summary["calls_planned"]),
            ("Well-being calls done", summary["calls_done"]),
            ("Review list entries", summary["review_entries"]),
            ("Answered within 60 s", f"{100 * summary['share_60s']:.1f}%"),
        ]:
            assert re.search(rf"{re.escape(figure)} {re.escape(str(value))}(?!\S)", text), figure
    finally:
        await sara.close()
    audited = await rows(
        database_url,
        "SELECT actor, subject, detail FROM audit_log WHERE action = 'district.month.read'"
        " ORDER BY id",
    )
    assert {(actor, subject) for actor, subject, _ in audited} == {("sara", f"district:{DISTRICT}")}
    formats = [detail["format"] for _, _, detail in audited]
    assert formats == ["json", *["csv"] * len(Table), "csv", "pdf"]
    assert [detail.get("table") for _, _, detail in audited][1 : 1 + len(Table)] == [
        table.value for table in Table
    ]
    assert {detail["month"] for _, _, detail in audited} == {MONTH}


async def test_only_the_districts_social_workers_supervisors_and_admins_read_it(
    hub: RunningHub, database_url: str
) -> None:
    """Another district's figures are a 404 on every route, an operator's a 403."""
    await _people(database_url)
    routes = [BASE, f"{BASE}/csv/summary.csv", f"{BASE}/report.pdf"]
    consoles = {
        name: Console(hub.url) for name in ("sara", "silvia", "nuova", "carla", "anna", "ada")
    }
    try:
        for name, console in consoles.items():
            assert await console.login(name) == 200, name
        for route in routes:
            assert (await _raw(consoles["sara"], route))[0] == 200
            assert (await _raw(consoles["carla"], route))[0] == 200
            assert (await _raw(consoles["ada"], route))[0] == 200
            assert (await _raw(consoles["silvia"], route))[0] == 404
            assert (await _raw(consoles["anna"], route))[0] == 403
            nowhere = route.replace(DISTRICT, "ats-nowhere")
            assert (await _raw(consoles["ada"], nowhere))[0] == 404
            assert (await _raw(consoles["sara"], route.replace(DISTRICT, OTHER)))[0] == 404
        status, body = await consoles["silvia"].get(BASE)
        assert (status, body["error"]) == (404, "no such district")
        status, body = await consoles["anna"].get(BASE)
        assert status == 403
        assert body["error"].endswith("does not see the district's figures")
        # A social worker's own district before its first home: a month of zeros.
        status, body = await consoles["nuova"].get(f"/api/v1/districts/ats-new/months/{MONTH}")
        assert (status, body["summary"]["alarms"], body["people"]["homes"]) == (200, 0, 0)
        for bad in ("2025-3", "2025-13", "1969-12"):
            assert (await consoles["sara"].get(f"/api/v1/districts/{DISTRICT}/months/{bad}"))[
                0
            ] == 422
        assert (await _raw(consoles["sara"], f"{BASE}/csv/nothing.csv"))[0] == 422
    finally:
        for console in consoles.values():
            await console.close()
    refused = await rows(
        database_url,
        "SELECT count(*) FROM audit_log WHERE action = 'district.month.read'"
        " AND actor IN ('silvia', 'anna')",
    )
    assert refused == [(0,)]  # a refused read is not a read
