"""The village registry: proposals, suggested duplicates, confirm, rename, merge (with history), retire."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from server.errors import Conflict, NotFound
from server.gazetteer import villages as registry
from server.models import Audit

BANG_THANH_NEW, BANG_THANH_OLD, BOC_BO_OLD = "01864", "01858", "01861"  # Bộc Bố merged into Bằng Thành


def test_two_phones_propose_one_village_which_ends_up_confirmed_once(backan: Session) -> None:
    first = registry.add_village(
        session=backan,
        commune_code=BANG_THANH_NEW,
        name="Thôn Nà Pài",
        lat=22.65000,
        lon=105.67000,
        source="field",
        source_ref="uuid:a",
    )
    second = registry.add_village(
        session=backan,
        commune_code=BANG_THANH_OLD,
        name="Bản Napài",
        lat=22.65090,
        lon=105.67000,
        source="field",
        source_ref="uuid:b",
    )  # 100 m north
    assert (second.commune_code, second.old_commune_code) == (BANG_THANH_NEW, BANG_THANH_OLD)
    (suggestion,) = registry.suggest_duplicates(backan, second, max_meters=500)
    assert suggestion.village.code == first.code
    assert suggestion.similarity == 1.0
    assert 95 < suggestion.distance_m < 105
    assert registry.suggest_duplicates(backan, second, max_meters=50) == []  # the distance is configurable

    registry.confirm(session=backan, ref=first.code)
    merged = registry.merge(session=backan, ref=second.id, into=first.code)
    assert (merged.status, merged.merged_into_id) == ("merged", first.id)
    confirmed = registry.list_villages(backan, commune_code=BANG_THANH_NEW, status="confirmed")
    assert [v.code for v in confirmed] == [first.code]
    assert registry.survivor(backan, merged).code == first.code
    assert registry.survivor_codes(backan) == {first.code: first.code, second.code: first.code}
    assert registry.get_village(backan, first.code).old_commune_code == BANG_THANH_OLD  # learnt from the merge
    actions = [a.action for a in backan.exec(select(Audit).where(Audit.subject.like("village:%"))).all()]
    assert actions == ["village.propose", "village.propose", "village.confirm", "village.merge"]


def test_chains_of_merges_lead_to_the_last_survivor(backan: Session) -> None:
    a, b, c = (
        registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name=n)
        for n in ("Khuổi A", "Khuổi B", "Khuổi C")
    )
    registry.merge(session=backan, ref=a.code, into=b.code)
    registry.merge(session=backan, ref=b.code, into=c.code)
    assert registry.survivor_codes(backan)[a.code] == c.code


def test_codes_are_stable_per_commune_and_renames_keep_them(backan: Session) -> None:
    one = registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn Pác Nặm")
    two = registry.add_village(session=backan, commune_code=BOC_BO_OLD, name="Thôn Nà Hoi")
    assert (one.code, two.code) == ("01864-001", "01864-002")
    renamed = registry.rename(session=backan, ref=one.id, name="Thôn Pắc Nặm")
    assert (renamed.code, renamed.name, renamed.name_key) == ("01864-001", "Thôn Pắc Nặm", "pac nam")
    audit = backan.exec(select(Audit).where(Audit.action == "village.rename")).one()
    assert json.loads(audit.details)["old_name"] == "Thôn Pác Nặm"


def test_refusals(backan: Session) -> None:
    a = registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn A")
    other_commune = registry.add_village(session=backan, commune_code="01957", name="Thôn A")
    with pytest.raises(Conflict):
        registry.merge(session=backan, ref=a.code, into=a.code)
    with pytest.raises(Conflict):
        registry.merge(session=backan, ref=a.code, into=other_commune.code)
    registry.retire(session=backan, ref=other_commune.code)
    with pytest.raises(Conflict):
        registry.merge(session=backan, ref=a.code, into=other_commune.code)
    with pytest.raises(NotFound):
        registry.add_village(session=backan, commune_code="99999", name="Thôn X")
    with pytest.raises(NotFound):
        registry.get_village(backan, "nope")
    with pytest.raises(ValueError, match="point"):
        registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn Y", lat=22.6)
    with pytest.raises(ValueError, match="name"):
        registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="  ")
    with pytest.raises(ValueError, match="code"):
        registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn Z", code="a b/c")
