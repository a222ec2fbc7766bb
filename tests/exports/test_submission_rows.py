"""A submission's rows: values by local name, KEYs through groups, repeat numbers that restart per parent."""

from __future__ import annotations

from datetime import datetime
from xml.etree.ElementTree import Element

import pytest

from exports.submission import ExportSubmission
from exports.submission_rows import defused_instance, parse_instance, submission_rows
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


def tree(element: Element | None) -> object:
    """An element as nested tuples of tag, attributes, text, tail and children (None stays None)."""
    if element is None:
        return None
    return (element.tag, element.attrib, element.text, element.tail, [tree(child) for child in element])


# What a phone, a migration or an attacker may send. The fast parse must read each exactly as defusedxml does, or
# hand it over; the flag says whether the instance is read at all.
ODD_INSTANCES = {
    "comments and instructions split a value": (b"<data><a>x<!--c-->y<?pi z?>w</a></data>", True),
    "CDATA and references": (b"<data><a><![CDATA[<b>&]]>&#x1EA1;&amp;&lt;\xe1\xba\xa1</a></data>", True),
    "mixed content": (b"<data><a>x<i>not read</i>y<i/>z</a><b>\r\n two\r\nlines </b></data>", True),
    "default namespace": (b'<data xmlns="http://opendatakit.org/submissions"><a>1</a></data>', True),
    "prefixed meta": (
        b'<data xmlns:orx="http://openrosa.org/xforms"><orx:meta><orx:a>1</orx:a></orx:meta></data>',
        True,
    ),
    "undeclared prefix": (b"<data><orx:meta/></data>", False),
    "doctype without entities": (b"<!DOCTYPE data><data><a>1</a></data>", True),
    "internal entity": (b'<!DOCTYPE d [<!ENTITY e "boom">]><data><a>&e;</a></data>', False),
    "external entity": (b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><data><a>&e;</a></data>', False),
    "billion laughs": (
        b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><data>&b;</data>',
        False,
    ),
    "utf-16 doctype": ('<!DOCTYPE d [<!ENTITY e "x">]><data><a>&e;</a></data>'.encode("utf-16"), False),
    "utf-16 without a byte-order mark": (
        '<?xml version="1.0" encoding="UTF-16BE"?><!DOCTYPE d [<!ENTITY e "x">]><data>&e;</data>'.encode("utf-16-be"),
        False,
    ),
    "utf-16 declared in ASCII": (b'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d><data/>', False),
    "utf-16": ('<?xml version="1.0" encoding="UTF-16"?><data><a>Nà Pài</a></data>'.encode("utf-16"), True),
    "latin-1": ('<?xml version="1.0" encoding="ISO-8859-1"?><data><a>café</a></data>'.encode("latin-1"), True),
    "windows-1258": ('<?xml version="1.0" encoding="windows-1258"?><data><a>Hoà</a></data>'.encode("cp1258"), True),
    "undefined entity": (b"<data><a>&nbsp;</a></data>", False),
    "truncated": (b"<data><a>1</a>", False),
    "junk after the root": (b"<data/><data/>", False),
    "not XML": (b"\x00\xff{json}", False),
}


@pytest.mark.parametrize(("xml", "readable"), ODD_INSTANCES.values(), ids=ODD_INSTANCES)
def test_the_fast_parse_reads_what_defusedxml_reads(xml: bytes, readable: bool) -> None:
    assert tree(parse_instance(xml)) == tree(defused_instance(xml))
    assert (parse_instance(xml) is not None) is readable
