"""What a built XForm derives from what (read from its binds and controls), and the closure of removed fields."""

from __future__ import annotations

from functools import cache

from forms.build import build_xlsform
from forms.dependencies import FormGraph, read_graph, references

FORM = """
| survey |
| | type | name | label | calculation | relevant | constraint | choice_filter | repeat_count |
| | select_one_from_file communes.csv | commune | Xã | | | | | |
| | select_one_from_file villages.csv | village | Thôn | | | | commune=${commune} | |
| | begin_group | person | Người hỏi | | | | | |
| | integer | birth_year | Năm sinh | | | | | |
| | calculate | age | | 2026 - ${birth_year} | | | | |
| | end_group | | | | | | | |
| | text | child_note | Ghi chú trẻ em | | ${birth_year} != '' | | | |
| | integer | guardian_age | Tuổi người giám hộ | | | . > ${age} | | |
| | begin_group | minor | Trẻ em | | ${age} < 16 | | | |
| | text | school | Trường | | | | | |
| | end_group | | | | | | | |
| | integer | total | Tổng số | | | . >= 0 | | |
| | begin_repeat | team | Tổ | | | | | ${total} |
| | text | member_name | Họ tên | | | | | |
| | calculate | initials | | substr(${member_name}, 0, 1) | | | | |
| | text | note | Ghi chú | | | | | |
| | end_repeat | | | | | | | |
| | text | remark | Nhận xét '/data/total' | | | | | |
| settings |
| | form_id | version |
| | graph | 1 |
"""


@cache
def graph() -> FormGraph:
    return read_graph(build_xlsform(FORM, file_type=".md").xform)


def test_reads_absolute_and_repeat_relative_references_as_pyxform_writes_them(java: None) -> None:
    reads = graph().reads
    assert reads["/data/person/age"] == {"/data/person/birth_year"}  # ${birth_year} → " /data/person/birth_year "
    assert reads["/data/child_note"] == {"/data/person/birth_year"}  # relevant
    assert reads["/data/guardian_age"] == {"/data/person/age"}  # constraint ("." is the field itself)
    assert reads["/data/minor"] == {"/data/person/age"}  # a group's relevant
    assert reads["/data/team/initials"] == {"/data/team/member_name"}  # "../member_name" inside the repeat
    assert reads["/data/team"] == {"/data/total"}  # repeat_count
    assert reads["/data/village"] == {"/data/commune"}  # choice_filter
    assert "/data/remark" not in reads  # a label's text is no expression
    assert graph().lists == {"/data/commune": "communes.csv", "/data/village": "villages.csv"}


def test_a_removed_field_takes_everything_derived_from_it_repeatedly(java: None) -> None:
    dropped = graph().closure({"/data/person/birth_year"})
    assert dropped == {
        "/data/person/birth_year",
        "/data/person/age",  # calculated from it
        "/data/child_note",  # shown only when it has a value
        "/data/guardian_age",  # checked against age, a second round
        "/data/minor",  # a group shown by age: its fields go with it
    }
    assert graph().closure({"/data/team/member_name"}) == {"/data/team/member_name", "/data/team/initials"}
    assert graph().closure({"/data/person"}) >= {"/data/person", "/data/child_note", "/data/minor"}  # a whole group
    assert graph().closure({"/data/commune"}) == {"/data/commune", "/data/village"}  # choices filtered by it
    assert graph().closure(set()) == set()


def test_placeholders_literals_and_secondary_instances() -> None:
    by_name = {"x": ["/data/g/x"], "y": ["/data/y"]}
    assert references("${x} + ${y}", context="/data/z", by_name=by_name) == {"/data/g/x", "/data/y"}  # hand-written
    assert references("concat('/data/y', ${x})", context="/data/z", by_name=by_name) == {"/data/g/x"}
    assert references("instance('villages')/root/item[name = /data/y]/label", context="/data/z",
                      by_name=by_name) == {"/data/y"}  # fmt: skip
    assert references("current()/../x > ../../y and . > 0", context="/data/r/s/z", by_name=by_name) == {
        "/data/r/s/x",
        "/data/r/y",
    }
    assert references("/data/orx:meta/orx:instanceID", context="/data/z", by_name=by_name) == {"/data/meta/instanceID"}
