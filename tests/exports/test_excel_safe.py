"""The formula guard for spreadsheet exports (never applied to the verbatim Central CSV)."""

from __future__ import annotations

import pytest

from exports.excel_safe import guard


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+84 912 345 678", "'+84 912 345 678"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Nà Pài", "Nà Pài"),
        ("1+1=2", "1+1=2"),
        ("", ""),
    ],
)
def test_guard_prefixes_what_a_spreadsheet_would_evaluate(value: str, shown: str) -> None:
    assert guard(value) == shown
