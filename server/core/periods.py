"""Reporting periods and their cut-off rules: the statistical calendar of TT 03/2019/TT-BTP and the work-report
calendar of Decree 09/2019/NĐ-CP. Every report states which rule and which dates it used."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

RULES = {
    "work": "Nghị định 09/2019/NĐ-CP: số liệu từ 15/12 năm trước (work reports)",
    "stat": "Thông tư 03/2019/TT-BTP: số liệu thực tế đến 31/5 (6 tháng), 30/11 (năm)",
    "stat-official": "Thông tư 03/2019/TT-BTP, báo cáo năm chính thức: cả năm dương lịch",
}
PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<part>H[12]|Q[1-4]))?$")


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: its label, the dates whose records it counts, and the rule those dates follow."""

    label: str
    start: date
    end: date
    rule: str

    @property
    def rule_text(self) -> str:
        """The rule in words, as printed on the report."""
        return RULES[self.rule]


def parse_period(text: str, rule: str = "work") -> Period:
    """'2026-H1', '2026-Q3' or '2026' under a rule (work, stat or stat-official)."""
    match = PERIOD.match(text.strip().upper())
    if match is None or rule not in RULES:
        raise ValueError(f"a period is YYYY, YYYY-H1/H2 or YYYY-Q1..Q4, and the rule one of {', '.join(RULES)}")
    year, part = int(match["year"]), match["part"] or "Y"
    first_month, last_month = {"Y": (1, 12), "H1": (1, 6), "H2": (7, 12), "Q1": (1, 3), "Q2": (4, 6), "Q3": (7, 9),
                               "Q4": (10, 12)}[part]  # fmt: skip
    if rule == "work":
        # Decree 09/2019 Art. 12: from the 15th of the month before the period to the 14th of its last month.
        start = date(year - 1, 12, 15) if first_month == 1 else date(year, first_month - 1, 15)
        return Period(text.strip().upper(), start, date(year, last_month, 14), rule)
    start = date(year, first_month, 1)
    end = _month_end(year, last_month)
    if rule == "stat" and part in ("H1", "Y"):
        end = date(year, 5, 31) if part == "H1" else date(year, 11, 30)  # actual data; the rest is estimated
    return Period(text.strip().upper(), start, end, rule)


def _month_end(year: int, month: int) -> date:
    return date(year, 12, 31) if month == 12 else date.fromordinal(date(year, month + 1, 1).toordinal() - 1)
