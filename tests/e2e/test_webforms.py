"""End to end with a client nobody here wrote: the ODK Web Forms engine downloads a served form and its
media through formList/manifest, fills it, and POSTs the multipart it produces to tgpl."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import segno
from sqlmodel import Session, select

from forms.build import build_xlsform
from server.accounts.app_users import create_app_user
from server.cli.setup import builtin_forms
from server.core.models import PersonCategory, PersonFact, SessionFact, SubmissionAttachment, Village
from server.places import villages as registry
from server.publishing.forms import publish_xform
from server.submissions.queries import count_submissions
from tests.conftest import Live, need

HARNESS = Path(__file__).resolve().parents[1] / "webforms"

pytestmark = [pytest.mark.node, pytest.mark.slow]


@pytest.fixture
def forms_url(live: Live, backan: Session, java: None) -> str:
    """Both questionnaires published from their .xlsx files (their pickers generated from the gazetteer), four
    confirmed villages, and an app user's URL."""
    for commune, old, name in (
        ("01864", None, "Thôn Nà Pài"),
        ("01864", "01858", "Bản Khuổi Nộc"),
        ("01957", None, "Thôn Bản Sảng"),
        ("01957", None, "Thôn Phiêng Dượng"),
    ):
        village = registry.add_village(session=backan, commune_code=commune, old_commune_code=old, name=name)
        registry.confirm(session=backan, ref=village.code)
    for path, media in builtin_forms():
        built = build_xlsform(path)
        publish_xform(
            session=backan, store=live.store, xform=built.xform, media={m.name: m.read_bytes() for m in media}
        )
    _, token = create_app_user(session=backan, name="Web Forms")
    return live.key_url(token)


def fill(
    node: str,
    server: str,
    answers: list[dict[str, str]],
    tmp_path: Path,
    *extra: str,
    form_id: str,
) -> tuple[int, dict[str, Any]]:
    """Run the harness; returns its exit code and the JSON it printed."""
    need((HARNESS / "node_modules" / "@getodk" / "xforms-engine").is_dir(), "run `npm ci` in tests/webforms")
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers), encoding="utf-8")
    run = subprocess.run(
        [
            node,
            str(HARNESS / "fill.mjs"),
            "--server",
            server,
            "--form-id",
            form_id,
            "--answers",
            str(answers_file),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.stdout.strip(), run.stderr
    return run.returncode, json.loads(run.stdout)


def session_answers(photo: Path) -> list[dict[str, str]]:
    """A whole session record, as a collaborator would fill it."""
    return [
        {"ref": "/data/session_type", "value": "luu_dong"},
        {"ref": "/data/session_date", "value": date.today().isoformat()},
        {"ref": "/data/start_time", "value": "19:30:00.000+07:00"},
        {"ref": "/data/evening", "value": "co"},
        {"ref": "/data/place/commune", "value": "01864"},
        {"ref": "/data/place/village", "value": "01864-002"},
        {"ref": "/data/place/venue", "value": "nha_van_hoa"},
        {"ref": "/data/gps", "value": "22.6576 105.671 420 6"},
        {"ref": "/data/organiser", "value": "trung_tam"},
        {"ref": "/data/partners", "value": "ubnd_xa hoi_phu_nu"},
        {"ref": "/data/team[1]/member_name", "value": "Hoàng Văn Minh"},
        {"ref": "/data/team[1]/member_role", "value": "tro_giup_vien"},
        {"ref": "/data/team[2]/member_name", "value": "Lý Thị Hoa"},
        {"ref": "/data/team[2]/member_role", "value": "cong_tac_vien"},
        {"ref": "/data/team[2]/card_number", "value": "CTV-0123"},
        {"ref": "/data/attendance/participants_total", "value": "45"},
        {"ref": "/data/attendance/participants_women", "value": "20"},
        {"ref": "/data/attendance/participants_ethnic", "value": "40"},
        {"ref": "/data/attendance/ethnic_groups", "value": "tay dao"},
        {"ref": "/data/attendance/language", "value": "viet tay"},
        {"ref": "/data/attendance/interpreter", "value": "co"},
        {"ref": "/data/content/laws", "value": "luat_tgpl hon_nhan_gia_dinh"},
        {"ref": "/data/content/format", "value": "noi_chuyen hoi_dap"},
        {"ref": "/data/outputs/leaflets", "value": "100"},
        {"ref": "/data/outputs/questions/q_dat_dai", "value": "5"},
        {"ref": "/data/outputs/questions/q_hon_nhan_gia_dinh", "value": "3"},
        {"ref": "/data/outputs/requests_received", "value": "4"},
        {"ref": "/data/outputs/requests_accepted", "value": "2"},
        {"ref": "/data/outputs/referrals", "value": "1"},
        {"ref": "/data/outputs/referral_to", "value": "hoa_giai"},
        {"ref": "/data/remarks", "value": "Buổi tối, nhiều câu hỏi về đất đai."},
        {"ref": "/data/attendance_photo", "value": str(photo)},
    ]


def stored_facts(live: Live) -> tuple[SessionFact | None, PersonFact | None, list[str]]:
    with Session(live.engine) as session:
        return (
            session.exec(select(SessionFact)).first(),
            session.exec(select(PersonFact)).first(),
            sorted(c.category for c in session.exec(select(PersonCategory)).all()),
        )


def test_session_form_is_filled_through_the_server_and_its_facts_stored(
    node: str, live: Live, forms_url: str, tmp_path: Path
) -> None:
    photo = tmp_path / "danh_sach.png"
    segno.make("danh sach").save(str(photo), scale=4)
    code, result = fill(node, forms_url, session_answers(photo), tmp_path, form_id="tgpl_session")
    assert result["errors"] == [], result
    assert result["violations"] == [], result
    assert sorted(result["media"]) == ["communes.csv", "villages.csv"]
    assert len(result["choices"]["/data/place/commune"]) == 37
    assert result["choices"]["/data/place/village"] == ["01864-002", "01864-001", "khac"]  # from villages.csv
    assert (code, result["head_status"], result["submit_status"]) == (0, 204, 201)
    fact, _, _ = stored_facts(live)
    assert fact is not None
    assert (fact.session_date, fact.session_type, fact.evening) == (date.today(), "luu_dong", True)
    # Khuổi Nộc was in old Bằng Thành (01858, huyện Pác Nặm 060): the session counts there in the old structure.
    assert (fact.commune_code, fact.village_code, fact.old_commune_code, fact.old_district_code) == (
        "01864",
        "01864-002",
        "01858",
        "060",
    )
    assert (fact.participants_total, fact.participants_women, fact.participants_ethnic) == (45, 20, 40)
    assert (fact.leaflets, fact.questions_total, fact.requests_received, fact.requests_accepted, fact.referrals) == (
        100,
        8,
        4,
        2,
        1,
    )
    assert (fact.lat, fact.lon, fact.accuracy_m) == (22.6576, 105.671, 6.0)
    with Session(live.engine) as session:
        (attachment,) = session.exec(select(SubmissionAttachment)).all()
    assert live.store.read(attachment.sha256) == photo.read_bytes()


@pytest.mark.parametrize(
    ("ref", "value"),
    [
        ("/data/attendance/participants_women", "46"),
        ("/data/attendance/participants_ethnic", "-1"),
        ("/data/session_date", "2099-01-01"),
        ("/data/outputs/requests_accepted", "5"),
    ],
    ids=["women-over-total", "negative", "future-date", "accepted-over-received"],
)
def test_engine_rejects_what_the_session_form_forbids(
    node: str, live: Live, forms_url: str, tmp_path: Path, ref: str, value: str
) -> None:
    photo = tmp_path / "p.png"
    segno.make("p").save(str(photo))
    answers = [*session_answers(photo), {"ref": ref, "value": value}]
    code, result = fill(node, forms_url, answers, tmp_path, form_id="tgpl_session")
    assert code == 1
    assert [v["ref"] for v in result["violations"]] == [ref]
    with Session(live.engine) as session:
        assert count_submissions(session) == 0


def test_a_village_not_in_the_list_becomes_a_proposal(node: str, live: Live, forms_url: str, tmp_path: Path) -> None:
    photo = tmp_path / "p.png"
    segno.make("p").save(str(photo))
    answers = [a for a in session_answers(photo) if a["ref"] != "/data/place/village"]
    place = answers.index({"ref": "/data/place/commune", "value": "01864"})
    answers[place + 1 : place + 1] = [{"ref": "/data/place/village", "value": "khac"}]
    code, result = fill(node, forms_url, answers, tmp_path, "--no-submit", form_id="tgpl_session")
    assert sorted(v["ref"] for v in result["violations"]) == ["/data/place/village_name", "/data/place/village_point"]
    answers += [
        {"ref": "/data/place/village_name", "value": "Thôn Phja Đăm"},
        {"ref": "/data/place/village_point", "value": "22.6601 105.6702 430 8"},
    ]
    code, result = fill(node, forms_url, answers, tmp_path, form_id="tgpl_session")
    assert (code, result["submit_status"]) == (0, 201)
    with Session(live.engine) as session:
        (proposal,) = session.exec(select(Village).where(Village.status == "proposed")).all()
    assert (proposal.name, proposal.commune_code, proposal.lat, proposal.source) == (
        "Thôn Phja Đăm",
        "01864",
        22.6601,
        "field",
    )
    fact, _, _ = stored_facts(live)
    assert fact is not None
    assert fact.village_code == proposal.code


def test_a_village_of_another_commune_is_not_offered(node: str, forms_url: str, tmp_path: Path) -> None:
    answers = [{"ref": "/data/place/commune", "value": "01864"}, {"ref": "/data/place/village", "value": "01957-001"}]
    code, result = fill(node, forms_url, answers, tmp_path, "--no-submit", form_id="tgpl_session")
    assert code == 1
    assert result["choices"]["/data/place/village"] == ["01864-002", "01864-001", "khac"]
    assert any("01957-001" in str(error) for error in result["errors"])


def person_answers(*extra: tuple[str, str]) -> list[dict[str, str]]:
    """A person record with consent, then any extra answers."""
    answers = [
        ("/data/intake_date", date.today().isoformat()),
        ("/data/place/commune", "01957"),
        ("/data/place/village", "01957-002"),
        ("/data/consent", "dong_y"),
        ("/data/person/sex", "nu"),
        ("/data/person/age_known", "tuoi"),
        ("/data/person/age", "34"),
        ("/data/person/details/ethnicity", "dt02"),
        ("/data/person/details/art7", "ho_ngheo kk_bao_luc_gia_dinh"),
        ("/data/person/details/hardship", "can_ngheo"),
        ("/data/person/details/proof_papers", "giay_chung_nhan_ho_ngheo"),
        ("/data/person/details/proof_original", "ban_chinh"),
        ("/data/person/details/field", "hon_nhan_gia_dinh"),
        ("/data/person/details/aid_form", "tu_van"),
        ("/data/person/details/summary", "Ly hôn, chia tài sản"),
        ("/data/person/details/accepted", "co"),
        ("/data/person/details/provider_role", "tro_giup_vien"),
        *extra,
    ]
    return [{"ref": ref, "value": value} for ref, value in answers]


def test_person_form_is_filled_and_its_facts_stored(node: str, live: Live, forms_url: str, tmp_path: Path) -> None:
    code, result = fill(node, forms_url, person_answers(), tmp_path, form_id="tgpl_person")
    assert result["errors"] == [], result
    assert (code, result["submit_status"]) == (0, 201)
    _, person, categories = stored_facts(live)
    assert person is not None
    assert (person.consent, person.sex, person.age_years, person.ethnicity) == (True, "nu", 34, "dt02")
    assert (person.hardship, person.field_of_law, person.aid_form, person.accepted, person.provider_role) == (
        "can_ngheo",
        "hon_nhan_gia_dinh",
        "tu_van",
        True,
        "tro_giup_vien",
    )
    assert (person.commune_code, person.village_code, person.old_district_code) == ("01957", "01957-002", "062")
    assert categories == ["ho_ngheo", "kk_bao_luc_gia_dinh"]


def test_a_refusal_keeps_only_an_anonymous_tally(node: str, live: Live, forms_url: str, tmp_path: Path) -> None:
    answers = [a for a in person_answers() if not a["ref"].startswith("/data/person/")]
    answers[3] = {"ref": "/data/consent", "value": "tu_choi"}
    code, result = fill(node, forms_url, answers, tmp_path, form_id="tgpl_person")
    assert result["errors"] == [], result
    assert (code, result["submit_status"]) == (0, 201)
    assert "<sex>" not in result["instance_xml"]
    _, person, categories = stored_facts(live)
    assert person is not None
    assert (person.consent, person.sex, person.ethnicity, person.commune_code) == (False, None, None, "01957")
    assert categories == []


def test_a_child_needs_a_guardians_consent(node: str, live: Live, forms_url: str, tmp_path: Path) -> None:
    answers = [a for a in person_answers() if not a["ref"].startswith("/data/person/details/")]
    answers[6] = {"ref": "/data/person/age", "value": "12"}
    code, result = fill(node, forms_url, answers, tmp_path, "--no-submit", form_id="tgpl_person")
    assert [v["ref"] for v in result["violations"]] == ["/data/person/guardian_consent"]
    answers.append({"ref": "/data/person/guardian_consent", "value": "tu_choi"})
    code, result = fill(node, forms_url, answers, tmp_path, form_id="tgpl_person")
    assert (code, result["submit_status"]) == (0, 201)
    _, person, _ = stored_facts(live)
    assert person is not None
    assert (person.consent, person.sex, person.age_years) == (False, None, None)
