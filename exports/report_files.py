"""Periodic reports as files: one XLSX sheet per table (header in bold, title lines above), or one CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from exports.excel_safe import guard

Cell = str | int | float | None


@dataclass
class Sheet:
    """One table of a report."""

    title: str  # also the XLSX sheet name (cut to Excel's 31 characters)
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class Report:
    """A report: a title, lines saying what it covers and how it was counted, and its tables."""

    title: str
    lines: list[str]
    sheets: list[Sheet]


def _cell(value: Cell) -> Cell:
    return guard(value) if isinstance(value, str) else value  # names typed in the field never run as formulas


def report_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook, one sheet per table."""
    from openpyxl import Workbook  # here: openpyxl (and numpy, which it loads) cost every command a second
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in report.sheets:
        ws = workbook.create_sheet(sheet.title[:31])
        ws.append([report.title])
        ws["A1"].font = Font(bold=True, size=13)
        for line in report.lines:
            ws.append([line])
        ws.append([])
        ws.append(sheet.header)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def report_csv(report: Report) -> bytes:
    """The report as one CSV (UTF-8 with BOM for Excel): the title lines, then each table after a blank line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([report.title])
    for line in report.lines:
        writer.writerow([line])
    for sheet in report.sheets:
        writer.writerow([])
        writer.writerow([sheet.title])
        writer.writerow(sheet.header)
        writer.writerows([[_cell(value) for value in row] for row in sheet.rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
