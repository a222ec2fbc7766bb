"""The directive review on a small dataset whose figures are worked out by hand below."""

from __future__ import annotations

import io
from functools import cache

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from exports.report_files import report_csv, report_xlsx
from forms.build import BuiltForm, build_xlsform
from server.app_users import create_app_user
from server.cli.setup import BUILTIN_FORMS
from server.gazetteer import villages as registry
from server.models import Place
from server.periods import parse_period
from server.publish import publish_xform
from server.reports import directive_review
from server.storage import BlobStore
from server.submissions import receive
from tests.instances import fill

# 2026-H1 under Decree 09/2019 runs from 15 Dec 2025 to 14 Jun 2026.
SESSIONS = [  # (date, village, participants, women, ethnic minority)
    ("2025-12-20", "V1", 40, 20, 30),  # in: the work-report year starts on 15 December
    ("2026-03-10", "V3", 25, 10, 20),  # in
    ("2026-06-20", "V2", 15, 5, 5),  # out: after 14 June
    ("2025-12-10", "V2", 12, 6, 6),  # out: before 15 December
]
VILLAGES = {"V1": ("01864", "01858"), "V2": ("01864", "01861"), "V3": ("01957", "01957"), "V4": ("01864", "01858")}


@cache
def built() -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx")


@pytest.fixture
def villages(backan: Session, store: BlobStore, java: None) -> dict[str, str]:
    publish_xform(session=backan, store=store, xform=built().xform, media={})
    codes = {}
    for key, (commune, old) in VILLAGES.items():
        village = registry.add_village(session=backan, commune_code=commune, old_commune_code=old, name=f"Thôn {key}")
        codes[key] = registry.confirm(session=backan, ref=village.code).code
    user, _ = create_app_user(session=backan, name="Phone")
    for day, key, total, women, ethnic in SESSIONS:
        values = {
            "session_date": day,
            "commune": VILLAGES[key][0],
            "village": codes[key],
            "participants_total": str(total),
            "participants_women": str(women),
            "participants_ethnic": str(ethnic),
        }
        receive(session=backan, store=store, app_user=user, xml=fill(built().xform, values), parts={})
    return codes


def test_directive_review_by_district_and_commune(backan: Session, villages: dict[str, str]) -> None:
    report = directive_review(backan, period=parse_period("2026-H1"), province="06")
    assert report.lines[0] == "Kỳ 2026-H1: từ 15/12/2025 đến 14/06/2026 — " + parse_period("2026-H1").rule_text
    assert report.lines[1] == ("Số buổi: 2; người dự: 65 (nữ 30, dân tộc thiểu số 50); xã đã đến: 2/37; "
                               "thôn đã đến: 2/4")  # fmt: skip
    districts, communes, missed = report.sheets
    ngan_son_communes = len(backan.exec(select(Place).where(Place.scheme == "old", Place.parent_code == "062")).all())
    rows = {row[0]: row for row in districts.rows}
    assert len(rows) == 8
    # Pác Nặm: 10 communes, old Bằng Thành (V1) reached; V1, V2, V4 lie in it, V1 reached.
    assert rows["060"] == ["060", "Huyện Pác Nặm", 10, 1, 3, 1, 1, 40, 20, 30]
    assert rows["062"] == ["062", "Huyện Ngân Sơn", ngan_son_communes, 1, 1, 1, 1, 25, 10, 20]
    assert rows["058"][3:] == [0, 0, 0, 0, 0, 0, 0]
    by_code = {row[0]: row for row in communes.rows}
    assert by_code["01864"] == ["01864", "Xã Bằng Thành", 3, 1, 1, 40, 20, 30, "2025-12-20"]  # not June: after the end
    assert len(missed.rows) == 35 + 2  # communes not reached, then villages V2 and V4
    assert [row[1] for row in missed.rows[-2:]] == [villages["V2"], villages["V4"]]


def test_report_files(backan: Session, villages: dict[str, str]) -> None:
    report = directive_review(backan, period=parse_period("2026-H1"), province="06")
    workbook = load_workbook(io.BytesIO(report_xlsx(report)))
    assert workbook.sheetnames == ["Theo huyện (trước 2025)", "Theo xã (từ 2025)", "Chưa đến trong kỳ"]
    sheet = workbook["Theo huyện (trước 2025)"]
    assert sheet["A1"].value == "Báo cáo sơ kết trợ giúp pháp lý lưu động — 2026-H1"
    header = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "Mã huyện")
    assert header[:4] == ("Mã huyện", "Huyện", "Số xã", "Xã đã đến")
    assert ("060", "Huyện Pác Nặm", 10, 1, 3, 1, 1, 40, 20, 30) in list(sheet.iter_rows(values_only=True))
    text = report_csv(report).decode("utf-8")
    assert text.startswith("\ufeffBáo cáo sơ kết")
    assert "060,Huyện Pác Nặm,10,1,3,1,1,40,20,30\r\n" in text
    assert "Nghị định 09/2019" in text
