"""`tgpl export csv|xlsx --deidentified`: identifying fields and everything derived from them left out, no
submitter, device, instance name, photo or village; dates as months. Run as an administrator would."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import Session

from server.accounts.app_users import create_app_user
from server.core.storage import BlobStore
from server.publishing.forms import publish_xform
from server.submissions.receive import Part, receive
from tests.cli_runner import tgpl_json
from tests.exports.session_demo import session_demo  # a small session form, as a markdown table
from tests.instances import fill

ROOT = (
    "SubmissionDate,session_date,started_at,commune,participants,meta-instanceID,KEY,AttachmentsPresent,"
    "AttachmentsExpected,Status,ReviewState,Edits,FormVersion"
)


def test_de_identified_csv_and_workbook(
    env: dict[str, str], session: Session, store: BlobStore, java: None, tmp_path: Path
) -> None:
    publish_xform(session=session, store=store, xform=session_demo(), media={})
    user, _ = create_app_user(session=session, name="Lý Thị Hoa")
    values = {"session_date": "2026-11-20", "started_at": "2026-11-20T08:30:00.000+07:00", "commune": "01864",
              "village": "01864-003", "birth_year": "2012", "age": "14", "child_note": "em hỏi về đất",
              "guardian_age": "41", "participants": "23", "photo": "p.jpg", "has_photo": "co",
              "instanceName": "2026-11-20 01864-003"}  # fmt: skip
    xml = fill(session_demo(), values, repeats={"team": [{"member_name": "Hoàng Văn Minh", "member_role": "tgv",
                                                          "initials": "H"}]}, instance_id="uuid:c11")  # fmt: skip
    receive(session=session, store=store, app_user=user, xml=xml, device_id="collect:X",
            parts={"p.jpg": Part("p.jpg", "image/jpeg", io.BytesIO(b"\xff\xd8\xff"))})  # fmt: skip
    out = tmp_path / "session_demo.zip"
    done = tgpl_json(env, "export", "csv", "session_demo", "--out", str(out), "--deidentified", "--no-bom")
    assert (done["submissions"], done["media_files"]) == (1, 0)
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["session_demo.csv", "session_demo-team.csv"]
        header, row, end = archive.read("session_demo.csv").decode().split("\n")
        team = archive.read("session_demo-team.csv").decode()
    assert (header, end) == (ROOT, "")
    assert row.split(",")[1:7] == ["2026-11", "2026-11", "01864", "23", "uuid:c11", "uuid:c11"]
    assert team == "member_role,PARENT_KEY,KEY\ntgv,uuid:c11,uuid:c11/team[1]\n"
    workbook = tmp_path / "session_demo.xlsx"
    assert (
        tgpl_json(env, "export", "xlsx", "session_demo", "--out", str(workbook), "--deidentified")["submissions"] == 1
    )
    sheet = load_workbook(workbook)["session_demo"]
    assert ",".join(str(cell) for cell in next(sheet.iter_rows(values_only=True))) == ROOT
