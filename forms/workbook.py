"""What an uploaded XLSForm workbook must be before pyxform reads it: an .xlsx, no macros, bounded in size."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from server.errors import FormInvalid, TooLarge

MAX_ENTRIES = 1000
MAX_EXPANDED = 100 * 1024 * 1024  # what the zip may expand to (a real XLSForm is well under 5 MB)
MAX_ROWS = 20_000  # per sheet; longer choice lists belong in a CSV file (select_one_from_file)
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
    """Count rows sheet by sheet, stopping at the limit (the read-only reader streams; nothing is built)."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file; all mean the same to a person
        raise FormInvalid(
            f"Không đọc được bảng tính: {str(error)[:200]}", f"The workbook cannot be read: {str(error)[:200]}"
        ) from error
    try:
        for sheet in workbook.worksheets:
            for count, _row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if count > MAX_ROWS:
                    raise FormInvalid(
                        f"Trang {sheet.title!r} có hơn {MAX_ROWS} dòng; danh sách lớn hãy đưa vào tệp CSV "
                        "(select_one_from_file).",
                        f"Sheet {sheet.title!r} has more than {MAX_ROWS} rows; put long choice lists in a CSV file "
                        "(select_one_from_file).",
                    )
    except FormInvalid:
        raise
    except Exception as error:  # a damaged sheet (bad CRC, broken XML) found while streaming it
        raise FormInvalid(
            f"Không đọc được bảng tính: {str(error)[:200]}", f"The workbook cannot be read: {str(error)[:200]}"
        ) from error
    finally:
        workbook.close()
