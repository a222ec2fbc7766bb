"""The session form, forms/xlsform/tgpl_session.xlsx: one record per legal-aid communication or mobile session.

Field names, group paths and choice codes are a contract with the server and the reports, so they are spelled out
here in full; a rename in the .xlsx fails these tests. Every relevance, constraint, required flag and calculation
is asserted on the bind of the built XForm, and the tricky rules are also shown alone in a small markdown form.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from forms.build import BuiltForm, build_xlsform
from forms.xform import read_xform
from server.places.media import DATASETS
from tests.forms.xform_paths import XForm, isolated

XLSX = Path(__file__).resolve().parents[2] / "forms" / "xlsform" / "tgpl_session.xlsx"
VI, EN = "Tiếng Việt (vi)", "English (en)"
REQUIRED = "true()"

# The primary instance, leaf by leaf, in form order (a repeat is listed once).
LEAVES = [
    "/data/session_type",
    "/data/session_type_other",
    "/data/session_date",
    "/data/start_time",
    "/data/evening",
    "/data/place/commune",
    "/data/place/village",
    "/data/place/village_name",
    "/data/place/village_point",
    "/data/place/village_label",
    "/data/place/venue",
    "/data/place/venue_other",
    "/data/gps",
    "/data/organiser",
    "/data/partners",
    "/data/team/member_name",
    "/data/team/member_role",
    "/data/team/card_number",
    "/data/attendance/participants_total",
    "/data/attendance/participants_women",
    "/data/attendance/participants_ethnic",
    "/data/attendance/ethnic_groups",
    "/data/attendance/language",
    "/data/attendance/interpreter",
    "/data/content/laws",
    "/data/content/laws_other",
    "/data/content/format",
    "/data/outputs/leaflets",
    "/data/outputs/questions/q_hinh_su",
    "/data/outputs/questions/q_dan_su",
    "/data/outputs/questions/q_hon_nhan_gia_dinh",
    "/data/outputs/questions/q_hanh_chinh",
    "/data/outputs/questions/q_dat_dai",
    "/data/outputs/questions/q_lao_dong",
    "/data/outputs/questions/q_uu_dai_chinh_sach",
    "/data/outputs/questions/q_khac",
    "/data/outputs/questions_total",
    "/data/outputs/requests_received",
    "/data/outputs/requests_accepted",
    "/data/outputs/referrals",
    "/data/outputs/referral_to",
    "/data/remarks",
    "/data/attendance_photo",
    "/data/meta/instanceID",
    "/data/meta/instanceName",
]
GROUPS = ["/data/place", "/data/team", "/data/attendance", "/data/content", "/data/outputs", "/data/outputs/questions"]
CALCULATED = {
    "/data/place/village_label",
    "/data/outputs/questions_total",
    "/data/meta/instanceID",
    "/data/meta/instanceName",
}

NOT_NEGATIVE = {"required": REQUIRED, "constraint": ". >= 0"}
QUESTION_COUNTS = [p for p in LEAVES if p.startswith("/data/outputs/questions/")]

# Every bind that carries a rule, with all of its rules (relevant, constraint, required, calculate).
RULES: dict[str, dict[str, str]] = {
    "/data/session_type": {"required": REQUIRED},
    "/data/session_type_other": {"required": REQUIRED, "relevant": "/data/session_type = 'khac'"},
    "/data/session_date": {"required": REQUIRED, "constraint": ". <= today()"},
    "/data/start_time": {"required": REQUIRED},
    "/data/evening": {"required": REQUIRED},
    "/data/place/commune": {"required": REQUIRED},
    "/data/place/village": {"required": REQUIRED},
    "/data/place/village_name": {"required": REQUIRED, "relevant": "/data/place/village = 'khac'"},
    "/data/place/village_point": {"required": REQUIRED, "relevant": "/data/place/village = 'khac'"},
    "/data/place/village_label": {
        "calculate": "if(/data/place/village = 'khac', /data/place/village_name, "
        "instance('villages')/root/item[name = /data/place/village]/label)"
    },
    "/data/place/venue": {"required": REQUIRED},
    "/data/place/venue_other": {"required": REQUIRED, "relevant": "/data/place/venue = 'khac'"},
    "/data/gps": {"required": REQUIRED},
    "/data/organiser": {"required": REQUIRED},
    "/data/team/member_name": {"required": REQUIRED},
    "/data/team/member_role": {"required": REQUIRED},
    "/data/team/card_number": {"required": REQUIRED, "relevant": "../member_role = 'cong_tac_vien'"},
    "/data/attendance/participants_total": NOT_NEGATIVE,
    "/data/attendance/participants_women": {
        "required": REQUIRED,
        "constraint": ". >= 0 and . <= /data/attendance/participants_total",
    },
    "/data/attendance/participants_ethnic": {
        "required": REQUIRED,
        "constraint": ". >= 0 and . <= /data/attendance/participants_total",
    },
    "/data/attendance/ethnic_groups": {"required": REQUIRED, "relevant": "/data/attendance/participants_ethnic > 0"},
    "/data/attendance/language": {"required": REQUIRED},
    "/data/attendance/interpreter": {"required": REQUIRED},
    "/data/content/laws": {"required": REQUIRED},
    "/data/content/laws_other": {"required": REQUIRED, "relevant": "selected(/data/content/laws, 'khac')"},
    "/data/content/format": {"required": REQUIRED},
    "/data/outputs/leaflets": NOT_NEGATIVE,
    **dict.fromkeys(QUESTION_COUNTS, NOT_NEGATIVE),
    "/data/outputs/questions_total": {
        "calculate": "/data/outputs/questions/q_hinh_su + /data/outputs/questions/q_dan_su"
        " + /data/outputs/questions/q_hon_nhan_gia_dinh + /data/outputs/questions/q_hanh_chinh"
        " + /data/outputs/questions/q_dat_dai + /data/outputs/questions/q_lao_dong"
        " + /data/outputs/questions/q_uu_dai_chinh_sach + /data/outputs/questions/q_khac"
    },
    "/data/outputs/requests_received": NOT_NEGATIVE,
    "/data/outputs/requests_accepted": {
        "required": REQUIRED,
        "constraint": ". >= 0 and . <= /data/outputs/requests_received",
    },
    "/data/outputs/referrals": NOT_NEGATIVE,
    "/data/outputs/referral_to": {"required": REQUIRED, "relevant": "/data/outputs/referrals > 0"},
    "/data/meta/instanceName": {"calculate": "concat(/data/session_date, ' ', /data/place/village_label)"},
}
RULE_ATTRIBUTES = ("relevant", "constraint", "required", "calculate")

# Choice codes are what reports count: the contract, list by list.
CHOICES = {
    "session_type": {"truyen_thong", "luu_dong", "sinh_hoat_chuyen_de", "diem_tiep_nhan", "phoi_hop", "khac"},
    "yes_no": {"co", "khong"},
    "venue": {"nha_van_hoa", "ubnd_xa", "truong_hoc", "nha_dan", "cho", "khac"},
    "organiser": {"trung_tam", "chi_nhanh", "to_chuc_ky_hop_dong", "khac"},
    "partners": {
        "ubnd_xa",
        "hoi_phu_nu",
        "hoi_nong_dan",
        "bien_phong",
        "phong_dan_toc",
        "doan_thanh_nien",
        "mat_tran",
        "truong_hoc",
        "khac",
    },
    "role": {"tro_giup_vien", "luat_su", "cong_tac_vien", "tu_phap_xa", "truong_thon", "phien_dich", "khac"},
    "ethnic_main": {"tay", "dao", "kinh", "nung", "mong", "san_chay", "hoa", "khac"},
    "language": {"viet", "tay", "nung", "dao", "mong", "khac"},
    "laws": {
        "luat_tgpl",
        "hon_nhan_gia_dinh",
        "bao_luc_gia_dinh",
        "dat_dai",
        "bao_ve_rung",
        "mua_ban_nguoi",
        "tao_hon_can_huyet",
        "bao_hiem_xa_hoi",
        "chinh_sach_dan_toc",
        "khac",
    },
    "session_format": {"noi_chuyen", "hoi_dap", "phien_toa_gia_dinh", "san_khau_hoa", "phat_thanh", "khac"},
    "referral": {"hoa_giai", "cong_an", "ubnd_xa", "lao_dong_xa_hoi", "toa_an", "khac"},
}
# Which list each select question offers.
SELECTS = {
    "/data/session_type": "session_type",
    "/data/evening": "yes_no",
    "/data/place/venue": "venue",
    "/data/organiser": "organiser",
    "/data/partners": "partners",
    "/data/team/member_role": "role",
    "/data/attendance/ethnic_groups": "ethnic_main",
    "/data/attendance/language": "language",
    "/data/attendance/interpreter": "yes_no",
    "/data/content/laws": "laws",
    "/data/content/format": "session_format",
    "/data/outputs/referral_to": "referral",
}


@pytest.fixture(scope="module")
def built(java: None) -> BuiltForm:
    """The real .xlsx through pyxform and ODK Validate, once for this module."""
    return build_xlsform(XLSX)


@pytest.fixture(scope="module")
def form(built: BuiltForm) -> XForm:
    """The built XForm, ready for XPath lookups."""
    return XForm.parse(built.xform)


def test_the_xlsx_converts_without_warnings_and_passes_odk_validate(built: BuiltForm) -> None:
    assert built.warnings == ()
    assert built.validated


def test_settings(built: BuiltForm, form: XForm) -> None:
    info = read_xform(built.xform)
    assert (info.form_id, info.version) == ("tgpl_session", "2026112601")
    assert info.title == "Buổi truyền thông, trợ giúp pháp lý lưu động (Legal-aid communication or mobile session)"
    assert form.default_language() == VI
    assert (
        form.bind("/data/meta/instanceName")["calculate"]
        == "concat(/data/session_date, ' ', /data/place/village_label)"
    )


def test_field_names_and_groups_are_the_contract(form: XForm) -> None:
    assert form.leaves() == LEAVES
    assert form.find(".//h:body//x:repeat[@nodeset='/data/team']") is not None
    for group in GROUPS:
        assert form.control(group).tag.endswith("group")


@pytest.mark.parametrize(("path", "rules"), RULES.items(), ids=RULES.keys())
def test_rule(form: XForm, path: str, rules: dict[str, str]) -> None:
    bind = form.bind(path)
    assert {k: v for k, v in bind.items() if k in RULE_ATTRIBUTES} == rules


def test_no_other_bind_has_a_rule(form: XForm) -> None:
    ruled = {path for path, bind in form.binds().items() if set(bind) & set(RULE_ATTRIBUTES)}
    assert ruled - {"/data/meta/instanceID"} == set(RULES)  # instanceID only has jr:preload


def test_question_counts_default_to_zero(form: XForm) -> None:
    questions = form.find(".//x:model/x:instance/x:data/x:outputs/x:questions")
    assert {child.tag.rsplit("}", 1)[-1]: child.text for child in questions} == {
        "q_hinh_su": "0",
        "q_dan_su": "0",
        "q_hon_nhan_gia_dinh": "0",
        "q_hanh_chinh": "0",
        "q_dat_dai": "0",
        "q_lao_dong": "0",
        "q_uu_dai_chinh_sach": "0",
        "q_khac": "0",
    }


def test_choice_codes_are_the_contract(form: XForm) -> None:
    for list_name, codes in CHOICES.items():
        names = form.choices(list_name)
        assert set(names) == codes, list_name
        assert len(names) == len(set(names)), f"{list_name} repeats a code"
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in names), list_name


@pytest.mark.parametrize(("path", "list_name"), SELECTS.items(), ids=SELECTS.keys())
def test_select_offers_its_list(form: XForm, path: str, list_name: str) -> None:
    assert form.itemset(path) == f"instance('{list_name}')/root/item"


def test_place_pickers_use_the_generated_commune_and_village_lists(built: BuiltForm, form: XForm) -> None:
    assert set(read_xform(built.xform).media) == set(DATASETS) == {"communes.csv", "villages.csv"}
    assert form.itemset("/data/place/commune") == "instance('communes')/root/item"
    assert form.itemset("/data/place/village") == "instance('villages')/root/item[commune= /data/place/commune]"
    assert form.control("/data/place/commune").get("appearance") == "autocomplete"
    assert form.control("/data/place/village").get("appearance") == "autocomplete"
    assert form.translations()[VI]["/data/place/commune:label"] == "Xã/phường (từ 1/7/2025)"


def test_widgets(form: XForm) -> None:
    for point in ("/data/gps", "/data/place/village_point"):  # Collect saves by itself once accuracy is ≤ 20 m
        control = form.control(point)
        assert (control.get("accuracyThreshold"), control.get("unacceptableAccuracyThreshold")) == ("20", "50")
        assert form.bind(point)["type"] == "geopoint"
    assert form.bind("/data/attendance_photo") == {
        "nodeset": "/data/attendance_photo",
        "type": "binary",
        "orx:max-pixels": "1024",
    }
    assert form.control("/data/remarks").get("appearance") == "multiline"
    assert form.bind("/data/session_date")["type"] == "date"
    assert form.bind("/data/start_time")["type"] == "time"
    assert all(form.bind(p)["type"] == "int" for p in [*QUESTION_COUNTS, "/data/outputs/leaflets"])


def test_every_label_hint_and_message_exists_in_both_languages(form: XForm) -> None:
    texts = form.translations()
    assert set(texts) == {VI, EN}
    assert texts[VI].keys() == texts[EN].keys()
    for lang, by_id in texts.items():
        for text_id, text in by_id.items():
            assert text.strip(), f"{lang} {text_id} is empty"
            assert unicodedata.is_normalized("NFC", text), f"{lang} {text_id} is not NFC"
    questions = [p for p in LEAVES if p not in CALCULATED]
    for path in [*questions, *GROUPS]:
        assert f"{path}:label" in texts[VI], path
        if path in questions:
            assert texts[VI][f"{path}:label"] != texts[EN][f"{path}:label"], f"{path} is not translated"
    for list_name in CHOICES:
        for text_id in form.choice_text_ids(list_name):
            assert text_id in texts[VI], (list_name, text_id)


def test_hints_where_a_collaborator_could_hesitate(form: XForm) -> None:
    texts = form.translations()
    gps = (texts[VI]["/data/gps:hint"], texts[EN]["/data/gps:hint"])
    assert all("20 m" in hint for hint in gps)
    assert "không phải nhà riêng" in gps[0]
    assert "not anyone's home" in gps[1]
    assert "17 giờ" in texts[VI]["/data/evening:hint"]
    assert "attendance sheet" in texts[EN]["/data/attendance_photo:hint"]
    assert "Không chụp người tham dự" in texts[VI]["/data/attendance_photo:hint"]
    for path in ("/data/place/village_point", "/data/team/member_role", "/data/attendance/participants_total"):
        assert f"{path}:hint" in texts[VI], path
    for path in [p for p, r in RULES.items() if "constraint" in r]:
        assert f"{path}:jr:constraintMsg" in texts[EN], path
    assert texts[VI]["/data/session_date:jr:constraintMsg"] == "Ngày không được ở tương lai."
    assert texts[EN]["/data/session_date:jr:constraintMsg"] == "The date cannot be in the future."


# The tricky rules, each alone.

WOMEN_AT_MOST_TOTAL = """
| survey |
| | type | name | label | required | constraint |
| | begin_group | attendance | Người tham dự | | |
| | integer | participants_total | Tổng số người tham dự | yes | . >= 0 |
| | integer | participants_women | Trong đó: số nữ | yes | . >= 0 and . <= ${participants_total} |
| | end_group | | | | |
"""


def test_women_cannot_outnumber_the_participants(form: XForm) -> None:
    expected = ". >= 0 and . <= /data/attendance/participants_total"
    assert isolated(WOMEN_AT_MOST_TOTAL).bind("/data/attendance/participants_women")["constraint"] == expected
    assert form.bind("/data/attendance/participants_women")["constraint"] == expected
    assert form.bind("/data/attendance/participants_ethnic")["constraint"] == expected


NO_FUTURE_DATE = """
| survey |
| | type | name | label | required | constraint | constraint_message |
| | date | session_date | Ngày tổ chức buổi | yes | . <= today() | Ngày không được ở tương lai. |
"""


def test_the_session_date_cannot_be_in_the_future(form: XForm) -> None:
    alone = isolated(NO_FUTURE_DATE).bind("/data/session_date")
    assert (alone["type"], alone["constraint"]) == ("date", ". <= today()")
    assert form.bind("/data/session_date")["constraint"] == ". <= today()"


CARD_ONLY_FOR_COLLABORATORS = """
| survey |
| | type | name | label | required | relevant |
| | begin_repeat | team | Thành viên tổ | | |
| | text | member_name | Họ và tên | yes | |
| | select_one role | member_role | Vai trò | yes | |
| | text | card_number | Số thẻ cộng tác viên | yes | ${member_role} = 'cong_tac_vien' |
| | end_repeat | | | | |
| choices |
| | list_name | name | label |
| | role | tro_giup_vien | Trợ giúp viên pháp lý |
| | role | cong_tac_vien | Cộng tác viên trợ giúp pháp lý |
"""


def test_the_card_number_is_asked_of_collaborators_only(form: XForm) -> None:
    # Relative inside the repeat: each member's own role decides, not the first member's.
    expected = {"required": REQUIRED, "relevant": "../member_role = 'cong_tac_vien'"}
    alone = isolated(CARD_ONLY_FOR_COLLABORATORS).bind("/data/team/card_number")
    assert {k: alone[k] for k in expected} == expected
    real = form.bind("/data/team/card_number")
    assert {k: real[k] for k in expected} == expected
