"""The directive review on a small dataset whose figures are worked out by hand below."""

from __future__ import annotations

import io
from functools import cache

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from exports.report_files import Report, report_csv, report_xlsx
from forms.build import BuiltForm, build_xlsform
from server.accounts.app_users import create_app_user
from server.cli.setup import BUILTIN_FORMS
from server.core.models import Place
from server.core.periods import parse_period
from server.core.storage import BlobStore
from server.places import villages as registry
from server.places.reports import BENEFICIARIES, bieu24, bieu25, directive_review
from server.publishing.forms import publish_xform
from server.submissions.receive import receive
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


PEOPLE = [  # (intake date, consent, sex, field, form of aid, categories, accepted, provider)
    ("2026-02-01", "dong_y", "nam", "hinh_su", "tu_van", "ho_ngheo dtts_dbkk", "co", "tro_giup_vien"),
    ("2026-02-02", "dong_y", "nu", "hinh_su", "tu_van", "kk_hiv co_cong", "co", "luat_su"),
    ("2026-03-03", "dong_y", "nu", "dat_dai", "dai_dien_ngoai_to_tung", "tre_em dtts_dbkk", "khong", "cong_tac_vien"),
    ("2026-03-04", "tu_choi", "", "", "", "", "", ""),
    ("2026-07-01", "dong_y", "nam", "hinh_su", "tu_van", "ho_ngheo", "co", "luat_su"),  # after 31 May: not counted
]


@pytest.fixture
def people(backan: Session, store: BlobStore, java: None) -> None:
    form = build_xlsform(BUILTIN_FORMS / "tgpl_person.xlsx")
    publish_xform(session=backan, store=store, xform=form.xform, media={})
    user, _ = create_app_user(session=backan, name="Intake")
    for day, consent, sex, field, aid, categories, accepted, provider in PEOPLE:
        values = {"intake_date": day, "commune": "01864", "consent": consent, "sex": sex, "field": field,
                  "aid_form": aid, "art7": categories, "accepted": accepted, "provider_role": provider}  # fmt: skip
        receive(session=backan, store=store, app_user=user, xml=fill(form.xform, values), parts={})


def test_bieu24_counts_each_person_once_by_the_precedence_rule(backan: Session, people: None) -> None:
    report = bieu24(backan, period=parse_period("2026-H1", "stat"))
    (sheet,) = report.sheets
    columns = [code for code, _ in BENEFICIARIES]
    rows = {(r[0], r[1]): dict(zip(["total", "nam", "nu", *columns], r[2:], strict=True)) for r in sheet.rows}
    criminal_advice = rows[("Hình sự", "Tư vấn pháp luật")]
    # P1 is poor and ethnic minority: that combined column; P2 has HIV and meritorious service: Article 7 order.
    assert (criminal_advice["total"], criminal_advice["nam"], criminal_advice["nu"]) == (2, 1, 1)
    assert (criminal_advice["ngheo_va_dtts"], criminal_advice["co_cong"], criminal_advice["kk_hiv"]) == (1, 1, 0)
    land = rows[("Đất đai, nhà ở, môi trường", "Đại diện ngoài tố tụng")]
    assert (land["total"], land["tre_em"], land["dtts_dbkk"]) == (1, 1, 0)  # child comes before ethnic minority
    total = rows[("Tổng cộng", "")]
    assert (total["total"], total["nam"], total["nu"]) == (3, 1, 2)
    assert sum(total[c] for c in columns) == 3  # one column per person
    assert report.lines[2] == "Không tính 1 người từ chối cung cấp thông tin (chỉ đếm ẩn danh)."
    assert report.lines[0].startswith("Kỳ 2026-H1: từ 01/01/2026 đến 31/05/2026")


def test_bieu25_counts_accepted_requests_by_provider(backan: Session, people: None) -> None:
    (sheet,) = bieu25(backan, period=parse_period("2026-H1", "stat")).sheets
    rows = {(r[0], r[1]): r[2:] for r in sheet.rows}
    assert rows[("Hình sự", "Tư vấn pháp luật")] == [2, 1, 1, 0, 0]  # total, TGV, luật sư, CTV, other
    assert rows[("Tổng cộng", "")] == [2, 1, 1, 0, 0]  # the land request was not accepted
    assert rows[("Đất đai, nhà ở, môi trường", "Đại diện ngoài tố tụng")] == [0, 0, 0, 0, 0]


def _person_cells(report: Report) -> list[int | str]:
    return [cell for sheet in report.sheets for row in sheet.rows for cell in row[2:] if not isinstance(cell, float)]


def test_viewers_get_biểu_24_and_25_with_no_count_they_could_take_apart(backan: Session, people: None) -> None:
    """A viewer's Biểu 24/25: 1-4 people show as "<5" and every other count is a multiple of 5, so no cell, nor the
    total minus the other rows, nor two overlapping periods, tells who the one person with HIV in a field is."""
    period = parse_period("2026-H1", "stat")
    staff = {(r[0], r[1]): r[2:] for r in bieu24(backan, period=period).sheets[0].rows}
    assert 1 in staff[("Hình sự", "Tư vấn pháp luật")]  # the exact figures hold small counts...
    for built_report in (bieu24, bieu25):
        shown = built_report(backan, period=period, viewer=True)
        cells = _person_cells(shown)
        assert "<5" in cells
        assert all(c == "<5" or (isinstance(c, int) and c % 5 == 0) for c in cells), cells  # ...the viewer's none
        assert "<5" in cells[: len(cells)]
    viewer = {(r[0], r[1]): r[2:] for r in bieu24(backan, period=period, viewer=True).sheets[0].rows}
    assert viewer[("Tổng cộng", "")][:3] == ["<5", "<5", "<5"]  # 3 people: 1 man, 2 women
    assert viewer[("Hình sự", "Đại diện ngoài tố tụng")] == staff[("Hình sự", "Đại diện ngoài tố tụng")]  # zeros stay
    lines = bieu24(backan, period=period, viewer=True).lines
    assert lines[2] == "Không tính <5 người từ chối cung cấp thông tin (chỉ đếm ẩn danh)."
    assert any("<5" in line and "bội số của 5" in line for line in lines)  # the report says how it was protected


def test_a_viewers_directive_review_protects_the_ethnic_minority_counts(backan: Session, store: BlobStore,
                                                                        villages: dict[str, str]) -> None:  # fmt: skip
    phone, _ = create_app_user(session=backan, name="Another phone")
    values = {"session_date": "2026-04-02", "commune": "01957", "village": villages["V3"], "participants_total": "9",
              "participants_women": "4", "participants_ethnic": "3"}  # fmt: skip
    receive(session=backan, store=store, app_user=phone, xml=fill(built().xform, values), parts={})
    period = parse_period("2026-H1")
    staff = directive_review(backan, period=period, province="06")
    viewer = directive_review(backan, period=period, province="06", viewer=True)
    header = staff.sheets[1].header
    ethnic, sessions = header.index("Dân tộc thiểu số"), header.index("Số buổi")
    for exact, shown in zip(staff.sheets[1].rows, viewer.sheets[1].rows, strict=True):
        assert shown[sessions] == exact[sessions]  # sessions, participants and women are not about a person
        value = exact[ethnic]
        assert isinstance(value, int)
        assert shown[ethnic] == (value if value == 0 else "<5" if value < 5 else 5 * round(value / 5))
    assert [r[ethnic] for r in staff.sheets[1].rows if r[0] == "01957"] == [23]
    assert [r[ethnic] for r in viewer.sheets[1].rows if r[0] == "01957"] == [25]
    assert "dân tộc thiểu số 53" in staff.lines[1]
    assert "dân tộc thiểu số 55" in viewer.lines[1]
