"""The village registry: proposals, suggested duplicates, confirm, rename, merge (with history), retire."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from server.core.errors import Conflict, NotFound
from server.core.models import Audit, Village
from server.places import villages as registry

BANG_THANH_NEW, BANG_THANH_OLD, NHAN_MON_OLD = "01864", "01858", "01861"  # old communes of new Bằng Thành


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
    two = registry.add_village(session=backan, commune_code=NHAN_MON_OLD, name="Thôn Nà Hoi")
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


def test_codes_a_person_chooses_cannot_be_numbers_or_the_not_listed_choice(backan: Session) -> None:
    for code in ("5", "khac", "a/b"):
        with pytest.raises(ValueError, match="code"):
            registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn X", code=code)
    registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn Y", code="01864-001x")
    registry.add_village(session=backan, commune_code="01957", name="Thôn Z", code="01864-007")  # a code from elsewhere
    # Numbering follows the codes taken anywhere (codes are unique), and ignores codes of another shape.
    assert registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn W").code == "01864-008"


def test_generated_codes_step_over_codes_given_by_hand_or_written_directly(backan: Session) -> None:
    registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn A", code="01864-012")  # by hand
    assert registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn B").code == "01864-013"
    # Written without add_village (a bulk load, an old script): the counter does not know of them.
    for number in (14, 15):
        backan.add(Village(code=f"01864-{number:03d}", name="Thôn C", name_key="thon c", commune_code="01864",
                           source="import"))  # fmt: skip
    backan.commit()
    assert registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn D").code == "01864-016"
    assert registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn E").code == "01864-017"


def test_the_pre_2025_commune_is_known_only_when_said(backan: Session) -> None:
    plain = registry.add_village(session=backan, commune_code="01864", name="Thôn A")
    assert plain.old_commune_code is None  # 01864 is a 2025 code (and also old Bộc Bố's): it says nothing more
    bo_bo = registry.add_village(session=backan, commune_code="01864", old_commune_code="01864", name="Thôn B")
    assert (bo_bo.commune_code, bo_bo.old_commune_code) == ("01864", "01864")
    with pytest.raises(NotFound):
        registry.add_village(session=backan, commune_code="01864", old_commune_code="01957", name="Thôn C")


def test_merging_confirms_the_survivor_and_merged_villages_cannot_be_renamed(backan: Session) -> None:
    confirmed = registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn A", status="confirmed")
    proposed = registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn A'")
    registry.merge(session=backan, ref=confirmed.code, into=proposed.code)
    assert registry.get_village(backan, proposed.code).status == "confirmed"  # the place stays in the picker
    with pytest.raises(Conflict):
        registry.rename(session=backan, ref=confirmed.code, name="Thôn Mới")
    with pytest.raises(Conflict):
        registry.merge(session=backan, ref=confirmed.code, into=proposed.code)


def test_racing_merges_and_proposals(engine, backan: Session) -> None:
    a = registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn A")
    b = registry.add_village(session=backan, commune_code=BANG_THANH_NEW, name="Thôn B")
    barrier = threading.Barrier(2)

    def merge(pair: tuple[str, str]) -> str:
        with Session(engine) as session:
            barrier.wait()
            try:
                registry.merge(session=session, ref=pair[0], into=pair[1])
            except Conflict:
                return "refused"
            return "merged"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(merge, [(a.code, b.code), (b.code, a.code)]))
    assert outcomes == ["merged", "refused"]  # never a cycle
    backan.expire_all()
    assert sorted(v.status for v in registry.list_villages(backan)) == ["confirmed", "merged"]

    def propose(n: int) -> str:
        with Session(engine) as session:
            return registry.add_village(session=session, commune_code="01957", name=f"Thôn {n}").code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(propose, range(8)))
    assert sorted(codes) == [f"01957-{n:03d}" for n in range(1, 9)]
