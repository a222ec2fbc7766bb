"""Fact rows follow the current version of each record: written with the submission, rewritten by edits, never
doubled by resends, and as sparse as consent allows."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import cache

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms.build import BuiltForm, build_xlsform
from server.accounts.app_users import create_app_user
from server.cli.setup import BUILTIN_FORMS
from server.core.models import AppUser, PersonCategory, PersonFact, SessionFact, Village
from server.core.storage import BlobStore
from server.places import villages as registry
from server.places.rollup import PlaceCodes, place_codes
from server.publishing.forms import publish_xform
from server.submissions.receive import receive
from tests.collect_client import CollectClient
from tests.conftest import Live
from tests.instances import fill


@cache
def built(form_id: str) -> BuiltForm:
    """A questionnaire built from its .xlsx once per run."""
    return build_xlsform(BUILTIN_FORMS / f"{form_id}.xlsx")


@pytest.fixture
def client(live: Live, backan: Session, java: None, collect: Callable[[str], CollectClient]) -> CollectClient:
    """A phone with both questionnaires, on a server whose registry has one confirmed village."""
    for form_id in ("tgpl_session", "tgpl_person"):
        publish_xform(session=backan, store=live.store, xform=built(form_id).xform, media={})
    village = registry.add_village(session=backan, commune_code="01864", old_commune_code="01861", name="Thôn Nà Pài")
    registry.confirm(session=backan, ref=village.code)
    _, token = create_app_user(session=backan, name="Phone")
    return collect(live.key_url(token))


SESSION = {
    "session_type": "truyen_thong",
    "session_date": "2026-11-20",
    "commune": "01864",
    "village": "01864-001",
    "gps": "22.6576 105.671 420 6",
    "participants_total": "45",
    "participants_women": "20",
    "participants_ethnic": "40",
    "leaflets": "60",
    "questions_total": "7",
    "requests_received": "3",
    "requests_accepted": "1",
    "referrals": "0",
    "evening": "khong",
}


def facts(live: Live) -> list[SessionFact]:
    with Session(live.engine) as session:
        return list(session.exec(select(SessionFact)).all())


def test_session_facts_match_the_submitted_xml(live: Live, client: CollectClient) -> None:
    assert client.send(fill(built("tgpl_session").xform, SESSION))[0].status_code == 201
    (fact,) = facts(live)
    assert (fact.session_date, fact.session_type, fact.evening) == (date(2026, 11, 20), "truyen_thong", False)
    assert (fact.commune_code, fact.village_code, fact.old_commune_code, fact.old_district_code) == (
        "01864",
        "01864-001",
        "01861",
        "060",
    )
    assert (fact.participants_total, fact.participants_women, fact.participants_ethnic) == (45, 20, 40)
    assert (fact.leaflets, fact.questions_total, fact.requests_received, fact.requests_accepted) == (60, 7, 3, 1)
    assert (fact.lat, fact.lon, fact.accuracy_m) == (22.6576, 105.671, 6.0)


def test_resends_do_not_double_and_edits_rewrite(live: Live, client: CollectClient) -> None:
    first_id = f"uuid:{uuid.uuid4()}"
    xml = fill(built("tgpl_session").xform, SESSION, instance_id=first_id)
    assert [client.send(xml)[0].status_code for _ in range(3)] == [201, 201, 201]
    assert len(facts(live)) == 1
    edit = fill(
        built("tgpl_session").xform,
        {**SESSION, "participants_total": "50", "session_date": "2026-11-21"},
        instance_id=f"uuid:{uuid.uuid4()}",
        deprecated_id=first_id,
    )
    assert client.send(edit)[0].status_code == 201
    (fact,) = facts(live)
    assert (fact.participants_total, fact.session_date) == (50, date(2026, 11, 21))


def test_a_proposal_follows_edits_until_a_coordinator_decides(live: Live, client: CollectClient) -> None:
    values = {**SESSION, "village": "khac", "village_name": "Thôn Mới", "village_point": "22.66 105.67 400 5"}
    first_id = f"uuid:{uuid.uuid4()}"
    assert client.send(fill(built("tgpl_session").xform, values, instance_id=first_id))[0].status_code == 201
    edit = fill(
        built("tgpl_session").xform,
        {**values, "village_name": "Thôn Mới Trên"},
        instance_id=f"uuid:{uuid.uuid4()}",
        deprecated_id=first_id,
    )
    assert client.send(edit)[0].status_code == 201
    with Session(live.engine) as session:
        (proposal,) = session.exec(select(Village).where(Village.status == "proposed")).all()
    assert (proposal.name, proposal.source_ref) == ("Thôn Mới Trên", f"submission:{first_id}")
    assert facts(live)[0].village_code == proposal.code


def test_phones_proposing_villages_at_once_get_one_code_each(
    engine: Engine, backan: Session, store: BlobStore, java: None
) -> None:
    """Eight submissions proposing villages of one commune, received at once, each in its own transaction: each
    takes the commune's next number (the counter row waits for the transaction before it), none fails."""
    publish_xform(session=backan, store=store, xform=built("tgpl_session").xform, media={})
    user, _ = create_app_user(session=backan, name="Phone")
    user_id = user.id
    registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài")  # 01864-001
    together = threading.Barrier(8)

    def propose(n: int) -> str:
        values = {**SESSION, "village": "khac", "village_name": f"Bản Mới {n}", "village_point": "22.66 105.67 400 5"}
        with Session(engine) as session:
            phone = session.get(AppUser, user_id)
            assert phone is not None
            together.wait()
            xml = fill(built("tgpl_session").xform, values)
            return receive(session=session, store=store, app_user=phone, xml=xml, parts={}).outcome

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(propose, range(8)))
    assert outcomes == ["created"] * 8
    codes = sorted(v.code for v in backan.exec(select(Village).where(Village.source == "field")).all())
    assert codes == [f"01864-{n:03d}" for n in range(2, 10)]
    assert sorted(f.village_code for f in backan.exec(select(SessionFact)).all()) == codes


PERSON = {
    "intake_date": "2026-11-20",
    "commune": "01957",
    "village": "khac",
    "consent": "dong_y",
    "sex": "nam",
    "age_known": "tuoi",
    "age": "70",
    "age_years": "70",
    "ethnicity": "dt09",
    "art7": "kk_cao_tuoi dtts_dbkk",
    "hardship": "tro_cap_xa_hoi",
    "field": "dat_dai",
    "aid_form": "dai_dien_ngoai_to_tung",
    "accepted": "khong",
    "provider_role": "cong_tac_vien",
}


def test_person_facts_and_categories(live: Live, client: CollectClient) -> None:
    assert client.send(fill(built("tgpl_person").xform, PERSON))[0].status_code == 201
    with Session(live.engine) as session:
        (person,) = session.exec(select(PersonFact)).all()
        categories = sorted(c.category for c in session.exec(select(PersonCategory)).all())
    assert (person.consent, person.sex, person.age_years, person.ethnicity, person.accepted) == (
        True,
        "nam",
        70,
        "dt09",
        False,
    )
    assert (person.field_of_law, person.aid_form, person.hardship) == (
        "dat_dai",
        "dai_dien_ngoai_to_tung",
        "tro_cap_xa_hoi",
    )
    assert (person.commune_code, person.old_commune_code, person.old_district_code) == ("01957", "01957", "062")
    assert categories == ["dtts_dbkk", "kk_cao_tuoi"]


def test_after_a_refusal_nothing_personal_is_kept_whatever_was_sent(live: Live, client: CollectClient) -> None:
    assert client.send(fill(built("tgpl_person").xform, {**PERSON, "consent": "tu_choi"}))[0].status_code == 201
    with Session(live.engine) as session:
        (person,) = session.exec(select(PersonFact)).all()
        assert session.exec(select(PersonCategory)).all() == []
    assert (person.consent, person.sex, person.age_years, person.ethnicity, person.field_of_law) == (
        False,
        None,
        None,
        None,
        None,
    )
    assert person.intake_date == date(2026, 11, 20)


def test_place_codes_in_both_structures(backan: Session) -> None:
    # Thượng Quan was kept whole: its old commune and district follow from the 2025 code alone.
    assert place_codes(backan, commune_code="01957", village=None) == PlaceCodes("01957", "01957", "062", None)
    # Bằng Thành took four communes of one district: the district is known, the old commune is not.
    assert place_codes(backan, commune_code="01864", village=None) == PlaceCodes("01864", None, "060", None)
    village = registry.add_village(session=backan, commune_code="01864", old_commune_code="01858", name="Thôn A")
    assert place_codes(backan, commune_code="01864", village=village) == PlaceCodes(
        "01864", "01858", "060", village.code
    )
