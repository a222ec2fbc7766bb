"""XLSForm workbooks built in memory with openpyxl: the form visible as rows, nothing binary committed."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

SETTINGS = [["form_id", "version", "form_title"], ["hostile_upload", "1", "Biểu mẫu tải lên"]]
SURVEY = [["type", "name", "label"], ["text", "q", "Câu hỏi"]]


def xlsx(sheets: dict[str, list[list[str]]], *, extra: dict[str, bytes] | None = None) -> bytes:
    """A workbook with these sheets (rows of cells), plus raw zip entries when given."""
    workbook = Workbook(write_only=True)  # streams rows: the 20,000-row cases take a second, not ten
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    if not extra:
        return out.getvalue()
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry))
        for name, data in extra.items():
            target.writestr(name, data)
    return rebuilt.getvalue()


def form(survey: list[list[str]] = SURVEY, settings: list[list[str]] = SETTINGS, **sheets: list[list[str]]) -> bytes:
    """An XLSForm workbook."""
    return xlsx({"survey": survey, **sheets, "settings": settings})
