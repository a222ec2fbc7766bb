"""What an uploaded XLSForm workbook must be before pyxform reads it: an .xlsx, no macros, bounded in size."""

from __future__ import annotations

import io
import zipfile
from itertools import islice

from defusedxml import ElementTree

from server.core.errors import FormInvalid, TooLarge

MAX_ENTRIES = 1000
MAX_EXPANDED = 100 * 1024 * 1024  # what the zip may expand to (a real XLSForm is well under 5 MB)
MAX_ROWS = 20_000  # per sheet; longer choice lists belong in a CSV file (select_one_from_file)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MACRO_PARTS = ("vbaproject.bin", "vbaprojectsignature.bin", "macrosheets/", "activex/")


def check_workbook(data: bytes) -> None:
    """Refuse what pyxform should never open: not an .xlsx, a zip bomb, a macro workbook, huge sheets."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise FormInvalid(
            "Tệp tải lên không phải bảng tính .xlsx (XLSForm).",
            "The upload is not an .xlsx workbook (XLSForm); save it from Excel or LibreOffice as .xlsx.",
        ) from error
    if len(entries) > MAX_ENTRIES or sum(entry.file_size for entry in entries) > MAX_EXPANDED:
        raise TooLarge(
            "Tệp .xlsx giải nén ra quá lớn; máy chủ không mở.",
            f"The .xlsx expands to more than {MAX_ENTRIES} files or {MAX_EXPANDED // 2**20} MB; it was not opened.",
        )
    names = {entry.filename.lower() for entry in entries}
    if "[content_types].xml" not in names or not any(name.startswith("xl/") for name in names):
        raise FormInvalid(
            "Tệp tải lên là tệp nén nhưng không phải bảng tính .xlsx.",
            "The upload is a zip archive but not an .xlsx workbook.",
        )
    if any(part in name for name in names for part in MACRO_PARTS):
        raise FormInvalid(
            "Bảng tính có macro (VBA/ActiveX); hãy lưu lại thành .xlsx không macro.",
            "The workbook contains macros (VBA or ActiveX); save it again as a macro-free .xlsx.",
        )
    _check_rows(data)


def _check_rows(data: bytes) -> None:
    """Count each sheet's rows in its XML, stopping at the limit; no cell is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for title, path in _sheets(archive):
                with archive.open(path) as xml:
                    rows = (1 for _event, element in ElementTree.iterparse(xml) if element.tag == f"{{{MAIN}}}row")
                    if sum(islice(rows, MAX_ROWS + 1)) > MAX_ROWS:
                        raise FormInvalid(
                            f"Trang {title!r} có hơn {MAX_ROWS} dòng; danh sách lớn hãy đưa vào tệp CSV "
                            "(select_one_from_file).",
                            f"Sheet {title!r} has more than {MAX_ROWS} rows; put long choice lists in a CSV file "
                            "(select_one_from_file).",
                        )
    except FormInvalid:
        raise
    except Exception as error:  # zipfile and expat raise many kinds for a damaged file; all mean one thing here
        raise FormInvalid(
            f"Không đọc được bảng tính: {str(error)[:200]}", f"The workbook cannot be read: {str(error)[:200]}"
        ) from error


def _sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(title, part path) of each worksheet, from xl/workbook.xml and its relationships."""
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        if rel.get("Type", "").endswith("/worksheet")
    }
    sheets = ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{{{MAIN}}}sheet")
    paths = [(sheet.get("name", "?"), targets.get(sheet.get(f"{{{RELATIONSHIPS}}}id"))) for sheet in sheets]
    return [
        (title, target.lstrip("/") if target.startswith("/") else f"xl/{target}") for title, target in paths if target
    ]
