"""Who gets which export: staff Central's layout, viewers a de-identified extract read from the form's binds, and
no rows at all of a sensitive form; stored submissions through the same writer the downloads page uses."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from exports.policy import CENTRAL
from forms.build import build_xlsform
from server.accounts.app_users import create_app_user
from server.cli.setup import BUILTIN_FORMS
from server.core.errors import Forbidden
from server.core.models import Audit, Submission, WebUser
from server.core.storage import BlobStore
from server.places import villages as registry
from server.publishing.forms import get_form, publish_xform, set_sensitive
from server.submissions.deidentify import deidentified_policy, export_policy
from server.submissions.export import ExportFilter, csv_zip_writer, export_xform, media_of
from server.submissions.receive import Part, receive
from tests.exports.session_demo import session_demo  # a small session form, as a markdown table
from tests.instances import fill

JPEG = b"\xff\xd8\xff\xe0" + b"p" * 200
VIEWER = WebUser(username="viewer", password_hash="", role="viewer")
COORDINATOR = WebUser(username="coord", password_hash="", role="coordinator")


@pytest.fixture
def stored(backan: Session, store: BlobStore, java: None) -> str:
    """One session sent by a phone named after its collaborator, from device collect:X, with a photo; its village."""
    publish_xform(session=backan, store=store, xform=session_demo(), media={})  # communes.csv, villages.csv generated
    village = registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài")
    user, _ = create_app_user(session=backan, name="Lý Thị Hoa")
    values = {"session_date": "2026-11-20", "started_at": "2026-11-20T08:30:00.000+07:00", "commune": "01864",
              "village": village.code, "birth_year": "2012", "age": "14", "child_note": "em hỏi về đất",
              "guardian_age": "41", "participants": "23", "photo": "p.jpg", "has_photo": "co",
              "instanceName": f"2026-11-20 {village.code}"}  # fmt: skip
    team = [{"member_name": "Hoàng Văn Minh", "member_role": "tgv", "initials": "H"},
            {"member_name": "Lý Thị Hoa", "member_role": "ctv", "initials": "L"}]  # fmt: skip
    xml = fill(session_demo(), values, repeats={"team": team}, instance_id="uuid:5e55-0001")
    receive(session=backan, store=store, app_user=user, xml=xml, device_id="collect:X",
            parts={"p.jpg": Part("p.jpg", "image/jpeg", io.BytesIO(JPEG))})  # fmt: skip
    return village.code


def export(session: Session, engine: Engine, store: BlobStore, form_id: str, user: WebUser) -> dict[str, str]:
    """The CSV zip a user gets of a form, media asked for, as the downloads page writes it: file name → text."""
    xform = export_xform(session, form_id)
    policy = export_policy(session, user=user, xml_form_id=form_id, xform=xform)
    media = media_of(session, store, get_form(session, form_id).id or 0)
    write = csv_zip_writer(engine=engine, store=store, xml_form_id=form_id, xform=xform, filters=ExportFilter(),
                           actor="test", attachments=lambda s: [(n, store.read(h)) for n, h in
                                                                 media.get(s.instance_id, [])],
                           policy=policy)  # fmt: skip
    out = io.BytesIO()
    write(out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name).decode("utf-8-sig", errors="replace") for name in archive.namelist()}


def test_a_viewers_export_leaves_out_people_staff_devices_villages_and_days(
    backan: Session, engine: Engine, store: BlobStore, stored: str
) -> None:
    files = export(backan, engine, store, "session_demo", VIEWER)
    assert sorted(files) == ["session_demo-team.csv", "session_demo.csv"]  # no media/
    (root,) = csv.DictReader(io.StringIO(files["session_demo.csv"]))
    month = backan.exec(select(Submission.created_at)).one().strftime("%Y-%m")
    assert root == {
        "SubmissionDate": month, "session_date": "2026-11", "started_at": "2026-11", "commune": "01864",
        "participants": "23", "meta-instanceID": "uuid:5e55-0001", "KEY": "uuid:5e55-0001",
        "AttachmentsPresent": "1", "AttachmentsExpected": "1", "Status": "", "ReviewState": "", "Edits": "0",
        "FormVersion": "1",
    }  # fmt: skip
    assert files["session_demo-team.csv"] == (
        "member_role,PARENT_KEY,KEY\ntgv,uuid:5e55-0001,uuid:5e55-0001/team[1]\nctv,uuid:5e55-0001,uuid:5e55-0001/team[2]\n"
    )
    everything = "".join(files.values())
    for value in ("Lý Thị Hoa", "Hoàng Văn Minh", "collect:X", stored, "2026-11-20", "2012", "em hỏi", "p.jpg"):
        assert value not in everything  # submitter, team, device, village, day, birth year, note, photo
    audit = backan.exec(select(Audit).where(Audit.action == "form.submission.export")).one()
    assert json.loads(audit.details or "")["deidentified"] is True


def test_staff_get_every_column(backan: Session, engine: Engine, store: BlobStore, stored: str) -> None:
    files = export(backan, engine, store, "session_demo", COORDINATOR)
    (root,) = csv.DictReader(io.StringIO(files["session_demo.csv"]))
    assert (root["SubmitterName"], root["DeviceID"], root["village"], root["age"]) == ("Lý Thị Hoa", "collect:X",
                                                                                      stored, "14")  # fmt: skip
    assert root["meta-instanceName"] == f"2026-11-20 {stored}"
    assert "media/p.jpg" in files
    assert export_policy(backan, user=COORDINATOR, xml_form_id="session_demo", xform=session_demo()) == CENTRAL


def test_viewers_get_no_rows_of_a_sensitive_form(backan: Session, store: BlobStore, java: None) -> None:
    person = build_xlsform(BUILTIN_FORMS / "tgpl_person.xlsx").xform
    publish_xform(session=backan, store=store, xform=person, media={})
    publish_xform(session=backan, store=store, xform=session_demo(), media={})
    with pytest.raises(Forbidden, match="sensitive personal data") as refused:
        export_policy(backan, user=VIEWER, xml_form_id="tgpl_person", xform=person)
    assert refused.value.vi.startswith("Biểu mẫu tgpl_person chứa dữ liệu cá nhân nhạy cảm")
    assert export_policy(backan, user=COORDINATOR, xml_form_id="tgpl_person", xform=person) == CENTRAL
    assert export_policy(backan, user=VIEWER, xml_form_id="session_demo", xform=session_demo()) == (
        deidentified_policy("session_demo", session_demo())
    )
    set_sensitive(session=backan, xml_form_id="session_demo", sensitive=True, actor="test")
    with pytest.raises(Forbidden):
        export_policy(backan, user=VIEWER, xml_form_id="session_demo", xform=session_demo())
    actions = backan.exec(select(Audit.action).where(col(Audit.subject) == "form:session_demo")).all()
    assert "form.sensitive.on" in actions


def test_the_person_forms_de_identified_extract_keeps_no_age_and_nothing_shown_by_it(java: None) -> None:
    policy = deidentified_policy("tgpl_person", build_xlsform(BUILTIN_FORMS / "tgpl_person.xlsx").xform)
    assert {"/data/person/birth_year", "/data/person/age", "/data/person/age_years"} <= policy.drop
    assert {"/data/person/guardian_consent", "/data/person/details"} <= policy.drop  # shown by age: under 16 or not
    assert {"/data/place/village", "/data/place/village_label", "/data/meta/instanceName"} <= policy.drop
    assert "/data/place/commune" not in policy.drop
    assert "/data/person/sex" not in policy.drop
