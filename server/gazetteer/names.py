"""One normalisation of Vietnamese place names, used everywhere names are stored, searched or compared."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

# Unit-type words that may stand before a name ("Xã Bằng Thành", "Thôn Nà Pài", "TDP 3"), folded, longest first.
UNIT_PREFIXES = tuple(
    sorted(
        (
            "tinh",
            "thanh pho",
            "thi xa",
            "quan",
            "huyen",
            "xa",
            "phuong",
            "thi tran",
            "dac khu",
            "thon",
            "ban",
            "xom",
            "lang",
            "khu",
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
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """The stored form of a name: Unicode NFC, single spaces, no outer spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Lower case, no diacritics, đ→d, punctuation as spaces: 'Xã Hoà Mục' and 'xa hoa muc' fold alike.

    Dropping every combining mark also makes tone-mark placement (Hoà/Hòa, Thuỷ/Thủy) irrelevant.
    """
    lowered = unicodedata.normalize("NFD", nfc(text).lower().replace("đ", "d"))
    bare = "".join(ch for ch in lowered if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _NON_ALNUM.sub(" ", bare)).strip()


def name_key(text: str) -> str:
    """The folded name without a leading unit-type word: 'Thôn Nà Pài', 'bản na pai' and 'Nà Pài' give 'na pai'."""
    folded = fold(text)
    for prefix in UNIT_PREFIXES:
        if folded.startswith(prefix + " ") and len(folded) > len(prefix) + 1:
            return folded[len(prefix) + 1 :]
    return folded


def similarity(a: str, b: str) -> float:
    """How alike two names are (0..1), comparing name keys without spaces ('Nà Pài' ~ 'Napai' = 1.0)."""
    left, right = name_key(a).replace(" ", ""), name_key(b).replace(" ", "")
    if not left or not right:
        return 0.0
    return SequenceMatcher(None, left, right).ratio()
