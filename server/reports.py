"""Periodic reports built from coverage and fact rows: the directive review (and, later, Biểu 24/25)."""

from __future__ import annotations

from sqlmodel import Session

from exports.report_files import Report, Sheet
from server.coverage import Coverage, PlaceRow, coverage
from server.periods import Period


def directive_review(session: Session, *, period: Period, province: str | None = None) -> Report:
    """Sessions, participants and places reached and not reached: by district (pre-2025) and by commune (2025)."""
    old = coverage(session, start=period.start, end=period.end, scheme="old", area_code=province)
    new = coverage(session, start=period.start, end=period.end, scheme="new")
    totals = new.totals
    lines = [
        f"Kỳ {period.label}: từ {period.start:%d/%m/%Y} đến {period.end:%d/%m/%Y} — {period.rule_text}",
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
