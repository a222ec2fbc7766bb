"""Exporting stored submissions as Central's CSV zip: current versions only, newest first, filters, media."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import date
from functools import cache

import pytest
from sqlalchemy import event
from sqlmodel import Session

from exports import write_csv_zip
from forms.build import BuiltForm, build_xlsform
from server.accounts.app_users import create_app_user
from server.cli.setup import BUILTIN_FORMS
from server.core.storage import BlobStore
from server.places.areas import area_of, area_reach
from server.publishing.forms import get_form, publish_xform
from server.submissions.export import ExportFilter, export_submissions, export_xform, media_of
from server.submissions.queries import set_review
from server.submissions.receive import Part, receive
from tests.instances import fill

JPEG = b"\xff\xd8\xff\xe0" + b"p" * 500


@cache
def built() -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx")


@pytest.fixture
def stored(backan: Session, store: BlobStore, java: None) -> dict[str, str]:
    """Three sessions (one edited, one with a photo and a team of two), as phones would have sent them."""
    publish_xform(session=backan, store=store, xform=built().xform, media={})
    user, _ = create_app_user(session=backan, name="Lý Thị Hoa")
    ids = {}
    for key, day, commune in (("a", "2026-02-01", "01864"), ("b", "2026-03-01", "01957"), ("c", "2026-04-01", "01864")):
        ids[key] = f"uuid:{uuid.uuid4()}"
        xml = fill(built().xform, {"session_date": day, "commune": commune, "participants_total": "10",
                                   "attendance_photo": "p.jpg" if key == "b" else ""}, instance_id=ids[key],
                   repeats={"team": [{"member_name": "Hoàng Văn Minh", "member_role": "tro_giup_vien"},
                                     {"member_name": "Lý Thị Hoa", "member_role": "cong_tac_vien",
                                      "card_number": "CTV-01"}]})  # fmt: skip
        parts = {"p.jpg": Part("p.jpg", "image/jpeg", io.BytesIO(JPEG))} if key == "b" else {}
        received = receive(session=backan, store=store, app_user=user, xml=xml, parts=parts, device_id="collect:X")
        ids[f"{key}_id"] = str(received.submission_id)
    ids["c2"] = f"uuid:{uuid.uuid4()}"
    edit = fill(built().xform, {"session_date": "2026-04-02", "commune": "01864", "participants_total": "12"},
                instance_id=ids["c2"], deprecated_id=ids["c"])  # fmt: skip
    receive(session=backan, store=store, app_user=user, xml=edit, parts={})
    set_review(session=backan, submission_id=int(ids["a_id"]), state="approved", comment="", actor="test")
    return ids


def export(
    session: Session, store: BlobStore, filters: ExportFilter = ExportFilter()
) -> dict[str, list[dict[str, str]]]:
    out = io.BytesIO()
    form = get_form(session, "tgpl_session")
    media = media_of(session, store, form.id)  # type: ignore[arg-type]
    write_csv_zip(out, xform=export_xform(session, "tgpl_session"),
                  submissions=export_submissions(session, store, xml_form_id="tgpl_session", filters=filters),
                  attachments=lambda s: [(n, store.read(h)) for n, h in media.get(s.instance_id, [])])  # fmt: skip
    with zipfile.ZipFile(out) as archive:
        tables = {name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
                  for name in archive.namelist() if name.endswith(".csv")}  # fmt: skip
        tables["media"] = [
            {"name": n, "data": archive.read(n).hex()} for n in archive.namelist() if n.startswith("media/")
        ]
    return tables


def test_current_versions_newest_first_with_linked_repeat_tables(backan: Session, store: BlobStore,
                                                                 stored: dict[str, str]) -> None:  # fmt: skip
    tables = export(backan, store)
    root, team = tables["tgpl_session.csv"], tables["tgpl_session-team.csv"]
    assert [r["KEY"] for r in root] == [stored["c"], stored["b"], stored["a"]]  # newest first; KEY stays the first ID
    assert root[0]["meta-instanceID"] == stored["c2"]  # the current version's own ID
    assert root[0]["Edits"] == "1"
    assert root[0]["attendance-participants_total"] == "12"  # the edit, not the first version
    assert (root[2]["ReviewState"], root[1]["ReviewState"]) == ("approved", "")
    assert (root[1]["AttachmentsPresent"], root[1]["AttachmentsExpected"], root[1]["attendance_photo"]) == (
        "1",
        "1",
        "p.jpg",
    )
    assert (root[1]["SubmitterName"], root[1]["DeviceID"], root[1]["FormVersion"]) == (
        "Lý Thị Hoa",
        "collect:X",
        "2026112601",
    )
    assert root[1]["SubmissionDate"].endswith("Z")
    assert [(r["PARENT_KEY"], r["KEY"]) for r in team if r["PARENT_KEY"] == stored["b"]] == [
        (stored["b"], f"{stored['b']}/team[1]"),
        (stored["b"], f"{stored['b']}/team[2]"),
    ]
    assert [r["card_number"] for r in team if r["PARENT_KEY"] == stored["b"]] == ["", "CTV-01"]
    assert tables["media"] == [{"name": "media/p.jpg", "data": JPEG.hex()}]


def test_filters_by_event_date_area_and_review_state(backan: Session, store: BlobStore,
                                                     stored: dict[str, str]) -> None:  # fmt: skip
    march = export(backan, store, ExportFilter(start=date(2026, 3, 1), end=date(2026, 3, 31)))
    assert [r["KEY"] for r in march["tgpl_session.csv"]] == [stored["b"]]
    assert [r["PARENT_KEY"] for r in march["tgpl_session-team.csv"]] == [stored["b"], stored["b"]]
    bang_thanh = export(backan, store, ExportFilter(reach=area_reach(backan, area_of(backan, "new", "01864"))))
    assert [r["KEY"] for r in bang_thanh["tgpl_session.csv"]] == [stored["c"], stored["a"]]
    approved = export(backan, store, ExportFilter(review_state="approved"))
    assert [r["KEY"] for r in approved["tgpl_session.csv"]] == [stored["a"]]


def test_export_reads_pages_not_submissions(backan: Session, store: BlobStore, stored: dict[str, str]) -> None:
    """The statements an export sends do not grow with the submissions in a page: two per page (its rows, its
    attachment counts), whatever it holds. Counted with SQLAlchemy's engine events, on the real stored data."""
    engine = backan.get_bind()
    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    def exported() -> tuple[int, list[str]]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", note)
        try:
            rows = list(export_submissions(backan, store, xml_form_id="tgpl_session"))
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return len(rows), [s for s in statements if "submission" in s.lower()]

    few, few_statements = exported()
    assert few == 3
    user, _ = create_app_user(session=backan, name="Máy thứ hai")
    for n in range(20):
        values = {"session_date": "2026-05-01", "commune": "01864", "participants_total": str(n)}
        receive(session=backan, store=store, app_user=user, xml=fill(built().xform, values), parts={})
    many, many_statements = exported()
    assert many == 23
    assert len(many_statements) == len(few_statements), many_statements  # 23 submissions cost what 3 did
    reads = [s for s in many_statements if "FROM submission " in s or "FROM submission\n" in s]
    assert len(reads) == 1  # one page: every submission of it read by a single statement
