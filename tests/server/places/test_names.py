"""One normalisation for Vietnamese names: case, diacritics, đ, tone-mark placement and unit-type words."""

from __future__ import annotations

import unicodedata

import pytest

from server.places.names import fold, name_key, nfc, similarity


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Xã Hoà Mục", "Xã Hòa Mục"),  # tone mark on a or on o
        ("Thuỷ", "Thủy"),
        ("Đồng Xá", "dong xa"),
        ("Thôn Nà Pài", "na pai"),
        ("Bản Nà Pài", "ban na pai"),
        ("NÀ PÀI", "Nà  Pài "),
        ("Thị trấn Chợ Rã", "cho ra"),
        ("Tổ dân phố 3", "tổ 3"),
    ],
)
def test_spellings_of_one_name_share_a_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_decomposed_input_is_stored_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Xã Nà Phặc")
    assert nfc(decomposed) == "Xã Nà Phặc"
    assert unicodedata.is_normalized("NFC", nfc(decomposed))
    assert fold(decomposed) == "xa na phac"


def test_only_one_leading_unit_word_is_dropped() -> None:
    assert name_key("Xã Bản Thi") == "ban thi"  # "Bản Thi" is the name itself
    assert name_key("Bản") == "ban"  # a name that is only a unit word stays
    assert fold("Xã Bản Thi") == "xa ban thi"


def test_similarity_sees_through_spelling_but_not_other_names() -> None:
    assert similarity("Thôn Nà Pài", "Bản Napài") == 1.0
    assert similarity("Nà Pài", "Nà Phài") > 0.8
    assert similarity("Nà Pài", "Khuổi Nộc") < 0.5


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Xã Sỹ Bình", "Sĩ Bình"),  # old and new spelling of a final i
        ("Kỳ Sơn", "ki son"),
        ("ÐỒNG XÁ", "Đồng Xá"),  # U+00D0, the look-alike of Đ
        ("Tổ dân phố số 03", "TDP 3"),
        ("Thôn 01", "thôn 1"),
        ("Khu phố 2", "Tiểu khu 2"),
        ("TT Chợ Rã", "Thị trấn Chợ Rã"),
    ],
)
def test_more_spellings_of_one_name(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_y_after_a_vowel_stays() -> None:
    assert fold("Thủy Tày Nguyễn") == "thuy tay nguyen"


def test_a_unit_word_kept_on_one_side_only_still_matches() -> None:
    assert similarity("Thôn Bản Chang", "Bản Chang") == 1.0
