"""Reporting periods under the two calendars."""

from __future__ import annotations

from datetime import date

import pytest

from server.core.periods import parse_period


@pytest.mark.parametrize(
    ("text", "rule", "start", "end"),
    [
        ("2026-H1", "work", date(2025, 12, 15), date(2026, 6, 14)),
        ("2026", "work", date(2025, 12, 15), date(2026, 12, 14)),
        ("2026-Q3", "work", date(2026, 6, 15), date(2026, 9, 14)),
        ("2026-H1", "stat", date(2026, 1, 1), date(2026, 5, 31)),
        ("2026", "stat", date(2026, 1, 1), date(2026, 11, 30)),
        ("2026-H2", "stat", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026", "stat-official", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-q2", "stat-official", date(2026, 4, 1), date(2026, 6, 30)),
    ],
)
def test_periods(text: str, rule: str, start: date, end: date) -> None:
    period = parse_period(text, rule)
    assert (period.start, period.end) == (start, end)
    assert period.rule_text


@pytest.mark.parametrize(("text", "rule"), [("2026-H3", "work"), ("26", "work"), ("2026", "monthly")])
def test_bad_periods(text: str, rule: str) -> None:
    with pytest.raises(ValueError, match="period"):
        parse_period(text, rule)
