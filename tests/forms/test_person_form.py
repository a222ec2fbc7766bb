"""The person form, forms/xlsform/tgpl_person.xlsx: one record per person helped (intake, Mẫu 02-TP-TGPL).

Sensitive data, minimised: no name, no ID number, no photos. Nothing about the person is asked before consent;
a refusal keeps only an anonymous tally (date, place). Field names, group paths and choice codes are a contract
with the server and the Biểu 24/25 reports, so they are spelled out here in full.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from forms.build import BuiltForm, build_xlsform
from forms.xform import read_xform
from tests.forms.xform_paths import NS, XForm, isolated

XLSX = Path(__file__).resolve().parents[2] / "forms" / "xlsform" / "tgpl_person.xlsx"
VI, EN = "Tiếng Việt (vi)", "English (en)"
REQUIRED = "true()"

LEAVES = [
    "/data/intake_date",
    "/data/session_link",
    "/data/place/commune",
    "/data/place/village",
    "/data/place/village_name",
    "/data/place/village_point",
    "/data/place/village_label",
    "/data/consent_note",
    "/data/consent_version",
    "/data/consent",
    "/data/refused_note",
    "/data/person/sex",
    "/data/person/age_known",
    "/data/person/birth_year",
    "/data/person/age",
    "/data/person/age_years",
    "/data/person/guardian_consent",
    "/data/person/guardian_refused_note",
    "/data/person/details/ethnicity",
    "/data/person/details/art7",
    "/data/person/details/hardship",
    "/data/person/details/proof_papers",
    "/data/person/details/proof_original",
    "/data/person/details/field",
    "/data/person/details/aid_form",
    "/data/person/details/summary",
    "/data/person/details/accepted",
    "/data/person/details/not_accepted_reason",
    "/data/person/details/provider_role",
    "/data/meta/instanceID",
    "/data/meta/instanceName",
]
GROUPS = ["/data/place", "/data/person", "/data/person/details"]
CALCULATED = {
    "/data/place/village_label",
    "/data/consent_version",
    "/data/person/age_years",
    "/data/meta/instanceID",
    "/data/meta/instanceName",
}
KK = [
    "kk_than_nhan_liet_si",
    "kk_da_cam",
    "kk_cao_tuoi",
    "kk_khuyet_tat",
    "kk_bi_hai_16_18",
    "kk_bao_luc_gia_dinh",
    "kk_mua_ban_nguoi",
    "kk_hiv",
]
ART7 = ["co_cong", "ho_ngheo", "tre_em", "dtts_dbkk", "buoc_toi_16_18", "buoc_toi_can_ngheo", *KK]
HARDSHIP_RELEVANT = (
    "selected(/data/person/details/art7, 'kk_than_nhan_liet_si')"
    " or selected(/data/person/details/art7, 'kk_da_cam')"
    " or selected(/data/person/details/art7, 'kk_cao_tuoi')"
    " or selected(/data/person/details/art7, 'kk_khuyet_tat')"
    " or selected(/data/person/details/art7, 'kk_bi_hai_16_18')"
    " or selected(/data/person/details/art7, 'kk_bao_luc_gia_dinh')"
    " or selected(/data/person/details/art7, 'kk_mua_ban_nguoi')"
    " or selected(/data/person/details/art7, 'kk_hiv')"
)
AGE_YEARS = (
    "if(/data/person/age_known = 'nam_sinh', format-date(today(), '%Y') - /data/person/birth_year, /data/person/age)"
)
DETAILS_RELEVANT = "not(/data/person/age_years < 16) or /data/person/guardian_consent = 'dong_y'"

RULES: dict[str, dict[str, str]] = {
    "/data/intake_date": {"required": REQUIRED, "constraint": ". <= today()"},
    "/data/place/commune": {"required": REQUIRED},
    "/data/place/village": {"required": REQUIRED},
    "/data/place/village_name": {"required": REQUIRED, "relevant": "/data/place/village = 'khac'"},
    "/data/place/village_point": {"required": REQUIRED, "relevant": "/data/place/village = 'khac'"},
    "/data/place/village_label": {
        "calculate": "if(/data/place/village = 'khac', /data/place/village_name, "
        "instance('villages')/root/item[name = /data/place/village]/label)"
    },
    "/data/consent_version": {"calculate": "'2026-11'"},
    "/data/consent": {"required": REQUIRED},
    "/data/refused_note": {"relevant": "/data/consent = 'tu_choi'"},
    "/data/person": {"relevant": "/data/consent = 'dong_y'"},
    "/data/person/sex": {"required": REQUIRED},
    "/data/person/age_known": {"required": REQUIRED},
    "/data/person/birth_year": {
        "required": REQUIRED,
        "relevant": "/data/person/age_known = 'nam_sinh'",
        "constraint": ". >= 1900 and . <= format-date(today(), '%Y')",
    },
    "/data/person/age": {
        "required": REQUIRED,
        "relevant": "/data/person/age_known = 'tuoi'",
        "constraint": ". >= 0 and . <= 120",
    },
    "/data/person/age_years": {"calculate": AGE_YEARS},
    "/data/person/guardian_consent": {"required": REQUIRED, "relevant": "/data/person/age_years < 16"},
    "/data/person/guardian_refused_note": {"relevant": "/data/person/guardian_consent = 'tu_choi'"},
    "/data/person/details": {"relevant": DETAILS_RELEVANT},
    "/data/person/details/ethnicity": {"required": REQUIRED},
    "/data/person/details/art7": {"required": REQUIRED},
    "/data/person/details/hardship": {"required": REQUIRED, "relevant": HARDSHIP_RELEVANT},
    "/data/person/details/proof_papers": {"required": REQUIRED},
    "/data/person/details/proof_original": {
        "required": REQUIRED,
        "relevant": "not(selected(/data/person/details/proof_papers, 'chua_co')"
        " and count-selected(/data/person/details/proof_papers) = 1)",
    },
    "/data/person/details/field": {"required": REQUIRED},
    "/data/person/details/aid_form": {"required": REQUIRED},
    "/data/person/details/accepted": {"required": REQUIRED},
    "/data/person/details/not_accepted_reason": {
        "required": REQUIRED,
        "relevant": "/data/person/details/accepted = 'khong'",
    },
    "/data/person/details/provider_role": {"required": REQUIRED},
    "/data/meta/instanceName": {"calculate": "concat(/data/intake_date, ' ', /data/place/village_label)"},
}
RULE_ATTRIBUTES = ("relevant", "constraint", "required", "calculate")

# GSO codes of Vietnam's 54 ethnic groups (Danh mục các dân tộc Việt Nam, TCTK), as the form labels them.
ETHNICITY = {
    "dt01": "Kinh",
    "dt02": "Tày",
    "dt03": "Thái",
    "dt04": "Hoa",
    "dt05": "Khơ-me",
    "dt06": "Mường",
    "dt07": "Nùng",
    "dt08": "Mông",
    "dt09": "Dao",
    "dt10": "Gia-rai",
    "dt11": "Ngái",
    "dt12": "Ê-đê",
    "dt13": "Ba Na",
    "dt14": "Xơ-đăng",
    "dt15": "Sán Chay",
    "dt16": "Cơ-ho",
    "dt17": "Chăm",
    "dt18": "Sán Dìu",
    "dt19": "Hrê",
    "dt20": "Mnông",
    "dt21": "Ra-glai",
    "dt22": "Xtiêng",
    "dt23": "Bru-Vân Kiều",
    "dt24": "Thổ",
    "dt25": "Giáy",
    "dt26": "Cơ-tu",
    "dt27": "Gié-Triêng",
    "dt28": "Mạ",
    "dt29": "Khơ-mú",
    "dt30": "Co",
    "dt31": "Tà-ôi",
    "dt32": "Chơ-ro",
    "dt33": "Kháng",
    "dt34": "Xinh-mun",
    "dt35": "Hà Nhì",
    "dt36": "Chu-ru",
    "dt37": "Lào",
    "dt38": "La Chí",
    "dt39": "La Ha",
    "dt40": "Phù Lá",
    "dt41": "La Hủ",
    "dt42": "Lự",
    "dt43": "Lô Lô",
    "dt44": "Chứt",
    "dt45": "Mảng",
    "dt46": "Pà Thẻn",
    "dt47": "Cờ Lao",
    "dt48": "Cống",
    "dt49": "Bố Y",
    "dt50": "Si La",
    "dt51": "Pu Péo",
    "dt52": "Brâu",
    "dt53": "Ơ Đu",
    "dt54": "Rơ-măm",
    "khac": "Người nước ngoài, khác",
}
BAC_KAN_MAIN = ["dt02", "dt09", "dt01", "dt07", "dt08", "dt15", "dt04"]  # Tày, Dao, Kinh, Nùng, Mông, Sán Chay, Hoa

CHOICES = {
    "consent": {"dong_y", "tu_choi"},
    "sex": {"nam", "nu"},
    "age_known": {"nam_sinh", "tuoi"},
    "ethnicity": set(ETHNICITY),
    "art7": set(ART7),
    "hardship": {"can_ngheo", "tro_cap_xa_hoi"},
    "proof": {
        "quyet_dinh_co_cong",
        "giay_chung_nhan_ho_ngheo",
        "giay_khai_sinh",
        "can_cuoc",
        "xac_nhan_cu_tru_dbkk",
        "giay_chung_nhan_can_ngheo",
        "quyet_dinh_tro_cap",
        "giay_xac_nhan_khuyet_tat",
        "xac_nhan_nan_nhan",
        "quyet_dinh_lien_quan_liet_si",
        "giay_to_to_tung",
        "khac",
        "chua_co",
    },
    "proof_original": {"ban_chinh", "ban_sao_chung_thuc", "bo_sung_sau"},
    "field_of_law": {
        "hinh_su",
        "dan_su",
        "hon_nhan_gia_dinh",
        "hanh_chinh",
        "dat_dai",
        "lao_dong",
        "uu_dai_chinh_sach",
        "khac",
    },
    "aid_form": {"tu_van", "tham_gia_to_tung", "dai_dien_ngoai_to_tung"},
    "yes_no": {"co", "khong"},
    "not_accepted": {"khong_thuoc_dien", "linh_vuc_kinh_doanh", "thieu_giay_to", "chuyen_co_quan_khac", "khac"},
    "role": {"tro_giup_vien", "luat_su", "cong_tac_vien", "tu_phap_xa", "truong_thon", "phien_dich", "khac"},
}
SELECTS = {
    "/data/consent": "consent",
    "/data/person/sex": "sex",
    "/data/person/age_known": "age_known",
    "/data/person/guardian_consent": "consent",
    "/data/person/details/ethnicity": "ethnicity",
    "/data/person/details/art7": "art7",
    "/data/person/details/hardship": "hardship",
    "/data/person/details/proof_papers": "proof",
    "/data/person/details/proof_original": "proof_original",
    "/data/person/details/field": "field_of_law",
    "/data/person/details/aid_form": "aid_form",
    "/data/person/details/accepted": "yes_no",
    "/data/person/details/not_accepted_reason": "not_accepted",
    "/data/person/details/provider_role": "role",
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
    assert (info.form_id, info.version) == ("tgpl_person", "2026112601")
    assert info.title == "Tiếp nhận người được trợ giúp pháp lý (Legal-aid intake: person helped)"
    assert form.default_language() == VI
    assert (
        form.bind("/data/meta/instanceName")["calculate"] == "concat(/data/intake_date, ' ', /data/place/village_label)"
    )


def test_field_names_and_groups_are_the_contract(form: XForm) -> None:
    assert form.leaves() == LEAVES
    for group in GROUPS:
        assert form.control(group).tag.endswith("group")


@pytest.mark.parametrize(("path", "rules"), RULES.items(), ids=RULES.keys())
def test_rule(form: XForm, path: str, rules: dict[str, str]) -> None:
    bind = form.bind(path)
    assert {k: v for k, v in bind.items() if k in RULE_ATTRIBUTES} == rules


def test_no_other_bind_has_a_rule(form: XForm) -> None:
    ruled = {path for path, bind in form.binds().items() if set(bind) & set(RULE_ATTRIBUTES)}
    assert ruled - {"/data/meta/instanceID"} == set(RULES)  # instanceID only has jr:preload


def test_no_photos_or_other_files_at_all(built: BuiltForm, form: XForm) -> None:
    assert read_xform(built.xform).binary_paths == ()
    assert form.root.find(".//h:body//x:upload", NS) is None


def test_choice_codes_are_the_contract(form: XForm) -> None:
    for list_name, codes in CHOICES.items():
        names = form.choices(list_name)
        assert set(names) == codes, list_name
        assert len(names) == len(set(names)), f"{list_name} repeats a code"
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in names), list_name
    assert len(form.choices("art7")) == 14


@pytest.mark.parametrize(("path", "list_name"), SELECTS.items(), ids=SELECTS.keys())
def test_select_offers_its_list(form: XForm, path: str, list_name: str) -> None:
    assert form.itemset(path) == f"instance('{list_name}')/root/item"


def test_ethnicity_uses_the_gso_codes_with_the_main_groups_of_bac_kan_first(form: XForm) -> None:
    """dt01..dt54 follow the GSO numbering (01 Kinh … 54 Rơ-măm), checked against several public copies of the
    list. Not sure: the spelling the GSO uses today for a few names (Cờ Lao / Cơ Lao, Tà-ôi / Ta-ôi, Chu-ru /
    Chu ru, Mông / H'Mông), and whether `khac` should rather be the GSO's 55 "Người nước ngoài" (foreigner)."""
    assert form.choice_labels("ethnicity", VI) == ETHNICITY
    names = form.choices("ethnicity")
    assert names[:7] == BAC_KAN_MAIN
    assert names[7:-1] == sorted(set(ETHNICITY) - {*BAC_KAN_MAIN, "khac"})
    assert names[-1] == "khac"
    assert form.control("/data/person/details/ethnicity").get("appearance") == "autocomplete"


def test_art7_labels_follow_the_law(form: XForm) -> None:
    labels = form.choice_labels("art7", VI)
    assert labels["dtts_dbkk"] == (
        "Người dân tộc thiểu số cư trú ở vùng có điều kiện kinh tế - xã hội đặc biệt khó khăn"
    )
    assert labels["buoc_toi_can_ngheo"] == "Người bị buộc tội thuộc hộ cận nghèo"
    assert all("có khó khăn về tài chính" in labels[code] for code in KK)
    assert not any("khó khăn về tài chính" in labels[code] for code in set(ART7) - set(KK))


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


def test_the_consent_text_says_what_the_law_asks_for(form: XForm) -> None:
    """Informed consent (PDP Law 2025, NĐ 356/2025): what, why, that it is sensitive, the right to refuse
    without losing help, who keeps it; plus the legal-aid confidentiality duty (Luật TGPL Art. 6(1)(c))."""
    texts = form.translations()
    vi, en = texts[VI]["/data/consent_note:label"], texts[EN]["/data/consent_note:label"]
    for part in ("ĐỌC TO", "dân tộc", "nhạy cảm", "quyền từ chối", "vẫn được tư vấn, trợ giúp", "lưu trên máy chủ"):
        assert part in vi, part
    for part in ("READ ALOUD", "ethnicity", "sensitive", "You may refuse", "still receive", "server located"):
        assert part in en, part
    assert "im lặng không phải là đồng ý" in texts[VI]["/data/consent:hint"]
    assert "ẩn danh" in texts[VI]["/data/refused_note:label"]
    assert "anonymous tally" in texts[EN]["/data/refused_note:label"]


def test_hints_that_keep_the_record_minimal(form: XForm) -> None:
    texts = form.translations()
    assert "không chụp ảnh căn cước" in texts[VI]["/data/person/details/proof_papers:hint"].lower()
    assert "SAW" in texts[EN]["/data/person/details/proof_papers:hint"]
    assert "144/2017/NĐ-CP" in texts[VI]["/data/person/details/hardship:hint"]
    assert "Không ghi họ tên" in texts[VI]["/data/person/details/summary:hint"]
    assert "16" in texts[VI]["/data/person/guardian_consent:hint"]
    for path in ("/data/session_link", "/data/place/village_point", "/data/person/details/art7"):
        assert f"{path}:hint" in texts[EN], path
    for path in [p for p, r in RULES.items() if "constraint" in r]:
        assert f"{path}:jr:constraintMsg" in texts[EN], path


# The tricky rules, each alone.

REFUSAL_HIDES_THE_REST = """
| survey |
| | type | name | label | required | relevant |
| | select_one consent | consent | Người được hỏi có đồng ý không? | yes | |
| | note | refused_note | Chỉ giữ lượt đếm ẩn danh; kết thúc phiếu. | | ${consent} = 'tu_choi' |
| | begin_group | person | Người được trợ giúp pháp lý | | ${consent} = 'dong_y' |
| | select_one sex | sex | Giới tính | yes | |
| | end_group | | | | |
| choices |
| | list_name | name | label |
| | consent | dong_y | Đồng ý |
| | consent | tu_choi | Từ chối |
| | sex | nam | Nam |
| | sex | nu | Nữ |
"""


def test_a_refusal_hides_everything_that_follows(form: XForm) -> None:
    alone = isolated(REFUSAL_HIDES_THE_REST)
    assert alone.bind("/data/person")["relevant"] == "/data/consent = 'dong_y'"
    assert "relevant" not in alone.bind("/data/person/sex")  # the group's relevance covers it
    assert form.bind("/data/person")["relevant"] == "/data/consent = 'dong_y'"
    after_refusal = LEAVES[LEAVES.index("/data/refused_note") + 1 :]
    assert all(p.startswith(("/data/person/", "/data/meta/")) for p in after_refusal)
    assert form.leaves() == LEAVES


GUARDIAN_UNDER_16 = """
| survey |
| | type | name | label | required | relevant | calculation |
| | begin_group | person | Người | | | |
| | select_one age_known | age_known | Biết năm sinh hay tuổi? | yes | | |
| | integer | birth_year | Năm sinh | yes | ${age_known} = 'nam_sinh' | |
| | integer | age | Tuổi | yes | ${age_known} = 'tuoi' | |
| | calculate | age_years | | | | if(${age_known} = 'nam_sinh', format-date(today(), '%Y') - ${birth_year}, ${age}) |
| | select_one consent | guardian_consent | Người giám hộ đồng ý? | yes | ${age_years} < 16 | |
| | begin_group | details | Chi tiết | | not(${age_years} < 16) or ${guardian_consent} = 'dong_y' | |
| | select_one sex | sex | Giới tính | yes | | |
| | end_group | | | | | |
| | end_group | | | | | |
| choices |
| | list_name | name | label |
| | age_known | nam_sinh | Biết năm sinh |
| | age_known | tuoi | Chỉ biết tuổi |
| | consent | dong_y | Đồng ý |
| | consent | tu_choi | Từ chối |
| | sex | nam | Nam |
| | sex | nu | Nữ |
"""


def test_a_child_needs_the_guardians_consent_too(form: XForm) -> None:
    alone = isolated(GUARDIAN_UNDER_16)
    for xform in (alone, form):
        assert xform.bind("/data/person/age_years")["calculate"] == AGE_YEARS
        guardian = xform.bind("/data/person/guardian_consent")
        assert (guardian["relevant"], guardian["required"]) == ("/data/person/age_years < 16", REQUIRED)
        assert xform.bind("/data/person/details")["relevant"] == DETAILS_RELEVANT
    after_guardian = LEAVES[LEAVES.index("/data/person/guardian_refused_note") + 1 : -2]  # up to meta/
    assert all(p.startswith("/data/person/details/") for p in after_guardian)


HARDSHIP_ONLY_FOR_KK = """
| survey |
| | type | name | label | required | relevant |
| | begin_group | person | Người | | |
| | begin_group | details | Chi tiết | | |
| | select_multiple art7 | art7 | Diện (Điều 7) | yes | |
| | select_one hardship | hardship | Căn cứ khó khăn về tài chính | yes | {relevant} |
| | end_group | | | | |
| | end_group | | | | |
| choices |
| | list_name | name | label |
| | art7 | ho_ngheo | Người thuộc hộ nghèo |
| | art7 | kk_than_nhan_liet_si | Thân nhân liệt sĩ có khó khăn về tài chính |
| | art7 | kk_da_cam | Người nhiễm chất độc da cam có khó khăn về tài chính |
| | art7 | kk_cao_tuoi | Người cao tuổi có khó khăn về tài chính |
| | art7 | kk_khuyet_tat | Người khuyết tật có khó khăn về tài chính |
| | art7 | kk_bi_hai_16_18 | Bị hại từ đủ 16 đến dưới 18 tuổi có khó khăn về tài chính |
| | art7 | kk_bao_luc_gia_dinh | Nạn nhân bạo lực gia đình có khó khăn về tài chính |
| | art7 | kk_mua_ban_nguoi | Nạn nhân mua bán người có khó khăn về tài chính |
| | art7 | kk_hiv | Người nhiễm HIV có khó khăn về tài chính |
| | hardship | can_ngheo | Thuộc hộ cận nghèo |
| | hardship | tro_cap_xa_hoi | Đang hưởng trợ cấp xã hội hằng tháng |
"""


def test_the_hardship_basis_is_asked_only_for_the_kk_categories(form: XForm) -> None:
    """Art. 7(7): these eight categories qualify only with financial hardship (NĐ 144/2017 Art. 2)."""
    relevant = " or ".join(f"selected(${{art7}}, '{code}')" for code in KK)
    alone = isolated(HARDSHIP_ONLY_FOR_KK.format(relevant=relevant))
    assert alone.bind("/data/person/details/hardship")["relevant"] == HARDSHIP_RELEVANT
    assert form.bind("/data/person/details/hardship")["relevant"] == HARDSHIP_RELEVANT
    assert [code for code in form.choices("art7") if code.startswith("kk_")] == KK
