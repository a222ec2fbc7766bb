"""The codebook read from a built XForm: questions in form order with types, labels, rules and choice codes."""

from __future__ import annotations

import csv
import io

from forms.build import build_xlsform
from forms.codebook import build_codebook, to_csv, to_markdown

FORM = """
| survey |
| | type | name | label::Tiếng Việt (vi) | label::English (en) | relevant | constraint | required | calculation |
| | note | intro | Giới thiệu | Introduction | | | | |
| | select_one yes_no | evening | Buổi tối? | Evening? | | | yes | |
| | begin_group | attendance | Người dự | Attendance | | | | |
| | integer | total | Tổng số | Total | | . >= 0 | yes | |
| | integer | women | Nữ | Women | | . <= ${total} | | |
| | end_group | | | | | | | |
| | begin_repeat | team | Tổ | Team | | | | |
| | select_one role | role | Vai trò | Role | | | | |
| | text | card | Số thẻ | Card number | ${role} = 'ctv' | | | |
| | end_repeat | | | | | | | |
| | select_one_from_file communes.csv | commune | Xã | Commune | | | | |
| | image | sheet | Ảnh danh sách | Attendance sheet | | | | |
| | calculate | men | | | | | | ${total} - ${women} |
| choices |
| | list_name | name | label::Tiếng Việt (vi) | label::English (en) |
| | yes_no | co | Có | Yes |
| | yes_no | khong | Không | No |
| | role | ctv | Cộng tác viên | Collaborator |
| | role | khac | Khác | Other |
| settings |
| | form_id | version | form_title | default_language |
| | book | 7 | Sổ mã | Tiếng Việt (vi) |
"""


def test_codebook_lists_every_question_with_its_rules_and_choices(java: None) -> None:
    book = build_codebook(build_xlsform(FORM, file_type=".md").xform)
    assert (book.form_id, book.version, book.title) == ("book", "7", "Sổ mã")
    assert book.languages == ["Tiếng Việt (vi)", "English (en)"]
    rows = [(q.path, q.type, q.labels.get("English (en)", ""), q.choice_list) for q in book.questions]
    assert rows == [
        ("/data/intro", "note", "Introduction", None),
        ("/data/evening", "select_one", "Evening?", "yes_no"),
        ("/data/attendance", "group", "Attendance", None),
        ("/data/attendance/total", "integer", "Total", None),
        ("/data/attendance/women", "integer", "Women", None),
        ("/data/team", "repeat", "Team", None),
        ("/data/team/role", "select_one", "Role", "role"),
        ("/data/team/card", "text", "Card number", None),
        ("/data/commune", "select_one", "Commune", "communes"),
        ("/data/sheet", "image", "Attendance sheet", None),
        ("/data/men", "calculate", "", None),
    ]
    women = next(q for q in book.questions if q.name == "women")
    assert women.constraint == ". <= /data/attendance/total"
    assert next(q for q in book.questions if q.name == "card").relevant == "../role = 'ctv'"  # within a repeat
    assert (
        next(q for q in book.questions if q.name == "men").calculation
        == "/data/attendance/total - /data/attendance/women"
    )
    assert book.choices["role"] == [
        ("ctv", {"Tiếng Việt (vi)": "Cộng tác viên", "English (en)": "Collaborator"}),
        ("khac", {"Tiếng Việt (vi)": "Khác", "English (en)": "Other"}),
    ]
    assert book.files == {"communes": "communes.csv"}


def test_markdown_and_csv_renderings(java: None) -> None:
    book = build_codebook(build_xlsform(FORM, file_type=".md").xform)
    markdown = to_markdown(book)
    assert "| /data/commune | select_one | Xã | Commune | communes (from communes.csv) |" in markdown
    assert "## yes_no\n\n| code | Tiếng Việt (vi) | English (en) |\n| --- | --- | --- |\n| co | Có | Yes |" in markdown
    text = to_csv(book)
    assert text.startswith("\ufeffpath,type,label::Tiếng Việt (vi),label::English (en),choice_list")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert ["role/ctv", "choice", "Cộng tác viên", "Collaborator", "role", "", "", "", ""] in rows
    assert len(rows) == 1 + 11 + 4
