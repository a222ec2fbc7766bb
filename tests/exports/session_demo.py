"""A small session form for the de-identification tests, as a markdown table built through pyxform."""

from __future__ import annotations

from functools import cache

from forms.build import build_xlsform

# A small session form: who asked (birth year, and an age calculated from it), a note shown only when the birth year
# has a value, a guardian's age checked against that age, the team's names, a photo and the village of the session.
FORM = """
| survey |
| | type | name | label | calculation | relevant | constraint | choice_filter | parameters |
| | date | session_date | Ngày | | | | | |
| | dateTime | started_at | Bắt đầu lúc | | | | | |
| | select_one_from_file communes.csv | commune | Xã | | | | | |
| | select_one_from_file villages.csv | village | Thôn | | | | commune=${commune} | |
| | text | village_name | Tên thôn khác | | ${village} = 'khac' | | | |
| | integer | birth_year | Năm sinh người hỏi | | | | | |
| | calculate | age | | 2026 - ${birth_year} | | | | |
| | text | child_note | Ghi chú (người hỏi là trẻ em) | | ${birth_year} != '' | | | |
| | integer | guardian_age | Tuổi người giám hộ | | | . > ${age} | | |
| | integer | participants | Số người dự | | | . >= 0 | | |
| | begin_repeat | team | Tổ | | | | | |
| | text | member_name | Họ tên | | | | | |
| | select_one role | member_role | Vai trò | | | | | |
| | calculate | initials | | substr(${member_name}, 0, 1) | | | | |
| | end_repeat | | | | | | | |
| | image | photo | Ảnh | | | | | max-pixels=640 |
| | calculate | has_photo | | if(${photo} != '', 'co', 'khong') | | | | |
| choices |
| | list_name | name | label |
| | role | tgv | Trợ giúp viên |
| | role | ctv | Cộng tác viên |
| settings |
| | form_id | version | instance_name |
| | session_demo | 1 | concat(${session_date}, ' ', ${village}) |
"""


@cache
def session_demo() -> bytes:
    """The form built once (and checked by ODK Validate)."""
    return build_xlsform(FORM, file_type=".md").xform
