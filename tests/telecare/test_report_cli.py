"""`telecare report monthly` against a real database: the PDF, the CSV files, the JSON."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from months import DISTRICT, EXPECTED, LABEL, MONTH, fill_march
from pypdf import PdfReader

from hub.reports.figures import Table
from hub.reports.tables import columns

ROOT = Path(__file__).resolve().parents[2]


def _report(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``telecare report monthly`` from this checkout on the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")}
    env["TELECARE_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "telecare.cli", "report", "monthly", *args],
        cwd=ROOT,  # -m puts the checkout first on the path: its code, not an installed copy
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _fill(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await fill_march(conn)


def test_the_command_writes_the_pdf_and_a_csv_file_per_table(
    database_url: str, tmp_path: Path
) -> None:
    """The files of March: the PDF names the district and month, the CSVs add up."""
    asyncio.run(_fill(database_url))
    pdf, folder = tmp_path / "march.pdf", tmp_path / "csv"
    out = _report(
        database_url,
        "--district",
        DISTRICT,
        "--month",
        MONTH,
        "--pdf",
        str(pdf),
        "--csv",
        str(folder),
    )
    assert out.returncode == 0, out.stderr
    assert f"wrote {pdf}" in out.stdout
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert f"Monthly report: {DISTRICT}" in text
    assert LABEL in text
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t.value}.csv" for t in Table)
    with (folder / "summary.csv").open(newline="", encoding="utf-8") as summary_file:
        (summary,) = list(csv.DictReader(summary_file))
    assert list(summary) == columns(Table.SUMMARY)
    assert (summary["district"], summary["month"]) == (DISTRICT, MONTH)
    assert int(summary["alarms"]) == EXPECTED.alarms
    with (folder / "people.csv").open(newline="", encoding="utf-8") as people_file:
        (people,) = list(csv.DictReader(people_file))
    assert {k: int(v) for k, v in people.items() if k not in {"district", "month"}} == (
        EXPECTED.people
    )
    audited = asyncio.run(_audited(database_url))
    assert audited == [("cli", f"district:{DISTRICT}", MONTH)]


async def _audited(database_url: str) -> list[tuple[str, str, str]]:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT actor, subject, detail ->> 'month' FROM audit_log"
            " WHERE action = 'district.month.read'"
        )
        return [(a, s, m) for a, s, m in await cursor.fetchall()]


def test_without_files_the_figures_go_to_standard_output(database_url: str) -> None:
    """Neither --pdf nor --csv: the same figures as the API's JSON."""
    asyncio.run(_fill(database_url))
    out = _report(database_url, "--district", DISTRICT, "--month", MONTH)
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    assert figures["summary"]["alarms"] == EXPECTED.alarms
    assert figures["people"] == EXPECTED.people


def test_an_unknown_district_or_a_bad_month_is_a_usage_error(database_url: str) -> None:
    """Exit 2 with the reason, and no files."""
    asyncio.run(_fill(database_url))
    unknown = _report(database_url, "--district", "ats-nowhere", "--month", MONTH)
    assert unknown.returncode == 2
    assert "no home has been in 'ats-nowhere'" in unknown.stderr
    bad = _report(database_url, "--district", DISTRICT, "--month", "2025-3")
    assert bad.returncode == 2
    assert "YYYY-MM" in bad.stderr
