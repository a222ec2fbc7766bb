"""The checks an uploaded workbook passes before pyxform opens it (forms/workbook.py)."""

from __future__ import annotations

import pytest

from forms.workbook import MAX_ROWS, check_workbook
from server.cli.setup import BUILTIN_FORMS
from server.core.errors import FormInvalid, TooLarge
from tests.hostile.workbooks import form, xlsx


@pytest.mark.parametrize("name", ["tgpl_session.xlsx", "tgpl_person.xlsx"])
def test_the_built_in_questionnaires_pass(name: str) -> None:
    check_workbook((BUILTIN_FORMS / name).read_bytes())


def test_a_sheet_at_the_row_limit_passes_and_one_more_row_is_refused_by_name() -> None:
    rows = [["list_name", "name", "label"]] + [["l", f"c{n}", "x"] for n in range(MAX_ROWS - 1)]
    check_workbook(form(choices=rows))
    with pytest.raises(FormInvalid, match="'choices' has more than 20000 rows"):
        check_workbook(form(choices=[*rows, ["l", "one_more", "x"]]))


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"type,name,label\n", FormInvalid, "not an .xlsx"),
        (xlsx({"survey": [["type"]]}, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"}), FormInvalid, "macros"),
        (xlsx({"survey": [["type"]]}, extra={"xl/media/zero.bin": bytes(101 * 2**20)}), TooLarge, "expands"),
    ],
    ids=["csv", "macro", "zip-bomb"],
)
def test_what_pyxform_never_opens(data: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        check_workbook(data)
