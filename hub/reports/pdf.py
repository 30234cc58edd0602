"""A month's figures as a printable report: reportlab's page layout, tables and charts.

A4 pages in the PDF standard fonts (Helvetica, built into every PDF reader: nothing is
embedded or fetched), the district and month on every page. The tables carry every figure of
the CSV files; two charts show alarms by kind and answer times against the TSA targets. The
words are English; the values the hub stores (kinds, outcomes) are shown as words by
replacing their underscores, so a new kind appears without a change here.
"""

from __future__ import annotations

import io
import math
import threading
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from hub.reports.monthly import MONTH_NAMES, Month

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Flowable

    from hub.reports.figures import AlarmRow, AnswerTimesRow, DistrictMonth

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
"""The width of the text."""
RULE = colors.HexColor("#9aa5b1")
SHADE = colors.HexColor("#eef1f4")
SERIES = (colors.HexColor("#2f6f9f"), colors.HexColor("#9cc3e0"))
TARGET = colors.HexColor("#b3261e")
NONE = "n/a"
"""What a figure that does not exist (a share of nothing) reads."""
BAR_PITCH = 16
"""Points per kind in the alarms chart."""

_ONE_AT_A_TIME = threading.Lock()
"""ReportLab keeps module-level state (fonts, caches) and does not promise thread safety: the
hub lays out one report at a time, off its event loop."""

_STYLES = getSampleStyleSheet()
TITLE = _STYLES["Title"]
HEADING = _STYLES["Heading2"]
BODY = _STYLES["BodyText"]

Cell = str | int


def report_pdf(figures: DistrictMonth) -> bytes:
    """The month's report as PDF bytes."""
    month = Month.parse(figures.month)
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Monthly report: {figures.district}, {month.label}",
        author="Telecare",
        subject="District figures",
    )
    footer = f"Telecare · {figures.district} · {month.label}"

    def on_page(canvas: Canvas, doc: Any) -> None:  # noqa: ANN401 - reportlab's document
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(RULE)
        canvas.drawString(MARGIN, 10 * mm, footer)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    with _ONE_AT_A_TIME:
        document.build(_story(figures, month), onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def _story(figures: DistrictMonth, month: Month) -> list[Flowable]:
    zone = figures.start.tzinfo
    last_day = month.next_first_day - timedelta(days=1)
    period = (
        f"{_day(month.first_day)} to {_day(last_day)}, days in {escape(figures.time_zone)}"
        f" time. Figures read on {_day(figures.computed_at.astimezone(zone).date())} at"
        f" {figures.computed_at.astimezone(zone):%H:%M}"
    )
    if figures.computed_at < figures.end:
        period += " (the month so far)"
    story: list[Flowable] = [
        Paragraph(f"Monthly report: {escape(figures.district)}", TITLE),
        Paragraph(f"<b>{month.label}</b>. {period}.", BODY),
        Spacer(0, 4 * mm),
    ]
    for section in (
        _summary,
        _people,
        _alarms,
        _answer_times,
        _outcomes,
        _calls,
        _check_ins_and_faults,
        _reviews,
    ):
        story += section(figures)
    return story


def _summary(figures: DistrictMonth) -> list[Flowable]:
    s = figures.summary
    answered = figures.answer_times[0]
    rows: list[list[Cell]] = [
        ["Figure", "Month"],
        ["People served", s.people_served],
        ["Alarms raised", s.alarms],
        [
            "Answered within 60 s",
            f"{_percent(s.share_60s)} (target {_percent(answered.target_60s)})",
        ],
        [
            "Answered within 180 s",
            f"{_percent(s.share_180s)} (target {_percent(answered.target_180s)})",
        ],
        ["False alarms", s.false_alarms],
        ["Missed check-ins", s.missed_check_ins],
        ["Device faults", s.device_faults],
        ["Well-being calls planned", s.calls_planned],
        ["Well-being calls done", s.calls_done],
        ["Review list entries", s.review_entries],
    ]
    return _section("Summary", _table(rows, [0.6, 0.4]))


def _people(figures: DistrictMonth) -> list[Flowable]:
    p = figures.people
    rows: list[list[Cell]] = [
        ["At the start", "Joined", "Left", "At the end", "Served", "Homes", "Homes joined"],
        [p.at_start, p.joined, p.left, p.at_end, p.served, p.homes, p.homes_joined],
    ]
    note = Paragraph(
        "Residents on the register. Served: on the register at any time in the month.", BODY
    )
    return _section("People served", _table(rows), note)


def _alarms(figures: DistrictMonth) -> list[Flowable]:
    rows: list[list[Cell]] = [["Kind", "Priority", "Alarms", "Escalated"]]
    rows += [[_words(r.kind), r.priority, r.alarms, r.escalated] for r in figures.alarms]
    rows.append(
        [
            "Total",
            "",
            sum(r.alarms for r in figures.alarms),
            sum(r.escalated for r in figures.alarms),
        ]
    )
    if not figures.alarms:
        return _section("Alarms by kind and priority", Paragraph("No alarms this month.", BODY))
    note = Paragraph(
        "Priority as raised, 1 most urgent. Escalated: waited unclaimed long enough to be made"
        " more urgent.",
        BODY,
    )
    return _section(
        "Alarms by kind and priority",
        _table(rows, [0.55, 0.15, 0.15, 0.15], total=True),
        note,
        _kinds_chart(figures.alarms),
    )


def _answer_times(figures: DistrictMonth) -> list[Flowable]:
    rows: list[list[Cell]] = [
        [
            "Priority",
            "Judged 60 s",
            "Within 60 s",
            "Share",
            "Judged 180 s",
            "Within 180 s",
            "Share",
            "Median",
            "90th pct",
        ]
    ]
    rows += [
        [
            _priority(r),
            r.judged_60s,
            r.within_60s,
            _percent(r.share_60s),
            r.judged_180s,
            r.within_180s,
            _percent(r.share_180s),
            _seconds(r.median_s),
            _seconds(r.p90_s),
        ]
        for r in figures.answer_times
    ]
    first = figures.answer_times[0]
    note = Paragraph(
        f"TSA targets: {_percent(first.target_60s)} of alarm calls answered within 60 s,"
        f" {_percent(first.target_180s)} within 180 s; answered is an operator's first claim."
        f" This month: 60 s target {_met(first.met_60s)}, 180 s target {_met(first.met_180s)}."
        " Alarms closed before anyone claimed them are left out; one still waiting counts"
        " against a target once its time has passed.",
        BODY,
    )
    shares = [0.09, 0.12, 0.11, 0.1, 0.13, 0.12, 0.1, 0.11, 0.12]
    flowables: list[Flowable] = [_table(rows, shares), note]
    if any(r.judged_60s or r.judged_180s for r in figures.answer_times):
        flowables.append(_answer_chart(figures.answer_times))
    return _section("Answer times against the TSA targets", *flowables)


def _outcomes(figures: DistrictMonth) -> list[Flowable]:
    rows: list[list[Cell]] = [["Outcome", "Alarms"]]
    rows += [[_words(r.outcome), r.alarms] for r in figures.outcomes]
    rows.append(["Total", sum(r.alarms for r in figures.outcomes)])
    return _section("Outcomes", _table(rows, [0.6, 0.4], total=True))


def _calls(figures: DistrictMonth) -> list[Flowable]:
    c = figures.wellbeing_calls
    rows: list[list[Cell]] = [
        ["Planned", "Done", "Unanswered", "Skipped", "Pending", "Attempts", "Done share"],
        [c.planned, c.done, c.unanswered, c.skipped, c.pending, c.attempts, _percent(c.done_share)],
    ]
    return _section("Well-being calls", _table(rows))


def _check_ins_and_faults(figures: DistrictMonth) -> list[Flowable]:
    c = figures.check_ins
    missed = Paragraph(
        f"Missed check-ins: <b>{c.missed_check_ins}</b> (homes that missed one: {c.homes}).",
        BODY,
    )
    rows: list[list[Cell]] = [["Device fault", "Alarms", "Homes"]]
    rows += [[_words(r.kind), r.alarms, r.homes] for r in figures.device_faults]
    rows.append(["Total", sum(r.alarms for r in figures.device_faults), ""])
    return _section(
        "Missed check-ins and device faults", missed, _table(rows, [0.6, 0.2, 0.2], total=True)
    )


def _reviews(figures: DistrictMonth) -> list[Flowable]:
    if not figures.review_entries:
        body: Flowable = Paragraph("No review list entries were opened this month.", BODY)
        return _section("Review list", body)
    rows: list[list[Cell]] = [["Indicator", "Outcome", "Entries"]]
    rows += [[_words(r.indicator), _words(r.outcome), r.entries] for r in figures.review_entries]
    rows.append(["Total", "", sum(r.entries for r in figures.review_entries)])
    note = Paragraph("Entries first found in the month, by what the social worker decided.", BODY)
    return _section("Review list", _table(rows, [0.45, 0.35, 0.2], total=True), note)


def _section(title: str, *flowables: Flowable) -> list[Flowable]:
    return [KeepTogether([Paragraph(title, HEADING), *flowables]), Spacer(0, 3 * mm)]


def _table(
    rows: list[list[Cell]], shares: Sequence[float] = (), *, total: bool = False
) -> Flowable:
    columns = len(rows[0])
    widths = [WIDTH * share for share in shares or [1 / columns] * columns]
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
    ]
    if total:
        style += [
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5),
            ("LINEABOVE", (0, -1), (-1, -1), 0.6, RULE),
        ]
    table = PdfTable([[str(cell) for cell in row] for row in rows], colWidths=widths)
    table.setStyle(TableStyle(style))
    return table


def _kinds_chart(alarms: Sequence[AlarmRow]) -> Drawing:
    """Alarms by kind (all priorities together), the most frequent at the top."""
    totals: Counter[str] = Counter()
    for row in alarms:
        totals[row.kind] += row.alarms
    ordered = sorted(totals, key=lambda kind: (totals[kind], kind))  # the chart draws upwards
    height = BAR_PITCH * len(ordered)
    drawing = Drawing(WIDTH, height + 50)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 120, 30, int(WIDTH) - 150, height
    chart.data = [[totals[kind] for kind in ordered]]
    chart.categoryAxis.categoryNames = [_words(kind) for kind in ordered]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = max(1, math.ceil(max(totals.values()) / 5))  # whole alarms
    chart.valueAxis.labels.fontSize = 8
    chart.bars[0].fillColor = SERIES[0]
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 8
    drawing.add(chart)
    drawing.add(String(0, height + 38, "Alarms by kind", fontName="Helvetica-Bold", fontSize=9))
    drawing.add(String(chart.x + chart.width / 2, 2, "alarms", fontSize=8, textAnchor="middle"))
    return drawing


def _answer_chart(rows: Sequence[AnswerTimesRow]) -> Drawing:
    """The share answered within 60 s and 180 s, all alarms and by priority, with the targets."""
    judged = [r for r in rows if r.judged_60s or r.judged_180s]
    drawing = Drawing(WIDTH, 200)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, int(WIDTH) - 180, 140
    chart.data = [
        [100 * (r.share_60s or 0) for r in judged],
        [100 * (r.share_180s or 0) for r in judged],
    ]
    chart.categoryAxis.categoryNames = [_priority(r) for r in judged]
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 100
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.labelTextFormat = "%d%%"
    for index, colour in enumerate(SERIES):
        chart.bars[index].fillColor = colour
        chart.bars[index].strokeColor = None
    chart.barLabelFormat = "%.0f%%"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    first = rows[0]
    for target, dash in ((first.target_60s, (4, 2)), (first.target_180s, (1, 2))):
        y = chart.y + chart.height * target
        drawing.add(
            Line(chart.x, y, chart.x + chart.width, y, strokeColor=TARGET, strokeDashArray=dash)
        )
    legend = Legend()
    legend.x, legend.y = chart.x + chart.width + 12, chart.y + chart.height
    legend.fontSize = 8
    legend.colorNamePairs = [
        (SERIES[0], "within 60 s"),
        (SERIES[1], "within 180 s"),
        (TARGET, f"targets {_percent(first.target_60s)}, {_percent(first.target_180s)}"),
    ]
    drawing.add(legend)
    drawing.add(
        String(0, 186, "Share of alarms answered in time", fontName="Helvetica-Bold", fontSize=9)
    )
    drawing.add(String(chart.x + chart.width / 2, 8, "priority", fontSize=8, textAnchor="middle"))
    return drawing


def _words(value: str) -> str:
    return value.replace("_", " ")


def _priority(row: AnswerTimesRow) -> str:
    return "all" if row.priority == "all" else f"P{row.priority}"


def _percent(share: float | None) -> str:
    return NONE if share is None else f"{100 * share:.1f}%"


def _seconds(value: float | None) -> str:
    return NONE if value is None else f"{value:.0f} s"


def _met(met: bool | None) -> str:  # noqa: FBT001 - a figure, not a switch
    if met is None:
        return "not judged (no alarms)"
    return "met" if met else "missed"


def _day(day: date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"
