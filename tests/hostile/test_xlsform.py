"""Hostile XLSForm uploads on the forms page (POST /forms, an admin's only way in besides `tgpl forms publish`,
which goes through the same server.publishing.forms): each gets a page with a clear message and nothing is published.

Workbooks are built here with openpyxl (the XLSForm visible as rows) or generated (zip bombs): nothing binary is
committed."""

from __future__ import annotations

import io
import json
import zipfile
from functools import cache
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.cli_runner import tgpl
from tests.hostile.checks import Case, State, page_text, params
from tests.hostile.workbooks import SETTINGS, SURVEY, form, xlsx
from tests.hostile.world import Site


@cache
def zip_bomb() -> bytes:
    """110 MB of zeros in a 110 kB zip, with an XLSForm's parts around it."""
    return xlsx({"survey": SURVEY, "settings": SETTINGS}, extra={"xl/media/zeros.bin": bytes(110 * 2**20)})


def many_entries() -> bytes:
    """An .xlsx with 2,000 tiny parts."""
    return xlsx({"survey": SURVEY}, extra={f"xl/media/{n}.bin": b"x" for n in range(2000)})


def macro_workbook() -> bytes:
    """A valid XLSForm saved as a macro workbook (vbaProject.bin inside, as Excel writes an .xlsm)."""
    vba = b"\xd0\xcf\x11\xe0" + b"Attribute VB_Name" * 20
    return xlsx({"survey": SURVEY, "settings": SETTINGS}, extra={"xl/vbaProject.bin": vba})


def not_xlsx_zip() -> bytes:
    """A zip of a text file."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "không phải bảng tính")
    return out.getvalue()


@cache
def enormous_choices() -> bytes:
    """A select_one with 30,000 choices (pyxform and ODK Validate would take minutes on the largest lists); the
    choices sheet's XML is written directly, as openpyxl would take seconds to write it."""
    small = form([["type", "name", "label"], ["select_one lon", "q", "Q"]], choices=[["list_name", "name", "label"]])
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>lon</t></is></c><c r="B{n}" t="inlineStr"><is><t>c{n}</t>'
        f'</is></c><c r="C{n}" t="inlineStr"><is><t>Lựa chọn {n}</t></is></c></row>'
        for n in range(2, 30_002)
    )
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>list_name</t></is></c><c r="B1" t="inlineStr"><is><t>name</t>'
        f'</is></c><c r="C1" t="inlineStr"><is><t>label</t></is></c></row>{cells}</sheetData></worksheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(small)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            choices = entry.filename == "xl/worksheets/sheet2.xml"  # survey, choices, settings in that order
            target.writestr(entry.filename, sheet.encode() if choices else source.read(entry))
    return out.getvalue()


def corrupt_sheet() -> bytes:
    """An .xlsx whose sheet XML is cut in half."""
    source = io.BytesIO(form())
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as target:
        for entry in original.infolist():
            data = original.read(entry)
            target.writestr(entry, data[: len(data) // 2] if entry.filename.startswith("xl/worksheets/") else data)
    return out.getvalue()


CASES = [
    Case("not-a-spreadsheet", lambda: b"type,name,label\ntext,q,Q\n", 422, "không phải bảng tính"),
    Case("empty-file", lambda: b"", 422, "không phải bảng tính"),
    Case("png-renamed", lambda: b"\x89PNG\r\n\x1a\n" + bytes(500), 422, "không phải bảng tính"),
    Case("legacy-xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), 422, "không phải bảng tính"),
    Case("zip-not-xlsx", not_xlsx_zip, 422, "không phải bảng tính"),
    Case("zip-bomb", zip_bomb, 413, "quá lớn"),
    Case("thousands-of-entries", many_entries, 413, "quá lớn"),
    Case("macro-workbook", macro_workbook, 422, "macro"),
    Case("corrupt-sheet", corrupt_sheet, 422, "Không đọc được"),
    Case("enormous-choice-list", enormous_choices, 422, "20000"),
    Case("no-survey-sheet", lambda: xlsx({"settings": SETTINGS}), 422, "survey"),
    Case(
        "unknown-question-type", lambda: form([["type", "name", "label"], ["bogus_type", "q", "Q"]]), 422, "bogus_type"
    ),
    Case(
        "duplicate-names", lambda: form([["type", "name", "label"], ["text", "q", "A"], ["text", "q", "B"]]), 422, "q"
    ),
    Case(
        "missing-choice-list",
        lambda: form([["type", "name", "label"], ["select_one nowhere", "q", "Q"]]),
        422,
        "choices",
    ),
    Case(
        "script-in-question-type",
        lambda: form([["type", "name", "label"], ["<script>alert(1)</script>", "q", "Q"]]),
        422,
        "&lt;script&gt;",
    ),
    Case(
        "missing-media",
        lambda: form([["type", "name", "label"], ["select_one_from_file lists.csv", "q", "Q"]]),
        422,
        "lists.csv",
    ),
    Case("no-file-chosen", lambda: None, 200, "Chưa chọn tệp XLSForm"),  # the page asks for the file
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_xlsform_upload(site: Site, case: Case) -> None:
    data = case.payload()
    admin = site.signed_in("admin")
    files = {"xlsform": ("form.xlsx", data, "application/octet-stream")} if data is not None else None
    before = site.world.state()
    response = admin.http.post("/forms", data={"csrf": admin.csrf("/forms")}, files=files or {"media": ("", b"")})
    assert response.status_code == case.status, response.text[-800:]
    text = page_text(response)
    assert case.says in text
    assert "<script>alert" not in text
    site.world.assert_alive()
    assert admin.http.get("/forms").status_code == 200
    site.world.state().assert_nothing_half_written(before, case.changes)


def test_same_version_with_other_content_is_a_409_page(site: Site) -> None:
    """Publishing twice is a no-op; the same version with other questions is refused (raise the version)."""
    admin = site.signed_in("admin")

    def upload(workbook: bytes) -> object:
        files = {"xlsform": ("form.xlsx", workbook, "application/octet-stream")}
        return admin.http.post("/forms", data={"csrf": admin.csrf("/forms")}, files=files)

    first = upload(form(settings=[["form_id", "version"], ["twice", "1"]]))
    assert first.status_code == 200  # type: ignore[attr-defined]
    before = site.world.state()
    other = upload(form([["type", "name", "label"], ["integer", "n", "N"]], [["form_id", "version"], ["twice", "1"]]))
    assert other.status_code == 409  # type: ignore[attr-defined]
    assert "tăng số phiên bản" in page_text(other)  # type: ignore[arg-type]
    site.world.state().assert_nothing_half_written(before, frozenset())


def test_same_version_with_other_media_leaves_no_blob(site: Site) -> None:
    """A republish refused for changed media keeps nothing of the refused files; a media name with a path is
    reduced to its file name (never a path on the server)."""
    admin = site.signed_in("admin")
    workbook = form([["type", "name", "label"], ["select_one_from_file lists.csv", "q", "Q"]],
                    [["form_id", "version"], ["with_media", "1"]])  # fmt: skip

    def upload(media: bytes, name: str = "lists.csv") -> httpx.Response:
        files = [("xlsform", ("form.xlsx", workbook, "application/octet-stream")), ("media", (name, media, "text/csv"))]
        return admin.http.post("/forms", data={"csrf": admin.csrf("/forms")}, files=files)

    first = upload(b"name,label\na,A\n", name="../../../lists.csv")
    assert first.status_code == 200, first.text[-500:]
    assert "with_media 1: OK" in page_text(first)
    before = site.world.state()
    other = upload(b"name,label\nb,B\n")
    assert other.status_code == 409
    assert "tăng số phiên bản" in page_text(other)
    site.world.state().assert_nothing_half_written(before, frozenset())
    assert not list(site.world.phone.live.settings.data_dir.parent.rglob("lists.csv"))


ON_THE_COMMAND_LINE = ("zip-bomb", "macro-workbook")  # a tgpl process each: the rest is shared code


@pytest.mark.parametrize("case", params(c for c in CASES if c.id in ON_THE_COMMAND_LINE))
def test_hostile_workbook_on_the_command_line(case: Case, env: dict[str, str], engine: Engine, tmp_path: Path) -> None:
    """`tgpl forms publish` applies the web upload's checks: the same refusal, in words, and nothing published."""
    path = tmp_path / "form.xlsx"
    path.write_bytes(case.payload())
    before = State.of(engine, tmp_path / "var" / "blobs")
    refused = tgpl(env, "forms", "publish", str(path), "--json", ok=False)
    assert refused.returncode == 1
    assert json.loads(refused.stderr)["error"].startswith(str(case.status))
    assert case.says in refused.stderr
    State.of(engine, tmp_path / "var" / "blobs").assert_nothing_half_written(before, frozenset())
