"""Loading official units from vietnamadminunits, checked against the package's own address converter."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import Session, select
from unidecode import unidecode
from vietnamadminunits import convert_address

from server.core.errors import NotFound
from server.core.models import Place, PlaceSuccessor
from server.places.load import load_gazetteer
from server.places.search import search


def load(session: Session, provinces: tuple[str, ...] | None = ("06",)) -> list[str]:
    """Load a scope (default Bắc Kạn; None = the whole country) and return the progress lines."""
    lines: list[str] = []
    load_gazetteer(session=session, provinces=provinces, progress=lines.append)
    return lines


def places(session: Session, scheme: str, level: str) -> dict[str, Place]:
    rows = session.exec(select(Place).where(Place.scheme == scheme, Place.level == level)).all()
    return {p.code: p for p in rows}


def test_bac_kan_has_8_districts_108_communes_and_37_new_communes(session: Session) -> None:
    progress = load(session)
    assert any("old commune: 108" in line for line in progress)
    districts, communes = places(session, "old", "district"), places(session, "old", "commune")
    assert len(districts) == 8
    assert "Thành phố Bắc Kạn" in {d.name for d in districts.values()}  # the package writes "Thành Phố"
    assert Counter(c.unit_type for c in communes.values()) == {"Xã": 95, "Phường": 6, "Thị trấn": 7}
    assert {c.parent_code for c in communes.values()} == set(districts)
    new = places(session, "new", "commune")
    assert len(new) == 37
    assert Counter(c.unit_type for c in new.values()) == {"Xã": 35, "Phường": 2}
    assert {c.province_code for c in new.values()} == {"19"}  # Thái Nguyên since 1 July 2025
    assert places(session, "new", "province")["19"].name == "Tỉnh Thái Nguyên"


def test_every_old_commune_maps_to_the_commune_the_package_converter_gives(session: Session) -> None:
    load(session)
    districts = places(session, "old", "district")
    links = session.exec(select(PlaceSuccessor)).all()
    successors = {link.old_code: link for link in links}
    assert len(links) == 108  # Bắc Kạn: whole-unit merges only
    for code, commune in places(session, "old", "commune").items():
        address = f"{commune.name}, {districts[commune.parent_code].name}, Tỉnh Bắc Kạn"
        assert successors[code].new_code == convert_address(address).ward_code, address
        assert successors[code].whole
    assert successors["01957"].new_code == "01957"  # Xã Thượng Quan was kept as it was
    assert successors["01858"].new_code == "01864"  # Bằng Thành + Bộc Bố + ... → Xã Bằng Thành


def test_loading_again_changes_nothing(session: Session) -> None:
    load(session)
    before = {(p.scheme, p.level, p.code, p.name, p.lat) for p in session.exec(select(Place)).all()}
    second = load(session)
    assert any("inserted 0, cập nhật / updated 0" in line for line in second)
    assert {(p.scheme, p.level, p.code, p.name, p.lat) for p in session.exec(select(Place)).all()} == before


def test_the_whole_country_loads_the_same_way(session: Session) -> None:
    load(session, provinces=None)
    counts = Counter((p.scheme, p.level) for p in session.exec(select(Place)).all())
    assert counts == {
        ("old", "province"): 63,
        ("old", "district"): 696,
        ("old", "commune"): 10035,
        ("new", "province"): 34,
        ("new", "commune"): 3321,
    }


def test_every_commune_is_found_from_an_unaccented_lower_case_spelling(session: Session) -> None:
    load(session)
    for scheme in ("old", "new"):
        for code, commune in places(session, scheme, "commune").items():
            typed = unidecode(commune.short_name).lower()
            assert code in {h.code for h in search(session, typed, scheme=scheme, limit=50)}, typed


def test_an_unknown_province_is_named_even_beside_a_known_one(session: Session) -> None:
    with pytest.raises(NotFound, match="99"):
        load(session, provinces=("06", "99"))
