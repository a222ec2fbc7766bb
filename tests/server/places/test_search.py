"""Search by any spelling a person types."""

from __future__ import annotations

from sqlmodel import Session

from server.places import villages as registry
from server.places.search import search


def test_village_found_from_unaccented_prefixed_or_exact_spellings(backan: Session) -> None:
    registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài")
    for typed in ("na pai", "Nà Pài", "ban na pai", "NA PAI", "thôn nà pài"):
        hits = search(backan, typed)
        assert hits[0].code == "01864-001", typed
        assert hits[0].context == "Xã Bằng Thành, Tỉnh Thái Nguyên"


def test_ranking_puts_exact_names_first_and_gives_context(backan: Session) -> None:
    hits = search(backan, "na ri")
    assert [(h.scheme, h.level, h.name) for h in hits[:2]] == [
        ("old", "district", "Huyện Na Rì"),
        ("new", "commune", "Xã Na Rì"),
    ]
    assert hits[1].context == "Tỉnh Thái Nguyên"
    assert search(backan, "dong xa")[0].name == "Xã Đổng Xá"  # "Xá" is part of the name, "Xã" is the type
    assert search(backan, "   ") == []
    assert [h.name for h in search(backan, "ban thi", scheme="old")][:1] == ["Xã Bản Thi"]


def test_words_run_together_and_old_spellings_are_found(backan: Session) -> None:
    registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài")
    assert search(backan, "napai")[0].code == "01864-001"
    assert search(backan, "Sĩ Bình")[0].name == "Xã Sỹ Bình"  # the package writes Sỹ
    assert search(backan, "TT Chợ Rã", scheme="old")[0].name == "Thị trấn Chợ Rã"
    assert all(h.kind == "place" for h in search(backan, "na pai", scheme="old"))
