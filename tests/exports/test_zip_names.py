"""Names inside the zip: table files cleaned like Central's sanitize-filename, media names checked."""

from __future__ import annotations

import pytest

from exports.zip_names import is_safe_media_name, sanitize_file_name


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("census-village.csv", "census-village.csv"),
        ('a/b\\c:d*e?"f<g>h|.csv', "abcdefgh.csv"),
        ("..", ""),
        ("x. ", "x"),
    ],
)
def test_sanitize_file_name(name: str, clean: str) -> None:
    assert sanitize_file_name(name) == clean


@pytest.mark.parametrize("name", ["1712345678901.jpg", "ảnh thẻ.png", "audit.csv", "a.b.c"])
def test_safe_media_names(name: str) -> None:
    assert is_safe_media_name(name)


@pytest.mark.parametrize("name", ["", ".", "..", "../x.jpg", "a/b.jpg", "a\\b.jpg", "x..jpg", "a\nb.jpg", "é" * 200])
def test_unsafe_media_names(name: str) -> None:
    assert not is_safe_media_name(name)
