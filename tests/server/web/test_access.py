"""Every page and API route, for every role (and an area-limited coordinator)."""

from __future__ import annotations

import io
import zipfile
from functools import cache

import httpx
import pytest
from sqlmodel import Session

from forms.build import BuiltForm, build_xlsform
from server.app_users import create_app_user
from server.cli.setup import BUILTIN_FORMS
from server.gazetteer import villages as registry
from server.publish import publish_xform
from server.submissions import receive
from server.web_users import new_api_token
from tests.instances import fill
from tests.server.web.conftest import Web

ROLES = ("anonymous", "viewer", "coord", "admin", "ngan_son")


@cache
def session_form() -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx")


@pytest.fixture
def world(web: Web, backan: Session, java: None) -> dict[str, str]:
    """A published form, a proposal in Bằng Thành (Pác Nặm) and one in Thượng Quan (Ngân Sơn), one submission."""
    publish_xform(session=backan, store=web.live.store, xform=session_form().xform, media={})
    pac_nam = registry.add_village(session=backan, commune_code="01864", name="Thôn A")
    ngan_son = registry.add_village(session=backan, commune_code="01957", name="Thôn B")
    app_user, _ = create_app_user(session=backan, name="Phone")
    received = receive(session=backan, store=web.live.store, app_user=app_user, parts={},
                       xml=fill(session_form().xform, {"session_date": "2026-11-20", "commune": "01864"}))  # fmt: skip
    return {"pac_nam": pac_nam.code, "ngan_son": ngan_son.code, "submission": str(received.submission_id),
            "app_user": str(app_user.id)}  # fmt: skip


# route, then the expected status for: anonymous, viewer, coordinator, admin, Ngân Sơn coordinator
PAGES = [
    ("GET /", (303, 200, 200, 200, 200)),
    ("GET /?scheme=old&area=060", (303, 200, 200, 200, 403)),
    ("GET /submissions", (303, 403, 200, 200, 200)),
    ("GET /submissions/{submission}", (303, 403, 200, 200, 403)),
    ("GET /villages", (303, 403, 200, 200, 200)),
    ("GET /collaborators", (303, 403, 200, 200, 403)),
    ("GET /forms", (303, 403, 200, 200, 403)),
    ("GET /map", (303, 200, 200, 200, 200)),
    ("GET /map?scheme=old&area=060", (303, 200, 200, 200, 403)),
    ("GET /submissions/{submission}/attachments/nope.jpg", (303, 403, 404, 404, 403)),
    ("GET /downloads", (303, 200, 200, 200, 200)),
    ("GET /forms/tgpl_session/codebook.md", (303, 403, 200, 200, 200)),
    ("GET /forms/tgpl_session/submissions.csv.zip", (303, 200, 200, 200, 200)),
    ("GET /forms/tgpl_session/submissions.xlsx", (303, 200, 200, 200, 200)),
    ("GET /reports/directive.xlsx?period=2026-H1", (303, 403, 200, 200, 403)),
    ("GET /reports/bieu24.csv?period=2026-H1&rule=stat", (303, 403, 200, 200, 403)),
    ("GET /reports/bieu25.csv?period=2026-X9", (303, 403, 400, 400, 403)),
    ("POST /villages/{pac_nam}/rename", (303, 403, 303, 303, 403)),
    ("POST /villages/{ngan_son}/rename", (303, 403, 303, 303, 303)),
    ("POST /villages/{pac_nam}/retire", (303, 403, 303, 303, 403)),
    ("POST /villages/{ngan_son}/confirm", (303, 403, 303, 303, 303)),
    ("POST /submissions/{submission}/review", (303, 403, 303, 303, 403)),
    ("POST /forms/tgpl_session/open", (303, 403, 403, 303, 403)),
    ("POST /collaborators/{app_user}/revoke", (303, 403, 303, 303, 403)),
    ("POST /collaborators", (303, 403, 200, 200, 403)),
]
API = [
    ("/api/coverage", (401, 200, 200, 200, 200)),
    ("/api/villages", (401, 403, 200, 200, 200)),
    ("/api/submissions", (401, 403, 200, 200, 403)),
]


@pytest.mark.parametrize(("route", "expected"), PAGES, ids=[r for r, _ in PAGES])
def test_pages_by_role(web: Web, world: dict[str, str], route: str, expected: tuple[int, ...]) -> None:
    method, path = route.split(" ", 1)
    path = path.format(**world)
    for role, status in zip(ROLES, expected, strict=True):
        browser = web.browser(None if role == "anonymous" else role)
        if method == "GET":
            response = browser.http.get(path)
        else:
            data = {"name": "Thôn Đổi Tên", "state": "approved", "comment": "ok"}
            response = browser.post(path, data) if role != "anonymous" else browser.http.post(path, data=data)
        assert response.status_code == status, (role, route, response.text[:300])


@pytest.mark.parametrize(("path", "expected"), API, ids=[p for p, _ in API])
def test_api_by_role(web: Web, world: dict[str, str], backan: Session, path: str, expected: tuple[int, ...]) -> None:
    for role, status in zip(ROLES, expected, strict=True):
        headers = {}
        if role != "anonymous":
            headers["Authorization"] = f"Bearer {new_api_token(session=backan, username=role)}"
        response = httpx.get(f"{web.live.base}{path}", headers=headers)
        assert response.status_code == status, (role, path, response.text[:300])
        assert response.headers["content-type"].startswith("application/json")
        if status == 401:
            assert response.headers["www-authenticate"] == "Bearer"


def test_an_area_coordinator_sees_only_the_area(web: Web, world: dict[str, str]) -> None:
    browser = web.browser("ngan_son")
    response = browser.http.get("/villages")
    assert response.status_code == 200
    assert "<title>Thôn, bản · tgpl</title>" in response.text
    villages = response.text
    assert world["ngan_son"] in villages
    assert world["pac_nam"] not in villages
    assert "Huyện Ngân Sơn" in browser.http.get("/").text
    submissions = browser.http.get("/submissions")
    assert submissions.status_code == 200
    assert submissions.text.count('href="/submissions/') == 0  # the session was in Pác Nặm


def test_openapi_schema_lists_the_api(web: Web) -> None:
    schema = httpx.get(f"{web.live.base}/api/openapi.json").json()
    assert {"/api/coverage", "/api/villages", "/api/submissions"} <= set(schema["paths"])


def test_viewers_get_protected_counts_over_whole_quarters(web: Web, world: dict[str, str], backan: Session) -> None:
    person_form = build_xlsform(BUILTIN_FORMS / "tgpl_person.xlsx")
    publish_xform(session=backan, store=web.live.store, xform=person_form.xform, media={})
    phone, _ = create_app_user(session=backan, name="Intake")
    for category in ("kk_hiv", "kk_hiv", "ho_ngheo kk_hiv", "ho_ngheo", "ho_ngheo", "ho_ngheo", "ho_ngheo"):
        values = {"intake_date": "2026-11-20", "commune": "01864", "consent": "dong_y", "art7": category}
        receive(session=backan, store=web.live.store, app_user=phone, parts={}, xml=fill(person_form.xform, values))
    headers = {"Authorization": f"Bearer {new_api_token(session=backan, username='viewer')}"}
    report = httpx.get(f"{web.live.base}/api/coverage?from=2026-11-20&to=2026-11-20&area=01864", headers=headers).json()
    assert (report["from"], report["to"]) == ("2026-10-01", "2026-12-31")  # a whole quarter, not one day
    (commune,) = report["communes"]
    assert commune["counts"]["categories"] == {"kk_hiv": "<5", "ho_ngheo": 5}  # 3 and 5 people
    assert commune["counts"]["people"] == 5  # 7 rounded to a multiple of 5
    staff = {"Authorization": f"Bearer {new_api_token(session=backan, username='coord')}"}
    exact = httpx.get(f"{web.live.base}/api/coverage?from=2026-11-20&to=2026-11-20&area=01864", headers=staff).json()
    assert exact["communes"][0]["counts"]["people"] == 7
    viewer = web.browser("viewer")
    page = viewer.http.get("/map?area=01864&from=2026-11-20&to=2026-11-20")
    assert page.status_code == 200
    assert '"sessions": []' in page.text or "Buổi trợ giúp (điểm GPS)" not in page.text  # no individual sessions


def test_an_area_coordinators_export_holds_only_the_area(web: Web, world: dict[str, str]) -> None:
    everything = web.browser("coord").http.get("/forms/tgpl_session/submissions.csv.zip")
    area = web.browser("ngan_son").http.get("/forms/tgpl_session/submissions.csv.zip")
    assert everything.headers["content-disposition"] == 'attachment; filename="tgpl_session.csv.zip"'
    with zipfile.ZipFile(io.BytesIO(everything.content)) as archive:
        assert archive.read("tgpl_session.csv").decode("utf-8-sig").count("\n") == 2  # header + the session
    with zipfile.ZipFile(io.BytesIO(area.content)) as archive:
        assert archive.read("tgpl_session.csv").decode("utf-8-sig").count("\n") == 1  # the session was in Pác Nặm


def test_viewers_download_de_identified_exports(web: Web, world: dict[str, str]) -> None:
    response = web.browser("viewer").http.get("/forms/tgpl_session/submissions.csv.zip?attachments=true")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == ["tgpl_session-team.csv", "tgpl_session.csv"]  # no media
        team = archive.read("tgpl_session-team.csv").decode("utf-8-sig").splitlines()[0]
        root = archive.read("tgpl_session.csv").decode("utf-8-sig").splitlines()[0]
    assert team == "member_role,PARENT_KEY,KEY"  # no staff names, no card numbers
    assert "attendance_photo" not in root
    staff = web.browser("coord").http.get("/forms/tgpl_session/submissions.csv.zip")
    with zipfile.ZipFile(io.BytesIO(staff.content)) as archive:
        assert archive.read("tgpl_session-team.csv").decode("utf-8-sig").startswith("member_name,member_role,")
