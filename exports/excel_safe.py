"""Formula-injection guard for exports meant to be opened in a spreadsheet (labelled CSV, XLSX).

Not applied to the Central-layout CSV zip: that one is verbatim, so that it matches Central byte for byte and
tools reading it get the values as sent.
"""

from __future__ import annotations

# A cell starting with one of these is read as a formula (or the start of one) by Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(value: str) -> str:
    """The value with a leading apostrophe when a spreadsheet would otherwise read it as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
