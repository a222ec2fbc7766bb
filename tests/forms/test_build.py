"""Building XLSForms with pyxform, checking them with ODK Validate, and reading the built XForm."""

from __future__ import annotations

import pytest

from forms.build import build_xlsform, validate_xform
from forms.xform import read_xform
from server.cli.setup import builtin_forms
from server.core.errors import FormInvalid
from server.places.media import DATASETS

FORM = """
| survey |
| | type | name | label | media::image |
| | text | name | Tên | logo.png |
| | begin_group | g | Nhóm | |
| | image | photo | Ảnh | |
| | end_group | | | |
| | select_one_from_file places.csv | place | Nơi | |
| settings |
| | form_id | version | form_title |
| | demo | 2026112601 | Biểu mẫu thử |
"""


def test_read_xform_finds_id_version_title_binaries_and_media(java: None) -> None:
    info = read_xform(build_xlsform(FORM, file_type=".md").xform)
    assert (info.form_id, info.version, info.title) == ("demo", "2026112601", "Biểu mẫu thử")
    assert info.binary_paths == ("/data/g/photo",)
    assert info.media == ("logo.png", "places.csv")


def test_pyxform_errors_become_form_invalid() -> None:
    with pytest.raises(FormInvalid, match="XLSForm"):
        build_xlsform("| survey |\n| | type | name | label |\n| | no_such_type | q | Q |\n", file_type=".md")


def test_odk_validate_rejects_what_javarosa_cannot_load(java: None) -> None:
    xform = build_xlsform(FORM, file_type=".md").xform.replace(
        b'type="binary"', b'type="binary" relevant="count(/data/g/photo"'
    )
    with pytest.raises(FormInvalid, match="ODK Validate"):
        validate_xform(xform)


def test_builtin_forms_build_validated_with_their_media(java: None) -> None:
    forms = builtin_forms()
    assert forms, "forms/xlsform must ship at least the placeholder form"
    for path, media in forms:
        built = build_xlsform(path)
        assert built.validated
        assert built.warnings == ()
        info = read_xform(built.xform)
        shipped_or_generated = {m.name for m in media} | set(DATASETS)
        assert set(info.media) <= shipped_or_generated, f"{path.name} references media it does not ship"
