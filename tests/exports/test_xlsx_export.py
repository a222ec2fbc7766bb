"""The XLSX export: a sheet per table, Central's column names, then the question labels, values guarded."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from exports.submission import ExportSubmission
from exports.xlsx_export import write_xlsx
from forms.build import build_xlsform

FORM = """
| survey |
| | type | name | label::Tiếng Việt (vi) | label::English (en) |
| | begin_group | place | Địa điểm | Place |
| | text | village | Thôn | Village |
| | geopoint | point | Vị trí | Location |
| | end_group | | | |
| | begin_repeat | team | Tổ | Team |
| | text | member | Thành viên | Member |
| | end_repeat | | | |
| settings |
| | form_id | version | default_language |
| | book | 3 | Tiếng Việt (vi) |
"""
XML = (
    '<data id="book" version="3"><place><village>=HYPERLINK("http://x")</village><point>22.1 105.8 300 5</point>'
    "</place><team><member>Hoàng Văn Minh</member></team><team><member>Lý Thị Hoa</member></team>"
    "<meta><instanceID>uuid:a</instanceID></meta></data>"
).encode()


def test_sheets_headers_labels_and_guarded_values(java: None) -> None:
    submission = ExportSubmission("uuid:a", datetime(2026, 11, 20, 8, 0, tzinfo=UTC), 1, "Máy 1", 0, 0, None, None,
                                  "collect:X", 0, "3", XML)  # fmt: skip
    out = io.BytesIO()
    assert write_xlsx(out, xform=build_xlsform(FORM, file_type=".md").xform, submissions=[submission]) == 1
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.sheetnames == ["book", "book-team"]
    root = [list(r) for r in workbook["book"].iter_rows(values_only=True)]
    assert root[0][:7] == ["SubmissionDate", "place-village", "place-point-Latitude", "place-point-Longitude",
                           "place-point-Altitude", "place-point-Accuracy", "meta-instanceID"]  # fmt: skip
    assert root[1][:6] == ["Ngày gửi", "Thôn", "Vị trí (vĩ độ)", "Vị trí (kinh độ)", "Vị trí (độ cao)",
                           "Vị trí (độ chính xác)"]  # fmt: skip
    assert root[2][:3] == ["2026-11-20T08:00:00.000Z", '\'=HYPERLINK("http://x")', "22.1"]  # never a formula
    assert root[1][-10:-8] == ["Mã phiếu", "Mã người gửi"]
    team = [list(r) for r in workbook["book-team"].iter_rows(values_only=True)]
    assert team == [
        ["member", "PARENT_KEY", "KEY"],
        ["Thành viên", "Mã dòng cha", "Mã phiếu"],
        ["Hoàng Văn Minh", "uuid:a", "uuid:a/team[1]"],
        ["Lý Thị Hoa", "uuid:a", "uuid:a/team[2]"],
    ]
