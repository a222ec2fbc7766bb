"""De-identified exports: identifying fields and all derived from them left out (read from the binds), no submitter,
device, instance name, attachment or village, dates as months; the exact CSV of every table, and the workbook."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from openpyxl import load_workbook

from exports.csv_zip import write_csv_zip
from exports.policy import CENTRAL, deidentified
from exports.submission import ExportSubmission
from exports.xlsx_export import write_xlsx
from tests.exports.session_demo import session_demo  # the form: a markdown table built through pyxform

XML = """<data id="session_demo" version="1">
  <session_date>2026-11-20</session_date>
  <started_at>2026-11-20T08:30:00.000+07:00</started_at>
  <commune>01864</commune>
  <village>01864-003</village>
  <village_name/>
  <birth_year>2012</birth_year>
  <age>14</age>
  <child_note>em hỏi về đất của bố mẹ</child_note>
  <guardian_age>41</guardian_age>
  <participants>23</participants>
  <team><member_name>Hoàng Văn Minh</member_name><member_role>tgv</member_role><initials>H</initials></team>
  <team><member_name>Lý Thị Hoa</member_name><member_role>ctv</member_role><initials>L</initials></team>
  <photo>1712345678901.jpg</photo>
  <has_photo>co</has_photo>
  <meta><instanceID>uuid:s1</instanceID><instanceName>2026-11-20 01864-003</instanceName></meta>
</data>"""
IDENTIFYING = frozenset({"birth_year", "member_name"})


def submission() -> ExportSubmission:
    return ExportSubmission("uuid:s1", datetime(2026, 11, 21, 2, 5, 9, tzinfo=UTC), 7, "Lý Thị Hoa", 1, 1, None,
                            "approved", "collect:abc", 0, "1", XML.encode())  # fmt: skip


def tables(xform: bytes, *, deidentify: bool) -> dict[str, str]:
    out = io.BytesIO()
    policy = deidentified(xform, identifying=IDENTIFYING) if deidentify else CENTRAL
    media = [("1712345678901.jpg", b"\xff\xd8\xff")]
    write_csv_zip(out, xform=xform, submissions=[submission()], bom=False, attachments=lambda _s: media, policy=policy)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name).decode() if name.endswith(".csv") else archive.read(name).hex()
                for name in archive.namelist()}  # fmt: skip


def test_the_de_identified_tables_exactly(java: None) -> None:
    assert tables(session_demo(), deidentify=True) == {  # no media/ either
        "session_demo.csv": (
            "SubmissionDate,session_date,started_at,commune,participants,meta-instanceID,"
            "KEY,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,Edits,FormVersion\n"
            "2026-11,2026-11,2026-11,01864,23,uuid:s1,uuid:s1,1,1,,approved,0,1\n"
        ),
        "session_demo-team.csv": (
            "member_role,PARENT_KEY,KEY\ntgv,uuid:s1,uuid:s1/team[1]\nctv,uuid:s1,uuid:s1/team[2]\n"
        ),
    }


def test_staff_get_centrals_layout_untouched(java: None) -> None:
    files = tables(session_demo(), deidentify=False)
    assert files["media/1712345678901.jpg"] == "ffd8ff"
    assert files["session_demo.csv"] == (
        "SubmissionDate,session_date,started_at,commune,village,village_name,birth_year,age,child_note,guardian_age,"
        "participants,photo,has_photo,meta-instanceID,meta-instanceName,KEY,SubmitterID,SubmitterName,"
        "AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion\n"
        "2026-11-21T02:05:09.000Z,2026-11-20,2026-11-20T08:30:00.000+07:00,01864,01864-003,,2012,14,"
        "em hỏi về đất của bố mẹ,41,23,1712345678901.jpg,co,uuid:s1,2026-11-20 01864-003,uuid:s1,7,Lý Thị Hoa,1,1,,"
        "approved,collect:abc,0,1\n"
    )


def test_the_de_identified_workbook(java: None) -> None:
    out = io.BytesIO()
    write_xlsx(out, xform=session_demo(), submissions=[submission()],
               policy=deidentified(session_demo(), identifying=IDENTIFYING))  # fmt: skip
    book = load_workbook(io.BytesIO(out.getvalue()))
    root = [list(row) for row in book["session_demo"].iter_rows(values_only=True)]
    assert root[0] == ["SubmissionDate", "session_date", "started_at", "commune", "participants", "meta-instanceID",
                       "KEY", "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "Edits",
                       "FormVersion"]  # fmt: skip
    assert root[2] == ["2026-11", "2026-11", "2026-11", "01864", "23", "uuid:s1", "uuid:s1", "1", "1", None,
                       "approved", "0", "1"]  # fmt: skip
    assert [list(row) for row in book["session_demo-team"].iter_rows(values_only=True)][2:] == [
        ["tgv", "uuid:s1", "uuid:s1/team[1]"],
        ["ctv", "uuid:s1", "uuid:s1/team[2]"],
    ]


def test_what_a_de_identified_export_drops_and_why(java: None) -> None:
    policy = deidentified(session_demo(), identifying=IDENTIFYING)
    assert policy.drop == {
        "/data/birth_year", "/data/age", "/data/child_note", "/data/guardian_age",  # identifying, then derived
        "/data/team/member_name", "/data/team/initials",
        "/data/photo", "/data/has_photo",  # an attachment, and what tells whether there was one
        "/data/village", "/data/village_name",  # the village (its commune stays)
        "/data/meta/instanceName",  # the date and village, again
    }  # fmt: skip
    assert (policy.months, policy.media) == (True, False)
    assert "SubmitterName" not in policy.meta
    assert "DeviceID" not in policy.meta
    assert "SubmitterID" not in policy.meta
