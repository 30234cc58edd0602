"""A district's month read from a real database: the figures, the CSV files, the PDF report."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from months import DISTRICT, EXPECTED, LABEL, MONTH, ROME, fill_march
from pypdf import PdfReader

from hub.reports.figures import DistrictMonth, Table
from hub.reports.monthly import Month, MonthError, district_month
from hub.reports.pdf import report_pdf
from hub.reports.tables import columns, csv_text, write_all
from hub.storage import homes, migrate

READ_AT = datetime(2025, 4, 10, 12, 0, tzinfo=UTC)


async def _march(database_url: str) -> DistrictMonth:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await fill_march(conn)
        return await district_month(conn, DISTRICT, Month.parse(MONTH), ROME, READ_AT)


async def test_a_hand_made_month_adds_up(database_url: str) -> None:
    """Alarms, claims, calls, residents and review entries in March, and some around it."""
    figures = await _march(database_url)
    assert figures.start == datetime(2025, 3, 1, tzinfo=ROME)
    assert figures.start.utcoffset() != figures.end.utcoffset()  # summer time began on the 30th
    assert figures.end == datetime(2025, 4, 1, tzinfo=ROME)
    assert figures.people.model_dump() == EXPECTED.people
    assert [(r.kind, r.priority, r.alarms, r.escalated) for r in figures.alarms] == (
        EXPECTED.by_kind
    )
    overall, *by_priority = figures.answer_times
    assert overall.priority == "all"
    assert (overall.judged_60s, overall.within_60s) == (EXPECTED.judged, EXPECTED.within_60s)
    assert (overall.judged_180s, overall.within_180s) == (EXPECTED.judged, EXPECTED.within_180s)
    assert overall.share_60s == pytest.approx(EXPECTED.within_60s / EXPECTED.judged)
    assert (overall.target_60s, overall.target_180s) == (0.975, 0.99)
    assert (overall.met_60s, overall.met_180s) == (False, False)
    assert overall.median_s == pytest.approx(EXPECTED.median_s)
    assert overall.p90_s == pytest.approx(EXPECTED.p90_s)
    assert {r.priority: (r.judged_60s, r.within_60s, r.within_180s) for r in by_priority} == (
        EXPECTED.by_priority
    )
    outcomes = {r.outcome: r.alarms for r in figures.outcomes}
    assert {o: n for o, n in outcomes.items() if n} == EXPECTED.outcomes
    assert {"responder_sent", "test", "cancelled_by_operator"} <= set(outcomes)  # 0s kept
    calls = figures.wellbeing_calls
    assert calls.model_dump(exclude={"done_share"}) == EXPECTED.calls
    assert calls.done_share == pytest.approx(5 / 8)
    assert (figures.check_ins.missed_check_ins, figures.check_ins.homes) == (
        EXPECTED.missed_check_ins,
        EXPECTED.missed_homes,
    )
    faults = {r.kind: (r.alarms, r.homes) for r in figures.device_faults}
    assert {k: v for k, v in faults.items() if v != (0, 0)} == EXPECTED.faults
    assert set(faults) == {"battery_low", "tamper", "mains_power", "unit_offline", "device_silent"}
    assert [(r.indicator, r.outcome, r.entries) for r in figures.review_entries] == (
        EXPECTED.reviews
    )
    assert figures.summary.model_dump() == {
        "people_served": 4,
        "alarms": EXPECTED.alarms,
        "share_60s": overall.share_60s,
        "share_180s": overall.share_180s,
        "false_alarms": 1,
        "missed_check_ins": 2,
        "device_faults": 2,
        "calls_planned": 8,
        "calls_done": 5,
        "review_entries": 3,
    }


async def test_a_month_without_anything_is_zeros_and_no_shares(database_url: str) -> None:
    """A district with a home and nothing else: counts of 0, shares and times null."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate.migrate(conn)
        await homes.register(conn, ["casa-vuota"], "ats-quiet")
        figures = await district_month(conn, "ats-quiet", Month(2025, 3), ROME, READ_AT)
    assert figures.alarms == []
    assert [r.priority for r in figures.answer_times] == ["all"]
    assert figures.summary.share_60s is None
    assert figures.answer_times[0].met_60s is None
    assert figures.wellbeing_calls.done_share is None
    assert figures.people.homes == 0  # registered now, after March 2025
    assert b"%PDF" in report_pdf(figures)[:8]


async def test_each_csv_file_holds_its_table_with_the_documented_columns(
    database_url: str, tmp_path: Path
) -> None:
    """A file per table, header = district, month, the row's fields; the rows = the figures."""
    figures = await _march(database_url)
    written = write_all(figures, tmp_path / "march")
    assert sorted(p.name for p in written) == sorted(f"{t.value}.csv" for t in Table)
    for table in Table:
        text = (tmp_path / "march" / f"{table.value}.csv").read_bytes().decode("utf-8")
        assert text == csv_text(figures, table)
        header, *lines = list(csv.reader(io.StringIO(text)))
        assert header == columns(table)
        assert len(lines) == len(figures.rows(table))
        assert all(line[:2] == [DISTRICT, MONTH] for line in lines)
    alarms = list(csv.DictReader(io.StringIO(csv_text(figures, Table.ALARMS))))
    assert sum(int(row["alarms"]) for row in alarms) == figures.summary.alarms
    answered = next(csv.DictReader(io.StringIO(csv_text(figures, Table.ANSWER_TIMES))))
    assert answered["priority"] == "all"
    assert float(answered["share_60s"]) == figures.summary.share_60s
    assert answered["met_60s"] == "false"
    calls = next(csv.DictReader(io.StringIO(csv_text(figures, Table.WELLBEING_CALLS))))
    assert (calls["planned"], calls["done"]) == ("8", "5")


async def test_the_pdf_names_the_district_and_month_and_holds_the_totals(
    database_url: str,
) -> None:
    """Read back with a PDF text extractor: the title, the month, the summary's figures."""
    figures = await _march(database_url)
    reader = PdfReader(io.BytesIO(report_pdf(figures)))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert f"Monthly report: {DISTRICT}" in text
    assert LABEL in text
    assert reader.metadata is not None
    assert reader.metadata.title == f"Monthly report: {DISTRICT}, {LABEL}"
    for figure, value in [
        ("People served", "4"),
        ("Alarms raised", "8"),
        ("Answered within 60 s", "57.1% (target 97.5%)"),
        ("Answered within 180 s", "71.4% (target 99.0%)"),
        ("False alarms", "1"),
        ("Missed check-ins", "2"),
        ("Device faults", "2"),
        ("Well-being calls planned", "8"),
        ("Well-being calls done", "5"),
        ("Review list entries", "3"),
    ]:
        assert re.search(rf"{re.escape(figure)} {re.escape(value)}(?!\S)", text), figure
    for heading in ("Alarms by kind", "Share of alarms answered in time", "Outcomes"):
        assert heading in text
    assert "panic button" in text  # kinds in words, in the table and the chart


@pytest.mark.parametrize("text", ["2025-3", "2025-13", "1969-12", "2200-01", "25-03", "2025-03 "])
def test_a_month_is_yyyy_mm(text: str) -> None:
    """Anything but YYYY-MM from 1970 to 2199 is refused with the reason."""
    with pytest.raises(MonthError, match="YYYY-MM"):
        Month.parse(text)


def test_december_ends_at_the_next_new_year() -> None:
    """The year turns with the month."""
    month = Month.parse("2024-12")
    assert (month.label, month.next_first_day.isoformat()) == ("December 2024", "2025-01-01")


def test_the_documented_columns_are_the_files_columns() -> None:
    """docs/social-work.md lists every file with its header line, as written."""
    docs = (Path(__file__).resolve().parents[3] / "docs" / "social-work.md").read_text()
    for table in Table:
        assert f"{table.value}.csv: {','.join(columns(table))}\n" in docs, table
