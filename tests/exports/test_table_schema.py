"""Export tables read from an XForm: which nodes give columns, in what order, and how the files are named."""

from __future__ import annotations

from exports.table_schema import read_schema
from tests.exports.legacy_form import VISITS

META = (
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
)


def test_tables_in_depth_first_order_with_numbered_duplicate_names() -> None:
    tables = read_schema(VISITS).tables
    assert [(t.file_name, t.repeat) for t in tables] == [
        ("visits.csv", ""),
        ("visits-visit~1.csv", "visit"),
        ("visits-visit~2.csv", "visit"),
        ("visits-stop.csv", "stop"),
    ]
    assert [t.header for t in tables] == [
        ("SubmissionDate", "meta-instanceID", *META),
        ("day", "visit_note", "PARENT_KEY", "KEY"),
        ("day", "PARENT_KEY", "KEY"),
        ("place-Latitude", "place-Longitude", "place-Altitude", "place-Accuracy", "PARENT_KEY", "KEY"),
    ]


def test_fields_know_their_kind_and_first_cell() -> None:
    stop = read_schema(VISITS, group_paths=False).tables[3]
    assert [(f.path, f.kind, f.header, f.cell) for f in stop.fields] == [
        ("/data/b/visit/stop/place", "geopoint", "place", 0)
    ]
    root = read_schema(VISITS, group_paths=False).tables[0]
    assert root.header[:2] == ("SubmissionDate", "instanceID")


def test_file_names_drop_what_a_file_system_refuses() -> None:
    xform = VISITS.replace(b'id="visits"', b'id="a/b:c"')
    assert [t.file_name for t in read_schema(xform).tables][:2] == ["abc.csv", "abc-visit~1.csv"]
