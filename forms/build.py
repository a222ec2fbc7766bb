"""Build an XLSForm into an XForm with pyxform and check it with ODK Validate (JavaRosa)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyxform.errors import PyXFormError
from pyxform.validators.odk_validate import ODKValidateError, check_xform
from pyxform.xls2xform import convert

from server.core.errors import FormInvalid


@dataclass(frozen=True, slots=True)
class BuiltForm:
    """An XForm built from an XLSForm, with what pyxform and ODK Validate had to say."""

    xform: bytes
    warnings: tuple[str, ...]
    validated: bool  # False only when Java is missing and ODK Validate could not run


def java_available() -> bool:
    """Whether ODK Validate can run (it needs a Java runtime on PATH)."""
    return shutil.which("java") is not None


def build_xlsform(source: Path | str, *, file_type: str | None = None) -> BuiltForm:
    """Convert an XLSForm (a file path, or markdown text with file_type='.md') and validate the result."""
    warnings: list[str] = []
    try:
        result = convert(xlsform=source, warnings=warnings, file_type=file_type)
    except PyXFormError as error:
        raise FormInvalid(f"Biểu mẫu XLSForm có lỗi: {error}", f"The XLSForm has an error: {error}") from error
    xform = result.xform.encode("utf-8")
    validator_warnings, validated = validate_xform(xform)
    return BuiltForm(xform=xform, warnings=(*warnings, *validator_warnings), validated=validated)


def validate_xform(xform: bytes) -> tuple[list[str], bool]:
    """Run ODK Validate on XForm bytes: (warnings, ran); raises FormInvalid when JavaRosa rejects the form."""
    if not java_available():
        return ["ODK Validate skipped: Java not found (install openjdk-17-jre-headless)."], False
    with tempfile.TemporaryDirectory(prefix="tgpl-validate-") as tmp:
        path = Path(tmp) / "form.xml"
        path.write_bytes(xform)
        try:
            return list(check_xform(str(path))), True
        except ODKValidateError as error:
            raise FormInvalid(
                f"ODK Validate từ chối biểu mẫu: {error}", f"ODK Validate rejected the form: {error}"
            ) from error
