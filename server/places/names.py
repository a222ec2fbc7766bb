"""One normalisation of Vietnamese place names, used everywhere names are stored, searched or compared."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

# Unit-type words that may stand before a name ("Xã Bằng Thành", "Thôn Nà Pài", "TDP số 3"), folded.
UNIT_PREFIXES = tuple(
    sorted(
        (
            "tinh",
            "thanh pho",
            "tp",
            "thi xa",
            "tx",
            "quan",
            "huyen",
            "xa",
            "phuong",
            "thi tran",
            "tt",
            "dac khu",
            "thon",
            "ban",
            "xom",
            "lang",
            "khu",
            "khu pho",
            "tieu khu",
            "khu dan cu",
            "khoi",
            "to dan pho",
            "tdp",
            "to",
            "ap",
            "buon",
            "plei",
            "soc",
        ),
        key=len,
        reverse=True,
    )
)
_D = str.maketrans("đðɖ", "ddd")  # Đ, and the look-alike Ð (U+00D0) that keyboards and PDFs produce
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(r"\s+")
# Old and new spelling of a final i after a consonant: Sỹ/Sĩ, Kỳ/Kì, Lý/Lí, Mỹ/Mĩ (not Tày, Thủy, Nguyễn).
_FINAL_Y = re.compile(r"\b([bcdghklmnpqrstvx]+)y\b")
_NUMBER = re.compile(r"\b(?:so )?0*(\d+)\b")  # "số 03" and "3" are the same tổ


def nfc(text: str) -> str:
    """The stored form of a name: Unicode NFC, single spaces, no outer spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Lower case, no diacritics, đ→d, y→i where the two spellings alternate, punctuation as spaces: 'Xã Hoà Mục',
    'xa hoa muc' and 'XÃ HÒA MỤC' fold alike. Dropping every combining mark also makes tone-mark placement
    (Hoà/Hòa, Thuỷ/Thủy) irrelevant."""
    lowered = nfc(text).lower().translate(_D)
    bare = "".join(ch for ch in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(ch))
    words = _SPACES.sub(" ", _NON_ALNUM.sub(" ", bare)).strip()
    return _FINAL_Y.sub(r"\1i", words)


def name_key(text: str) -> str:
    """The folded name without a leading unit-type word: 'Thôn Nà Pài', 'bản na pai' and 'Nà Pài' give 'na pai';
    'Tổ dân phố số 03' and 'TDP 3' give '3'."""
    folded = _NUMBER.sub(r"\1", fold(text))
    for prefix in UNIT_PREFIXES:
        if folded.startswith(prefix + " ") and len(folded) > len(prefix) + 1:
            return folded[len(prefix) + 1 :]
    return folded


def similarity(a: str, b: str) -> float:
    """How alike two names are (0..1), without spaces, with or without a leading unit word: 'Nà Pài' ~ 'Napai' and
    'Thôn Bản Chang' ~ 'Bản Chang' are 1.0."""
    lefts = {name_key(a).replace(" ", ""), _NUMBER.sub(r"\1", fold(a)).replace(" ", "")}
    rights = {name_key(b).replace(" ", ""), _NUMBER.sub(r"\1", fold(b)).replace(" ", "")}
    return max(
        (SequenceMatcher(None, left, right).ratio() for left in lefts for right in rights if left and right),
        default=0.0,
    )
