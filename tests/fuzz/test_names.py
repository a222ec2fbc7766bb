"""Properties of the one normalisation of place names (server/places/names.py), over generated names."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import assume, given
from hypothesis import strategies as st

from server.places.names import UNIT_PREFIXES, fold, name_key, nfc, similarity
from tests.fuzz.budget import bounded

TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # ngang, huyền, sắc, ngã, hỏi, nặng
VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "p", "ph",
          "qu", "r", "s", "t", "th", "tr", "v", "x")  # fmt: skip
# Rhymes where the tone may sit on either vowel (old style Hoà, Thuỷ; new style Hòa, Thủy), with what may follow.
GLIDES = (("o", "a", ("", "n", "ng", "i", "c", "t")), ("o", "e", ("", "n", "t")), ("u", "y", ("", "n", "t", "nh")))
FINALS = ("", "c", "ch", "i", "m", "n", "ng", "nh", "o", "p", "t", "u", "y")
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)  # every plane, lone surrogates too


@st.composite
def syllables(draw: st.DrawFn) -> str:
    """One Vietnamese syllable written with precomposed letters (NFC), in lower case."""
    tone = draw(st.sampled_from(TONES))
    return nfc(draw(st.sampled_from(ONSETS)) + draw(st.sampled_from(VOWELS)) + tone + draw(st.sampled_from(FINALS)))


def names(syllable: st.SearchStrategy[str] = syllables()) -> st.SearchStrategy[str]:
    """A place name of one to five syllables, numbers allowed ("Tổ 3")."""
    word = st.one_of(syllable, syllable, syllable, st.integers(0, 999).map(str))
    return st.lists(word, min_size=1, max_size=5).map(" ".join)


@given(ANY_TEXT)
@bounded(300)
def test_fold_never_raises_and_gives_plain_ascii_words(text: str) -> None:
    folded = fold(text)
    assert re.fullmatch(r"(?:[0-9a-z]+(?: [0-9a-z]+)*)?", folded), folded
    assert name_key(text) == name_key(folded)
    assert 0.0 <= similarity(text, folded) <= 1.0


@given(ANY_TEXT)
@bounded(200)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(names(), st.sampled_from(("NFC", "NFD")), st.sampled_from((str.lower, str.upper, str.title, str.swapcase)))
@bounded(200)
def test_normal_form_and_case_variants_fold_alike(name: str, form: str, case: object) -> None:
    variant = unicodedata.normalize(form, case(name))  # type: ignore[operator]
    assert fold(variant) == fold(name)
    assert name_key(variant) == name_key(name)
    assert similarity(variant, name) == 1.0


@st.composite
def glide_syllable(draw: st.DrawFn) -> tuple[str, str]:
    """The same syllable with its tone on the first and on the second vowel: ('hoà', 'hòa'), ('thuỷ', 'thủy')."""
    first, second, finals = draw(st.sampled_from(GLIDES))
    onsets = ("", "h", "kh", "l", "ng", "th", "t", "x") if first == "o" else ("h", "th", "kh", "s")
    onset = draw(st.sampled_from(onsets))
    tone = draw(st.sampled_from(TONES[1:]))
    final = draw(st.sampled_from(finals))
    return nfc(onset + first + tone + second + final), nfc(onset + first + second + tone + final)


@given(st.lists(st.tuples(glide_syllable(), syllables()), min_size=1, max_size=3), st.booleans())
@bounded(200)
def test_tone_mark_placement_does_not_matter(pairs: list[tuple[tuple[str, str], str]], capital: bool) -> None:
    old = " ".join(f"{glide[0]} {plain}" for glide, plain in pairs)
    new = " ".join(f"{glide[1]} {plain}" for glide, plain in pairs)
    assert old != new
    if capital:
        old, new = old.title(), new.upper()
    assert fold(old) == fold(new)
    assert name_key(old) == name_key(new)


@given(names())
@bounded(200)
def test_d_with_stroke_and_its_look_alike_fold_to_d(name: str) -> None:
    assert fold(name.replace("đ", "d")) == fold(name.replace("đ", "Ð")) == fold(name.replace("d", "Đ"))


@given(st.sampled_from(UNIT_PREFIXES), names())
@bounded(200)
def test_a_leading_unit_word_is_dropped(prefix: str, name: str) -> None:
    key = name_key(name)
    starts_with_unit = any(key.startswith(p + " ") or key == p for p in UNIT_PREFIXES)
    assume(key and not starts_with_unit)  # "Thôn Xã Nà" keeps its second unit word: only one is dropped
    unit = prefix.title()  # "Thon", "To Dan Pho": a unit word written without diacritics is still one
    assert name_key(f"{unit} {name}") == key
    assert name_key(f"{unit}   {name.upper()}") == key
    assert similarity(f"{unit} {name}", name) == 1.0


@given(st.integers(0, 999), st.sampled_from(("Tổ dân phố số ", "TDP ", "tổ ", "Khu phố số ")), st.integers(0, 3))
@bounded(100)
def test_numbered_places_match_with_or_without_leading_zeros(number: int, unit: str, zeros: int) -> None:
    assert name_key(f"{unit}{'0' * zeros}{number}") == name_key(f"Tổ dân phố {number}") == str(number)


@given(names(), names())
@bounded(200)
def test_similarity_is_a_ratio_and_one_for_equal_keys(a: str, b: str) -> None:
    score = similarity(a, b)
    assert 0.0 <= score <= 1.0
    assert similarity(a, a) == 1.0
    if name_key(a) == name_key(b):
        assert score == 1.0
