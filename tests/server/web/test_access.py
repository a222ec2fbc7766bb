"""Every route of the app for every role, generated from the app's own route list: a route without a row in MATRIX
fails, and so does a row for a route the app no longer has. Then the area, count and export rules of each role."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.routing import Mount

from forms.build import BuiltForm, build_xlsform
from server.accounts.app_users import create_app_user, revoke
from server.accounts.web_users import create_web_user, new_api_token
from server.app import create_app
from server.cli.setup import BUILTIN_FORMS
from server.core.config import Settings
from server.core.models import Audit, WebUser
from server.places import villages as registry
from server.publishing.forms import publish_xform
from server.submissions.receive import receive
from tests.conftest import simple_form
from tests.instances import fill
from tests.server.web.conftest import PASSWORD, Browser, Web

ROLES = ("anonymous", "revoked", "other_form", "app_user", "viewer", "ngan_son", "coord", "admin")
PHONES = ("revoked", "other_form", "app_user")  # app users: a token in the OpenRosa URL, nothing else
WEB = ("viewer", "ngan_son", "coord", "admin")  # web users (tests/server/web/conftest.py USERS): signed-in browsers
NOBODYS_TOKEN = "N0b0dy5-t0ken_" * 4 + "abcdefgh"  # well-formed (64 characters), no one's: what a web session and
# an anonymous client meet in a phone URL, so a session cookie can never stand in for a token

# fmt: off
# Every request, then the status each role must get. The route each row exercises is found the way the app finds
# it (method, then path), so a row can only name a route that exists. Rows run in this order on one world.
# Pages and POSTs: a signed-in browser (POSTs carry the session's CSRF token); anonymous and phones send no cookie
# (phones send their token as a Bearer header: a phone's token never opens a page or the API).
# /api: web users send their API token (a session cookie alone gets 401). /key/{token}: each phone its own token;
# anonymous and web users nobody's token (web users with their session cookie).
MATRIX = [
    # request                                                    anon rvkd othr app  view ngan coord admin
    ("GET /login",                                                200, 200, 200, 200, 200, 200, 200, 200),
    ("POST /login",                                               403, 403, 403, 403, 403, 403, 403, 403),  # no CSRF, or an unknown user  # noqa: E501
    ("GET /lang/vi",                                              303, 303, 303, 303, 303, 303, 303, 303),
    ("GET /static/map/leaflet.js",                                200, 200, 200, 200, 200, 200, 200, 200),
    ("GET /static/map/nope.js",                                   404, 404, 404, 404, 404, 404, 404, 404),
    ("GET /static/web/villages.js",                               200, 200, 200, 200, 200, 200, 200, 200),
    ("GET /static/web/nope.js",                                   404, 404, 404, 404, 404, 404, 404, 404),
    ("GET /api/openapi.json",                                     200, 200, 200, 200, 200, 200, 200, 200),
    ("HEAD /api/openapi.json",                                    200, 200, 200, 200, 200, 200, 200, 200),
    ("GET /",                                                     303, 303, 303, 303, 200, 200, 200, 200),
    ("GET /?scheme=old&area=060",                                 303, 303, 303, 303, 200, 403, 200, 200),
    ("GET /map",                                                  303, 303, 303, 303, 200, 200, 200, 200),
    ("GET /map?scheme=old&area=060",                              303, 303, 303, 303, 200, 403, 200, 200),
    ("GET /submissions",                                          303, 303, 303, 303, 403, 200, 200, 200),
    ("GET /submissions/{submission}",                             303, 303, 303, 303, 403, 403, 200, 200),
    ("GET /submissions/{submission}/attachments/nope.jpg",        303, 303, 303, 303, 403, 403, 404, 404),
    ("POST /submissions/{submission}/review",                     303, 303, 303, 303, 403, 403, 303, 303),
    ("GET /villages",                                             303, 303, 303, 303, 403, 200, 200, 200),
    ("POST /villages/{pac_nam}/rename",                           303, 303, 303, 303, 403, 403, 303, 303),
    ("POST /villages/{ngan_son}/rename",                          303, 303, 303, 303, 403, 303, 303, 303),
    ("POST /villages/{pac_nam}/assign-old",                       303, 303, 303, 303, 403, 403, 303, 303),
    ("POST /villages/{pac_nam}/retire",                           303, 303, 303, 303, 403, 403, 303, 303),
    ("POST /villages/{ngan_son}/confirm",                         303, 303, 303, 303, 403, 303, 303, 303),
    ("POST /villages/{merge_from}/merge",                         303, 303, 303, 303, 403, 403, 303, 409),  # merged by coord just before  # noqa: E501
    ("GET /collaborators",                                        303, 303, 303, 303, 403, 403, 200, 200),
    ("POST /collaborators",                                       303, 303, 303, 303, 403, 403, 200, 200),
    ("POST /collaborators/{app_user}/revoke",                     303, 303, 303, 303, 403, 403, 303, 303),
    ("GET /forms",                                                303, 303, 303, 303, 403, 403, 200, 200),
    ("POST /forms",                                               303, 303, 303, 303, 403, 403, 403, 200),  # no file: the page asks for one  # noqa: E501
    ("POST /forms/tgpl_session/open",                             303, 303, 303, 303, 403, 403, 403, 303),
    ("POST /forms/tgpl_session/sensitive",                        303, 303, 303, 303, 403, 403, 403, 303),  # off: it was not  # noqa: E501
    ("GET /downloads",                                            303, 303, 303, 303, 200, 200, 200, 200),
    ("GET /forms/tgpl_session/codebook.md",                       303, 303, 303, 303, 403, 200, 200, 200),
    ("GET /forms/tgpl_session/submissions.csv.zip",               303, 303, 303, 303, 200, 200, 200, 200),
    ("GET /forms/tgpl_session/submissions.xlsx",                  303, 303, 303, 303, 200, 200, 200, 200),
    ("GET /forms/tgpl_person/submissions.csv.zip",                303, 303, 303, 303, 403, 200, 200, 200),  # sensitive: viewers get aggregates only  # noqa: E501
    ("GET /forms/tgpl_person/submissions.xlsx",                   303, 303, 303, 303, 403, 200, 200, 200),
    ("GET /reports/directive.xlsx?period=2026-H1",                303, 303, 303, 303, 200, 403, 200, 200),  # viewer: protected  # noqa: E501
    ("GET /reports/bieu24.csv?period=2026-H1&rule=stat",          303, 303, 303, 303, 200, 403, 200, 200),
    ("GET /reports/bieu25.csv?period=2026-X9",                    303, 303, 303, 303, 400, 403, 400, 400),
    ("GET /api/coverage",                                         401, 401, 401, 401, 200, 200, 200, 200),
    ("GET /api/villages",                                         401, 401, 401, 401, 403, 200, 200, 200),
    ("GET /api/submissions",                                      401, 401, 401, 401, 403, 403, 200, 200),
    ("GET /key/{token}/formList",                                 403, 403, 200, 200, 403, 403, 403, 403),
    ("GET /key/{token}/forms/tgpl_session.xml",                   403, 403, 403, 200, 403, 403, 403, 403),
    ("GET /key/{token}/forms/other.xml",                          403, 403, 200, 200, 403, 403, 403, 403),
    ("GET /key/{token}/forms/nope.xml",                           403, 403, 404, 404, 403, 403, 403, 403),
    ("GET /key/{token}/forms/tgpl_session/manifest",              403, 403, 403, 200, 403, 403, 403, 403),
    ("GET /key/{token}/forms/tgpl_session/attachments/villages.csv", 403, 403, 403, 200, 403, 403, 403, 403),
    ("GET /key/{token}/forms/tgpl_session/attachments/nope.csv",  403, 403, 403, 404, 403, 403, 403, 403),
    ("HEAD /key/{token}/submission",                              403, 403, 204, 204, 403, 403, 403, 403),
    ("GET /key/{token}/submission",                               403, 403, 204, 204, 403, 403, 403, 403),
    ("POST /key/{token}/submission",                              403, 403, 403, 201, 403, 403, 403, 403),
    ("POST /logout",                                              303, 303, 303, 303, 303, 303, 303, 303),  # last: it ends every session of the user  # noqa: E501
]
# fmt: on
POSTED = {
    "old_commune": "01858",
    "name": "Thôn Đổi Tên",
    "state": "approved",
    "comment": "ok",
    "username": "nobody",
    "password": "sai",
    "sensitive": "off",
}


def served_routes(app: FastAPI) -> list[tuple[str, re.Pattern[str]]]:
    """("METHOD /path", its regex) for every route the app serves, in the order it tries them ('*' for a mount,
    which takes every method)."""
    routes = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            routes.append((f"* {route.path}/{{path:path}}", route.path_regex))
        else:
            routes += [(f"{method} {route.path}", route.path_regex) for method in sorted(route.methods or ())]
    return routes


def route_of(routes: list[tuple[str, re.Pattern[str]]], request: str) -> str | None:
    """The route a request reaches (placeholders filled with a sample value), or None."""
    method, target = request.split(" ", 1)
    path = re.sub(r"\{\w+\}", "x1", target.split("?", 1)[0])
    return next((key for key, regex in routes if key.split(" ", 1)[0] in (method, "*") and regex.match(path)), None)


def test_every_route_has_a_row_and_every_row_a_route(settings: Settings, engine: Engine) -> None:
    routes = served_routes(create_app(settings, engine=engine))
    assert {"GET /", "GET /api/coverage", "POST /key/{token}/submission"} <= {route for route, _ in routes}  # routers
    reached = {request: route_of(routes, request) for request, *_ in MATRIX}
    gone = [request for request, route in reached.items() if route is None]
    missing = [route for route, _ in routes if route not in reached.values()]
    assert (gone, missing) == ([], []), "rows for routes the app no longer has; routes without a row in MATRIX"
    assert len(reached) == len(MATRIX)  # no row twice


@cache
def session_form() -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx")


@cache
def person_form() -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / "tgpl_person.xlsx")


@pytest.fixture
def world(web: Web, backan: Session, java: None) -> dict[str, str]:
    """The two forms published, a proposal in Bằng Thành (Pác Nặm) and one in Thượng Quan (Ngân Sơn), a session."""
    publish_xform(session=backan, store=web.live.store, xform=session_form().xform, media={})
    publish_xform(session=backan, store=web.live.store, xform=person_form().xform, media={})  # sensitive from the start
    pac_nam = registry.add_village(session=backan, commune_code="01864", name="Thôn A")
    ngan_son = registry.add_village(session=backan, commune_code="01957", name="Thôn B")
    app_user, _ = create_app_user(session=backan, name="Phone")
    received = receive(session=backan, store=web.live.store, app_user=app_user, parts={},
                       xml=fill(session_form().xform, {"session_date": "2026-11-20", "commune": "01864"}))  # fmt: skip
    return {"pac_nam": pac_nam.code, "ngan_son": ngan_son.code, "submission": str(received.submission_id),
            "app_user": str(app_user.id)}  # fmt: skip


@dataclass
class Role:
    """How one role reaches the server: its client, and the token it puts in phone URLs and Bearer headers."""

    name: str
    client: httpx.Client  # a signed-in browser's client for web users, a cookie-less client otherwise
    token: str  # a phone's own token; nobody's for the others
    browser: Browser | None = None
    api_token: str | None = None


@pytest.fixture
def roles(web: Web, world: dict[str, str], backan: Session) -> Iterator[dict[str, Role]]:
    """Every role of the matrix, with a second form for the phone limited to it and the phones' tokens."""
    publish_xform(session=backan, store=web.live.store, xform=simple_form("other", "1").xform, media={})
    merge_from = registry.add_village(session=backan, commune_code="01864", name="Thôn C")
    merge_into = registry.add_village(session=backan, commune_code="01864", name="Thôn D")
    world.update(merge_from=merge_from.code, merge_into=merge_into.code)
    revoked, revoked_token = create_app_user(session=backan, name="Máy bị thu hồi")
    revoke(session=backan, app_user_id=revoked.id)  # type: ignore[arg-type]
    tokens = {"revoked": revoked_token, "other_form": create_app_user(session=backan, name="Máy biểu mẫu khác",
              form_ids=["other"])[1], "app_user": create_app_user(session=backan, name="Máy")[1]}  # fmt: skip
    with ExitStack() as stack:
        result = {}
        for name in ROLES:
            if name in WEB:
                browser = web.browser(name)
                api_token = new_api_token(session=backan, username=name)
                result[name] = Role(name, browser.http, NOBODYS_TOKEN, browser, api_token)
                continue
            headers = {"Accept": "text/html"}
            if name in PHONES:
                headers["Authorization"] = f"Bearer {tokens[name]}"
            client = stack.enter_context(httpx.Client(base_url=web.live.base, headers=headers, timeout=30))
            result[name] = Role(name, client, tokens.get(name, NOBODYS_TOKEN))
        yield result


@cache
def matrix_instance() -> bytes:
    """The session a phone sends in the matrix (201 only for the phone given every form)."""
    values = {"session_date": "2026-11-21", "commune": "01864"}
    return fill(session_form().xform, values, instance_id="uuid:6f1d2c1e-0a6b-4b8e-9a41-5b8d2f0c7e11")


def send(role: Role, request: str, world: dict[str, str], base: str) -> httpx.Response:
    """One matrix request, made the way this role makes requests."""
    method, target = request.split(" ", 1)
    target = target.format(**world, token=role.token)
    if target.startswith("/key/"):
        openrosa = {"X-OpenRosa-Version": "1.0"}
        if method == "POST":
            files = {"xml_submission_file": ("instance.xml", matrix_instance(), "text/xml")}
            return role.client.post(target, files=files, headers=openrosa)
        return role.client.request(method, target, headers=openrosa)
    if target.startswith("/api/") and role.api_token:
        return httpx.request(method, f"{base}{target}", headers={"Authorization": f"Bearer {role.api_token}"})
    if method == "POST":
        data = {**POSTED, "into": world["merge_into"]}
        return role.browser.post(target, data) if role.browser else role.client.post(target, data=data)
    return role.client.request(method, target)


def mismatches(role: Role, request: str, expected: int, response: httpx.Response) -> list[str]:
    """What is wrong with a response: its status, and the form of its answer (OpenRosa XML for phone URLs, JSON
    for the API, a page for people; a redirect to sign in exactly when no one is signed in)."""
    method, target = request.split(" ", 1)
    path, status = target.split("?", 1)[0], response.status_code
    content_type = response.headers.get("content-type", "")
    found = [] if status == expected else [f"status {status}, expected {expected}: {response.text[:200]!r}"]
    if path.startswith("/key/"):
        if status >= 400 and not (
            content_type.startswith("text/xml") and (method == "HEAD" or b"<OpenRosaResponse" in response.content)
        ):
            found.append(f"a phone's error must be an OpenRosaResponse, not {content_type}")
    elif path.startswith("/api/") and path != "/api/openapi.json":
        if not content_type.startswith("application/json"):
            found.append(f"the API answers JSON, not {content_type}")
        if status == 401 and response.headers.get("www-authenticate") != "Bearer":
            found.append("a 401 names the Bearer scheme")
    elif status >= 400 and not content_type.startswith("text/html"):
        found.append(f"people get an error page, not {content_type}")
    if status == 303:
        to_sign_in = response.headers["location"].startswith("/login")
        if to_sign_in != ((role.browser is None and not path.startswith("/lang/")) or path == "/logout"):
            found.append(f"redirected to {response.headers['location']}")
    return found


def test_every_route_for_every_role(web: Web, world: dict[str, str], roles: dict[str, Role]) -> None:
    failures = []
    for request, *expected in MATRIX:
        method, target = request.split(" ", 1)
        for name, status in zip(ROLES, expected, strict=True):
            role = roles[name]
            response = send(role, request, world, web.live.base)
            failures += [f"{name} {request}: {problem}" for problem in mismatches(role, request, status, response)]
            if target.startswith("/api/") and target != "/api/openapi.json" and role.browser:
                if (cookie_only := role.client.request(method, target)).status_code != 401:
                    failures.append(f"{name} {request}: a session cookie opened the API ({cookie_only.status_code})")
            if name in PHONES and not target.startswith(("/key/", "/api/")):
                phone_url = f"/key/{role.token}{target.format(**world)}"  # a web path under the phone's base URL
                under = role.client.request(method, phone_url, headers={"X-OpenRosa-Version": "1.0"})
                if under.status_code < 400 or not under.headers["content-type"].startswith("text/xml"):
                    failures.append(f"{name} {request} under its phone URL: {under.status_code}")
    for name in WEB:  # POST /logout ended every session of each web user
        response = roles[name].client.get("/")
        if response.status_code != 303 or not response.headers["location"].startswith("/login"):
            failures.append(f"{name} is still signed in after signing out: {response.status_code}")
    assert failures == [], "\n".join(failures)


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
    statuses = {status for path in schema["paths"].values() for op in path.values() for status in op["responses"]}
    assert "400" in statuses
    assert "422" not in statuses  # invalid requests are answered 400, as declared
    assert "HTTPValidationError" not in json.dumps(schema)


def test_viewers_get_protected_counts_over_whole_quarters(web: Web, world: dict[str, str], backan: Session) -> None:
    phone, _ = create_app_user(session=backan, name="Intake")
    for category in ("kk_hiv", "kk_hiv", "ho_ngheo kk_hiv", "ho_ngheo", "ho_ngheo", "ho_ngheo", "ho_ngheo"):
        values = {"intake_date": "2026-11-20", "commune": "01864", "consent": "dong_y", "art7": category}
        receive(session=backan, store=web.live.store, app_user=phone, parts={}, xml=fill(person_form().xform, values))
    headers = {"Authorization": f"Bearer {new_api_token(session=backan, username='viewer')}"}
    report = httpx.get(f"{web.live.base}/api/coverage?from=2026-11-20&to=2026-11-20&area=01864", headers=headers).json()
    assert (report["from"], report["to"]) == ("2026-10-01", "2026-12-31")  # a whole quarter, not one day
    (commune,) = report["communes"]
    assert commune["counts"]["categories"] == {"kk_hiv": "<5", "ho_ngheo": 5}  # 3 and 5 people
    assert commune["counts"]["people"] == 5  # 7 rounded to a multiple of 5
    staff = {"Authorization": f"Bearer {new_api_token(session=backan, username='coord')}"}
    exact = httpx.get(f"{web.live.base}/api/coverage?from=2026-11-20&to=2026-11-20&area=01864", headers=staff).json()
    assert exact["communes"][0]["counts"]["people"] == 7
    located = {"session_date": "2026-11-20", "commune": "01864", "gps": "22.6576 105.671 420 6"}
    receive(session=backan, store=web.live.store, app_user=phone, parts={}, xml=fill(session_form().xform, located))
    maps = {role: web.browser(role).http.get("/map?area=01864&from=2026-11-20&to=2026-11-20") for role in ("viewer",
            "coord")}  # fmt: skip
    assert [page.status_code for page in maps.values()] == [200, 200]
    assert '"state":"session"' in maps["coord"].text  # staff see the session where it was held
    assert '"state":"session"' not in maps["viewer"].text  # viewers get no individual sessions


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


AGGREGATES_ONLY = "chứa dữ liệu cá nhân nhạy cảm: người xem chỉ được xem số liệu tổng hợp"


def test_viewers_get_no_rows_of_the_person_form(web: Web, world: dict[str, str], backan: Session) -> None:
    phone, _ = create_app_user(session=backan, name="Intake")
    values = {"intake_date": "2026-11-20", "commune": "01864", "consent": "dong_y", "art7": "kk_hiv", "sex": "nu"}
    receive(session=backan, store=web.live.store, app_user=phone, parts={}, xml=fill(person_form().xform, values))
    viewer = web.browser("viewer").http
    for path in ("/forms/tgpl_person/submissions.csv.zip", "/forms/tgpl_person/submissions.xlsx",
                 "/forms/tgpl_person/submissions.csv.zip?attachments=true"):  # fmt: skip
        refused = viewer.get(path)
        assert (refused.status_code, refused.headers["content-type"]) == (403, "text/html; charset=utf-8"), path
        assert AGGREGATES_ONLY in refused.text
        assert "kk_hiv" not in refused.text
    offered = viewer.get("/downloads").text
    assert "/forms/tgpl_person/submissions" not in offered  # not offered at all
    assert "/forms/tgpl_session/submissions.csv.zip" in offered  # de-identified
    assert '<span class="aggregates-only">' in offered  # where its figures are instead: dashboard, map, reports
    assert 'id="report-form"' in offered
    hiv = "KKTC: người nhiễm HIV"
    protected = list(
        csv.reader(io.StringIO(viewer.get("/reports/bieu24.csv?period=2026-H2").content.decode("utf-8-sig")))
    )
    exact = list(
        csv.reader(
            io.StringIO(web.browser("coord").http.get("/reports/bieu24.csv?period=2026-H2").content.decode("utf-8-sig"))
        )
    )
    header = next(r for r in exact if hiv in r)
    assert [r[header.index(hiv)] for r in exact if r[:1] == ["Tổng cộng"]] == ["1"]
    assert [r[header.index(hiv)] for r in protected if r[:1] == ["Tổng cộng"]] == ["<5"]
    assert any("bội số của 5" in " ".join(r) for r in protected)
    coordinator = web.browser("coord").http
    with zipfile.ZipFile(io.BytesIO(coordinator.get("/forms/tgpl_person/submissions.csv.zip").content)) as archive:
        assert "kk_hiv" in archive.read("tgpl_person.csv").decode("utf-8-sig")
    assert coordinator.get("/forms/tgpl_person/submissions.xlsx").status_code == 200
    assert "/forms/tgpl_person/submissions.csv.zip" in coordinator.get("/downloads").text


def test_an_admin_marks_a_form_sensitive_and_viewers_lose_its_rows(
    web: Web, world: dict[str, str], backan: Session
) -> None:
    admin, viewer, coordinator = web.browser("admin"), web.browser("viewer").http, web.browser("coord").http
    assert web.browser("coord").post("/forms/tgpl_session/sensitive", {"sensitive": "on"}).status_code == 403
    create_web_user(session=backan, username="admin_ngan_son", password=PASSWORD, role="admin", area_scheme="old",
                    area_code="062")  # fmt: skip
    area_admin = web.browser("admin_ngan_son")
    assert area_admin.post("/forms/tgpl_session/sensitive", {"sensitive": "on"}).status_code == 403  # every area's
    assert viewer.get("/forms/tgpl_session/submissions.xlsx").status_code == 200
    marked = admin.post("/forms/tgpl_session/sensitive", {"sensitive": "on"})
    assert (marked.status_code, marked.headers["location"]) == (303, "/forms")
    forms = admin.http.get("/forms").text
    assert 'action="/forms/tgpl_session/sensitive"' in forms
    assert '<input type="hidden" name="sensitive" value="off">' in forms  # the toggle now turns it off
    for path in ("/forms/tgpl_session/submissions.csv.zip", "/forms/tgpl_session/submissions.xlsx"):
        assert viewer.get(path).status_code == 403, path
        assert AGGREGATES_ONLY in viewer.get(path).text
        assert coordinator.get(path).status_code == 200, path
    assert "/forms/tgpl_session/submissions" not in viewer.get("/downloads").text
    assert admin.post("/forms/tgpl_session/sensitive", {"sensitive": "maybe"}).status_code == 400
    assert admin.post("/forms/tgpl_session/sensitive", {"sensitive": "off"}).status_code == 303
    assert viewer.get("/forms/tgpl_session/submissions.csv.zip").status_code == 200
    audit = backan.exec(select(Audit.action, Audit.actor).where(col(Audit.action).startswith("form.sensitive"))).all()
    admin_id = backan.exec(select(WebUser.id).where(WebUser.username == "admin")).one()
    assert list(audit) == [
        ("form.sensitive.on", f"web_user:{admin_id}"),
        ("form.sensitive.off", f"web_user:{admin_id}"),
    ]


def test_a_viewers_session_export_has_months_communes_and_no_staff(web: Web, world: dict[str, str]) -> None:
    response = web.browser("viewer").http.get("/forms/tgpl_session/submissions.csv.zip")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        (row,) = csv.DictReader(io.StringIO(archive.read("tgpl_session.csv").decode("utf-8-sig")))
    assert (row["session_date"], row["place-commune"], row["KEY"]) == ("2026-11", "01864", row["meta-instanceID"])
    assert row["SubmissionDate"] == datetime.now(UTC).strftime("%Y-%m")  # the month it arrived, not the moment
    gone = {"SubmitterID", "SubmitterName", "DeviceID", "meta-instanceName", "place-village", "place-village_name",
            "place-village_point-Latitude", "place-village_label", "attendance_photo"}  # fmt: skip
    assert gone.isdisjoint(row)
    assert "Phone" not in row.values()  # the collaborator's name
