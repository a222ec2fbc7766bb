"""Periodic reports built from coverage and fact rows: the directive review, Biểu 24 and Biểu 25."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from exports.report_files import Report, Sheet
from server.core.models import PersonCategory, PersonFact
from server.core.periods import Period
from server.places.counts import suppress
from server.places.coverage import Coverage, PlaceRow, coverage


def directive_review(session: Session, *, period: Period, province: str | None = None, viewer: bool = False) -> Report:
    """Sessions, participants and places reached and not reached: by district (pre-2025) and by commune (2025).
    For a viewer the ethnic-minority counts are protected as on the dashboard (counts.suppress)."""
    old = coverage(
        session, start=period.start, end=period.end, scheme="old", area_code=province, points=False, viewer=viewer
    )
    new = coverage(session, start=period.start, end=period.end, scheme="new", points=False, viewer=viewer)
    totals = new.totals
    lines = [
        _period_line(period),
        f"Số buổi: {totals.sessions}; người dự: {totals.participants} (nữ {totals.women}, "
        f"dân tộc thiểu số {totals.ethnic}); xã đã đến: {sum(c.reached for c in new.communes)}/{len(new.communes)}; "
        f"thôn đã đến: {sum(v.reached for v in _known(new))}/{len(_known(new))}",
    ]
    by_district = Sheet(
        "Theo huyện (trước 2025)",
        [
            "Mã huyện",
            "Huyện",
            "Số xã",
            "Xã đã đến",
            "Số thôn đã biết",
            "Thôn đã đến",
            "Số buổi",
            "Người dự",
            "Nữ",
            "Dân tộc thiểu số",
        ],
    )
    for district in old.districts:
        communes = [c for c in old.communes if c.parent_code == district.code]
        codes = {c.code for c in communes}
        villages = [v for v in _known(old) if v.parent_code in codes]
        by_district.rows.append(
            [
                district.code,
                district.name,
                len(communes),
                sum(c.reached for c in communes),
                len(villages),
                sum(v.reached for v in villages),
                *_figures(district),
            ]
        )
    if old.unknown_old is not None and old.unknown_old.counts.sessions:  # so that the districts add up to the total
        by_district.rows.append(["", "Chưa xác định xã cũ", "", "", "", "", *_figures(old.unknown_old)])
    by_commune = Sheet(
        "Theo xã (từ 2025)",
        [
            "Mã xã",
            "Xã",
            "Số thôn đã biết",
            "Thôn đã đến",
            "Số buổi",
            "Người dự",
            "Nữ",
            "Dân tộc thiểu số",
            "Buổi gần nhất",
        ],
    )
    for commune in new.communes:
        villages = [v for v in _known(new) if v.parent_code == commune.code]
        by_commune.rows.append(
            [
                commune.code,
                commune.name,
                len(villages),
                sum(v.reached for v in villages),
                *_figures(commune),
                commune.last_session.isoformat() if commune.last_session else "",
            ]
        )
    missed = Sheet("Chưa đến trong kỳ", ["Cấp", "Mã", "Tên", "Xã (từ 2025)", "Buổi gần nhất"])
    names = {c.code: c.name for c in new.communes}
    for row in [*new.not_reached("commune"), *[v for v in new.not_reached("village") if v.status == "confirmed"]]:
        missed.rows.append(
            [
                "xã" if row.level == "commune" else "thôn",
                row.code,
                row.name,
                names.get(row.parent_code or "", "") if row.level == "village" else "",
                row.last_session.isoformat() if row.last_session else "chưa bao giờ",
            ]
        )
    title = f"Báo cáo sơ kết trợ giúp pháp lý lưu động — {period.label}"
    return Report(title, lines, [by_district, by_commune, missed])


def _known(cov: Coverage) -> list[PlaceRow]:
    return [v for v in cov.villages if v.status == "confirmed"]


def _figures(row: PlaceRow) -> list[int | str]:
    counts = row.counts
    return [counts.sessions, counts.participants, counts.women, counts.ethnic]


FIELDS = [
    ("hinh_su", "Hình sự"),
    ("dan_su", "Dân sự"),
    ("hon_nhan_gia_dinh", "Hôn nhân gia đình, trẻ em"),
    ("hanh_chinh", "Hành chính, khiếu nại"),
    ("dat_dai", "Đất đai, nhà ở, môi trường"),
    ("lao_dong", "Lao động, việc làm, bảo hiểm"),
    ("uu_dai_chinh_sach", "Ưu đãi người có công, chính sách xã hội"),
    ("khac", "Lĩnh vực khác"),
]
AID_FORMS = [
    ("tu_van", "Tư vấn pháp luật"),
    ("tham_gia_to_tung", "Tham gia tố tụng"),
    ("dai_dien_ngoai_to_tung", "Đại diện ngoài tố tụng"),
]
# Biểu 24's beneficiary columns, each person in exactly one: "poor and ethnic minority" when both are ticked,
# otherwise the first category ticked in the order of Article 7 (the precedence rule stated on the report).
BENEFICIARIES = [
    ("co_cong", "Người có công với cách mạng"),
    ("ho_ngheo", "Người thuộc hộ nghèo"),
    ("dtts_dbkk", "Người dân tộc thiểu số"),
    ("ngheo_va_dtts", "Người vừa thuộc hộ nghèo vừa là người DTTS"),
    ("tre_em", "Trẻ em"),
    ("buoc_toi_16_18", "Người bị buộc tội từ đủ 16 đến dưới 18 tuổi"),
    ("buoc_toi_can_ngheo", "Người bị buộc tội thuộc hộ cận nghèo"),
    ("kk_than_nhan_liet_si", "KKTC: thân nhân liệt sĩ"),
    ("kk_da_cam", "KKTC: nhiễm chất độc da cam"),
    ("kk_cao_tuoi", "KKTC: người cao tuổi"),
    ("kk_khuyet_tat", "KKTC: người khuyết tật"),
    ("kk_bi_hai_16_18", "KKTC: bị hại từ đủ 16 đến dưới 18 tuổi"),
    ("kk_bao_luc_gia_dinh", "KKTC: nạn nhân bạo lực gia đình"),
    ("kk_mua_ban_nguoi", "KKTC: nạn nhân mua bán người"),
    ("kk_hiv", "KKTC: người nhiễm HIV"),
]
ARTICLE_7_ORDER = [
    "co_cong",
    "ho_ngheo",
    "tre_em",
    "dtts_dbkk",
    "buoc_toi_16_18",
    "buoc_toi_can_ngheo",
    "kk_than_nhan_liet_si",
    "kk_da_cam",
    "kk_cao_tuoi",
    "kk_khuyet_tat",
    "kk_bi_hai_16_18",
    "kk_bao_luc_gia_dinh",
    "kk_mua_ban_nguoi",
    "kk_hiv",
]
PRECEDENCE = (
    "Mỗi người tính vào một cột đối tượng: 'vừa hộ nghèo vừa DTTS' khi có cả hai; nếu không, đối tượng "
    "đầu tiên theo thứ tự Điều 7 Luật TGPL 2017."
)
PROVIDERS = [
    ("tro_giup_vien", "Trợ giúp viên pháp lý"),
    ("luat_su", "Luật sư"),
    ("cong_tac_vien", "Cộng tác viên TGPL"),
]


def beneficiary(categories: set[str]) -> str | None:
    """The one Biểu 24 column a person is counted in (see PRECEDENCE)."""
    if {"ho_ngheo", "dtts_dbkk"} <= categories:
        return "ngheo_va_dtts"
    return next((c for c in ARTICLE_7_ORDER if c in categories), None)


def _people(
    session: Session, period: Period, *, accepted_only: bool
) -> tuple[list[PersonFact], dict[int, set[str]], int]:
    people = session.exec(
        select(PersonFact).where(col(PersonFact.intake_date) >= period.start, col(PersonFact.intake_date) <= period.end)
    ).all()
    refused = sum(1 for p in people if not p.consent)
    people = [p for p in people if p.consent and (p.accepted or not accepted_only)]
    categories: dict[int, set[str]] = defaultdict(set)
    ids = [p.submission_id for p in people]
    if ids:
        for link in session.exec(select(PersonCategory).where(col(PersonCategory.submission_id).in_(ids))).all():
            categories[link.submission_id].add(link.category)
    return list(people), categories, refused


def _period_line(period: Period) -> str:
    return f"Kỳ {period.label}: từ {period.start:%d/%m/%Y} đến {period.end:%d/%m/%Y} — {period.rule_text}"


PROTECTED = (
    'Số liệu cho người xem: 1-4 người ghi "<5", số khác làm tròn tới bội số của 5, để không thể suy ra một người '
    "từ hiệu của các ô, các dòng hay các kỳ."
)


def _protected(report: Report) -> Report:
    """A viewer's copy of a report counting people: every count goes through suppress (1-4 → "<5", others to a
    multiple of 5), the first two columns being labels. Rounding every cell, totals included, is what keeps a
    suppressed cell from coming back as a total minus the other rows, or as one period minus another."""
    for sheet in report.sheets:
        sheet.rows = [[*row[:2], *(suppress(c) if isinstance(c, int) else c for c in row[2:])] for row in sheet.rows]
    report.lines.append(PROTECTED)
    return report


def bieu24(session: Session, *, period: Period, viewer: bool = False) -> Report:
    """Biểu số 24/BTP/TGPL: people helped (lượt người) by field of law and form of aid, by sex and beneficiary;
    for a viewer, protected (_protected)."""
    people, categories, refused = _people(session, period, accepted_only=False)
    header = ["Lĩnh vực", "Hình thức", "Tổng số", "Nam", "Nữ", *(label for _, label in BENEFICIARIES)]
    sheet = Sheet("Biểu 24", header)
    for field_code, field_label in [*FIELDS, ("", "Tổng cộng")]:
        for aid_code, aid_label in AID_FORMS if field_code else [("", "")]:
            rows = [p for p in people if (not field_code or (p.field_of_law == field_code and p.aid_form == aid_code))]
            columns = [beneficiary(categories[p.submission_id]) for p in rows]
            sheet.rows.append(
                [
                    field_label,
                    aid_label,
                    len(rows),
                    sum(p.sex == "nam" for p in rows),
                    sum(p.sex == "nu" for p in rows),
                    *(columns.count(code) for code, _ in BENEFICIARIES),
                ]
            )
    lines = [
        _period_line(period),
        PRECEDENCE,
        f"Không tính {suppress(refused) if viewer else refused} người từ chối cung cấp thông tin (chỉ đếm ẩn danh).",
    ]
    report = Report("Biểu số 24/BTP/TGPL — Số lượt người đã được trợ giúp pháp lý", lines, [sheet])
    return _protected(report) if viewer else report


def bieu25(session: Session, *, period: Period, viewer: bool = False) -> Report:
    """Biểu số 25/BTP/TGPL: cases (vụ việc, requests accepted) by field of law and form of aid, by provider;
    for a viewer, protected (_protected)."""
    cases, _categories, _refused = _people(session, period, accepted_only=True)
    header = ["Lĩnh vực", "Hình thức", "Tổng số vụ việc thụ lý trong kỳ", *(label for _, label in PROVIDERS), "Khác"]
    sheet = Sheet("Biểu 25", header)
    known = {code for code, _ in PROVIDERS}
    for field_code, field_label in [*FIELDS, ("", "Tổng cộng")]:
        for aid_code, aid_label in AID_FORMS if field_code else [("", "")]:
            rows = [p for p in cases if (not field_code or (p.field_of_law == field_code and p.aid_form == aid_code))]
            sheet.rows.append(
                [
                    field_label,
                    aid_label,
                    len(rows),
                    *(sum(p.provider_role == c for p in rows) for c, _ in PROVIDERS),
                    sum(p.provider_role not in known for p in rows),
                ]
            )
    lines = [
        _period_line(period),
        "Vụ việc = yêu cầu đã thụ lý (accepted) có ngày tiếp nhận trong kỳ; số vụ việc kỳ "
        "trước chuyển sang và kết thúc chưa được theo dõi.",
    ]
    report = Report("Biểu số 25/BTP/TGPL — Số vụ việc trợ giúp pháp lý", lines, [sheet])
    return _protected(report) if viewer else report
