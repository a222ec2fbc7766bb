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
from server.app_users import create_app_user
from server.cli.setup import builtin_forms
from server.gazetteer import villages as registry
from server.models import SubmissionAttachment, SubmissionDef
from server.publish import publish_xform
from server.submissions import count_submissions
from tests.conftest import PLACES_FORM, Live, need

HARNESS = Path(__file__).resolve().parents[1] / "webforms"

pytestmark = [pytest.mark.node, pytest.mark.slow]


@pytest.fixture
def placeholder_url(live: Live, session: Session, java: None) -> str:
    """The built-in placeholder form published from its real .xlsx and media, and an app user's URL."""
    ((path, media),) = [(p, m) for p, m in builtin_forms() if p.stem == "tgpl_placeholder"]
    built = build_xlsform(path)
    publish_xform(session=session, store=live.store, xform=built.xform, media={m.name: m.read_bytes() for m in media})
    _, token = create_app_user(session=session, name="Web Forms")
    return live.key_url(token)


def fill(
    node: str,
    server: str,
    answers: list[dict[str, str]],
    tmp_path: Path,
    *extra: str,
    form_id: str = "tgpl_placeholder",
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


def test_engine_fills_and_submits_the_placeholder_form(
    node: str, live: Live, placeholder_url: str, tmp_path: Path
) -> None:
    photo = tmp_path / "giay_to.png"
    segno.make("tgpl").save(str(photo), scale=4)
    answers = [
        {"ref": "/data/ngay", "value": date.today().isoformat()},
        {"ref": "/data/loai", "value": "tap_huan"},
        {"ref": "/data/so_nguoi", "value": "25"},
        {"ref": "/data/ghi_chu", "value": "Buổi thử ở thôn Nà Pài"},
        {"ref": "/data/anh", "value": str(photo)},
        {"ref": "/data/vi_tri", "value": "22.1465 105.8348 300 5"},
    ]
    code, result = fill(node, placeholder_url, answers, tmp_path)
    assert result["errors"] == [], result
    assert result["violations"] == [], result
    assert result["media"] == ["loai_ghi_nhan.csv"]
    assert sorted(result["choices"]["/data/loai"]) == [
        "tap_huan",
        "thu_nghiem",
    ]  # read from the CSV media file
    assert (code, result["head_status"], result["submit_status"]) == (0, 204, 201)
    with Session(live.engine) as session:
        assert count_submissions(session, "tgpl_placeholder") == 1
        (stored,) = session.exec(select(SubmissionDef)).all()
        assert stored.instance_id == result["instance_id"]
        assert live.store.read(stored.xml_sha256).decode() == result["instance_xml"]
        (attachment,) = session.exec(select(SubmissionAttachment)).all()
    assert attachment.name == "giay_to.png"
    assert live.store.read(attachment.sha256) == photo.read_bytes()
    assert "<so_nguoi>25</so_nguoi>" in result["instance_xml"]


@pytest.mark.parametrize(
    ("ref", "value"),
    [("/data/ngay", "2099-01-01"), ("/data/so_nguoi", "-3"), ("/data/so_nguoi", "5000")],
    ids=["future-date", "negative-count", "count-too-large"],
)
def test_engine_rejects_values_that_break_constraints(
    node: str, live: Live, placeholder_url: str, tmp_path: Path, ref: str, value: str
) -> None:
    answers = [
        {"ref": "/data/ngay", "value": date.today().isoformat()},
        {"ref": "/data/loai", "value": "thu_nghiem"},
        {"ref": ref, "value": value},
    ]
    code, result = fill(node, placeholder_url, answers, tmp_path)
    assert code == 1
    assert [v["ref"] for v in result["violations"]] == [ref]
    assert result["submit_status"] is None
    with Session(live.engine) as session:
        assert count_submissions(session) == 0


def test_engine_only_offers_choices_from_the_media_file(node: str, placeholder_url: str, tmp_path: Path) -> None:
    answers = [
        {"ref": "/data/ngay", "value": date.today().isoformat()},
        {"ref": "/data/loai", "value": "bịa_ra"},
    ]
    code, result = fill(node, placeholder_url, answers, tmp_path, "--no-submit")
    assert code == 1
    assert any("bịa_ra" in error for error in map(str, result["errors"]))


@pytest.fixture
def places_url(live: Live, backan: Session) -> str:
    """The gazetteer-driven picker form published, three confirmed villages, and an app user's URL."""
    for commune, name in (("01864", "Thôn Nà Pài"), ("01858", "Bản Khuổi Nộc"), ("01957", "Thôn Bản Sảng")):
        village = registry.add_village(session=backan, commune_code=commune, name=name)
        registry.confirm(session=backan, ref=village.code)
    built = build_xlsform(PLACES_FORM, file_type=".md")
    publish_xform(session=backan, store=live.store, xform=built.xform, media={})
    _, token = create_app_user(session=backan, name="Places")
    return live.key_url(token)


def test_commune_then_village_cascade_comes_from_the_generated_media(
    node: str, live: Live, places_url: str, tmp_path: Path
) -> None:
    answers = [{"ref": "/data/commune", "value": "01864"}, {"ref": "/data/village", "value": "01864-002"}]
    code, result = fill(node, places_url, answers, tmp_path, form_id="places_demo")
    assert sorted(result["media"]) == ["communes.csv", "villages.csv"]
    assert len(result["choices"]["/data/commune"]) == 37
    assert result["choices"]["/data/village"] == ["01864-002", "01864-001", "khac"]  # Khuổi Nộc, Nà Pài, not listed
    assert (code, result["submit_status"]) == (0, 201)
    assert "<village>01864-002</village>" in result["instance_xml"]


def test_a_village_of_another_commune_is_not_offered(node: str, places_url: str, tmp_path: Path) -> None:
    answers = [{"ref": "/data/commune", "value": "01864"}, {"ref": "/data/village", "value": "01957-001"}]
    code, result = fill(node, places_url, answers, tmp_path, "--no-submit", form_id="places_demo")
    assert code == 1
    assert result["choices"]["/data/village"] == ["01864-002", "01864-001", "khac"]
    assert any("01957-001" in str(error) for error in result["errors"])


def test_village_not_in_the_list_needs_a_name_and_a_point(
    node: str, live: Live, places_url: str, tmp_path: Path
) -> None:
    answers = [{"ref": "/data/commune", "value": "01957"}, {"ref": "/data/village", "value": "khac"}]
    code, result = fill(node, places_url, answers, tmp_path, "--no-submit", form_id="places_demo")
    assert code == 1
    assert sorted(v["ref"] for v in result["violations"]) == ["/data/village_name", "/data/village_point"]
    answers += [
        {"ref": "/data/village_name", "value": "Thôn Phja Đăm"},
        {"ref": "/data/village_point", "value": "22.44 105.98 500 8"},
    ]
    code, result = fill(node, places_url, answers, tmp_path, form_id="places_demo")
    assert (code, result["submit_status"]) == (0, 201)
    assert "<village_name>Thôn Phja Đăm</village_name>" in result["instance_xml"]
