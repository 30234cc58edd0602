"""A month's figures as CSV: one file per table, the columns its row model's fields.

RFC 4180 CSV in UTF-8 with a header line. Every file begins with ``district`` and ``month``,
so files of many months and districts can be put together without losing where each row
came from. Empty cells are figures that do not exist (a share of nothing); ``true`` and
``false`` are booleans; numbers are written as in the JSON answer.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from hub.reports.figures import ROW_MODELS, Table

if TYPE_CHECKING:
    from pathlib import Path

    from hub.reports.figures import DistrictMonth

LEADING = ("district", "month")


def columns(table: Table) -> list[str]:
    """The header of ``table``'s file."""
    return [*LEADING, *ROW_MODELS[table].model_fields]


def csv_text(figures: DistrictMonth, table: Table) -> str:
    """``table`` of ``figures`` as one CSV file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns(table))
    for row in figures.rows(table):
        values = row.model_dump(mode="json")
        writer.writerow(
            [figures.district, figures.month, *(_cell(values[name]) for name in values)]
        )
    return out.getvalue()


def file_name(table: Table) -> str:
    """The name of ``table``'s file in an export folder."""
    return f"{table.value}.csv"


def write_all(figures: DistrictMonth, folder: Path) -> list[Path]:
    """Every table of ``figures`` as a file in ``folder`` (made if missing); the files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in Table:
        path = folder / file_name(table)
        path.write_text(csv_text(figures, table), encoding="utf-8", newline="")
        written.append(path)
    return written


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
