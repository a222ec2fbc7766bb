"""Submissions as an XLSX workbook: one sheet per table (Central's columns), the question labels as a second header
row, values guarded against formula injection. Written in openpyxl's streaming mode."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import BinaryIO

from exports.excel_safe import guard
from exports.policy import CENTRAL, ExportPolicy
from exports.submission import ExportSubmission
from exports.submission_rows import submission_rows
from exports.table_schema import GEOPOINT_PARTS, Table, read_schema
from forms.codebook import build_codebook

META_LABELS = {
    "SubmissionDate": "Ngày gửi", "KEY": "Mã phiếu", "PARENT_KEY": "Mã dòng cha", "SubmitterID": "Mã người gửi",
    "SubmitterName": "Người gửi", "AttachmentsPresent": "Số tệp đã nhận", "AttachmentsExpected": "Số tệp cần có",
    "Status": "Trạng thái", "ReviewState": "Tình trạng duyệt", "DeviceID": "Máy gửi", "Edits": "Số lần sửa",
    "FormVersion": "Phiên bản biểu mẫu",
}  # fmt: skip
PART_LABELS = dict(zip(GEOPOINT_PARTS, ("vĩ độ", "kinh độ", "độ cao", "độ chính xác"), strict=True))
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def write_xlsx(
    out: BinaryIO,
    *,
    xform: bytes,
    submissions: Iterable[ExportSubmission],
    language: str = "Tiếng Việt (vi)",
    policy: ExportPolicy = CENTRAL,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the submissions as a workbook into out, as the policy has them; returns how many were written."""
    schema = read_schema(xform, policy=policy)
    labels = {
        q.path: q.labels.get(language) or next(iter(q.labels.values()), "") for q in build_codebook(xform).questions
    }
    from openpyxl import Workbook  # here: openpyxl (and numpy, which it loads) cost every command a second

    workbook = Workbook(write_only=True)
    sheets = []
    for table in schema.tables:
        sheet = workbook.create_sheet(SHEET_NAME.sub("_", table.file_name.removesuffix(".csv"))[:31])
        sheet.append(list(table.header))
        sheet.append(_label_row(table, labels))
        sheets.append(sheet)
    done = 0
    for submission in submissions:
        for index, cells in submission_rows(schema, submission).rows:
            sheets[index].append([guard(cell) for cell in cells])
        done += 1
        if progress is not None and done % 500 == 0:
            progress(done)
    workbook.save(out)
    return done


def _label_row(table: Table, labels: dict[str, str]) -> list[str]:
    row = [META_LABELS.get(name, "") for name in table.header]
    for field in table.fields:
        label = labels.get(field.path, "")
        if field.kind == "geopoint":
            for offset, part in enumerate(GEOPOINT_PARTS):
                row[field.cell + offset] = f"{label} ({PART_LABELS[part]})"
        else:
            row[field.cell] = label
    return row
