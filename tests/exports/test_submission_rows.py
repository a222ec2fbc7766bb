"""A submission's rows: values by local name, KEYs through groups, repeat numbers that restart per parent."""

from __future__ import annotations

from datetime import datetime

from exports.submission import ExportSubmission
from exports.submission_rows import submission_rows
from exports.table_schema import read_schema
from tests.exports.legacy_form import VISITS

INSTANCE = b"""<data xmlns:orx="http://openrosa.org/xforms" id="visits" version="1">
  <a>
    <visit><day>2026-01-05</day></visit>
    <visit><day>2026-01-06</day><visit_note>  g\xe1\xba\xb7p l\xe1\xba\xa1i  </visit_note></visit>
  </a>
  <b>
    <visit><day>2026-02-01</day><stop><place>22.1 105.2</place></stop><stop><place/></stop></visit>
    <visit><day>2026-02-02</day><stop><place>22.3  105.4 12 5</place><extra>not in the form</extra></stop></visit>
  </b>
  <orx:meta><orx:instanceID>uuid:v1</orx:instanceID><orx:deprecatedID>uuid:v0</orx:deprecatedID></orx:meta>
</data>"""


def submission(xml: bytes) -> ExportSubmission:
    """A submission of the visits form received at 2026-02-03 10:00 UTC."""
    return ExportSubmission(
        instance_id="uuid:v0",
        submission_date=datetime(2026, 2, 3, 10, 0, 0),  # naive: taken as UTC
        submitter_id=3,
        submitter_name="Hà",
        attachments_present=0,
        attachments_expected=0,
        status=None,
        review_state="hasIssues",
        device_id=None,
        edits=2,
        form_version="1",
        xml=xml,
    )


def test_rows_per_table_with_keys_through_groups() -> None:
    result = submission_rows(read_schema(VISITS), submission(INSTANCE))
    by_table: dict[int, list[list[str]]] = {}
    for table, row in result.rows:
        by_table.setdefault(table, []).append(row)
    assert by_table[0] == [
        ["2026-02-03T10:00:00.000Z", "uuid:v1", "uuid:v0", "3", "Hà", "0", "0", "", "hasIssues", "", "2", "1"]
    ]
    assert by_table[1] == [
        ["2026-01-05", "", "uuid:v0", "uuid:v0/a/visit[1]"],
        ["2026-01-06", "  gặp lại  ", "uuid:v0", "uuid:v0/a/visit[2]"],
    ]
    assert by_table[2] == [
        ["2026-02-01", "uuid:v0", "uuid:v0/b/visit[1]"],
        ["2026-02-02", "uuid:v0", "uuid:v0/b/visit[2]"],
    ]
    assert by_table[3] == [
        ["22.1", "105.2", "", "", "uuid:v0/b/visit[1]", "uuid:v0/b/visit[1]/stop[1]"],
        ["", "", "", "", "uuid:v0/b/visit[1]", "uuid:v0/b/visit[1]/stop[2]"],
        ["22.3", "105.4", "12", "5", "uuid:v0/b/visit[2]", "uuid:v0/b/visit[2]/stop[1]"],
    ]
    assert (result.read, result.unreadable) == (True, False)


def test_entities_are_refused_and_the_row_keeps_its_metadata() -> None:
    bomb = b'<!DOCTYPE d [<!ENTITY e "boom">]><data id="visits"><a><visit><day>&e;</day></visit></a></data>'
    result = submission_rows(read_schema(VISITS), submission(bomb))
    assert [table for table, _ in result.rows] == [0]
    assert result.rows[0][1][:3] == ["2026-02-03T10:00:00.000Z", "", "uuid:v0"]
    assert (result.read, result.unreadable) == (False, True)
