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
from server.models import SubmissionAttachment, SubmissionDef
from server.publish import publish_xform
from server.submissions import count_submissions
from tests.conftest import Live, need

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
    node: str, server: str, answers: list[dict[str, str]], tmp_path: Path, *extra: str
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
            "tgpl_placeholder",
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
