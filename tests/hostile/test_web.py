"""Hostile input on the pages for people: CSRF, session fixation, and script-ish or SQL-ish values in every filter
and in every text field shown back (names typed by coordinators, answers and names sent by phones).

Scripts come back escaped: the raw `<script>` never appears in a page, the escaped form does where the value is
shown. SQL-ish values match nothing (they are bound parameters, never SQL)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import Session, select

from server.accounts.app_users import create_app_user
from server.accounts.web_users import new_api_token
from server.core.models import Submission
from server.places import villages as registry
from tests.collect_client import CollectClient, instance_xml
from tests.hostile.checks import Case, json_message, page_text, params
from tests.hostile.workbooks import form
from tests.hostile.world import Site
from tests.server.web.conftest import PASSWORD, Browser

SCRIPT = '<script>alert("tgpl")</script>'
ESCAPED = "&lt;script&gt;alert("
TAG = '<img src=x onerror=alert("tgpl")>'  # a script without a slash, to fit in one path segment
SQL = "' OR '1'='1' --"
EXPIRED = "hết hạn"  # the CSRF refusal: "the session has expired, reload the page"
AUDITED = frozenset({"audit"})


@dataclass(frozen=True)
class Shown:
    """What the module put on the server to be shown back: a submission, a village proposal, an API token."""

    submission_id: int
    village: str
    api_token: str


@pytest.fixture(scope="module")
def shown(site: Site) -> Shown:
    """A phone named with a script, a submission whose answers and name are scripts and SQL, a proposed village
    named with a script."""
    xml = (
        instance_xml(instance_id="uuid:hostile-shown", total=0)
        .replace(b"<total>0</total>", f"<total>{SCRIPT.replace('<', '&lt;')}</total>".encode())
        .replace(b"na_pai", SQL.encode())
        .replace(b"</instanceID>", f"</instanceID><instanceName>{SCRIPT.replace('<', '&lt;')}</instanceName>".encode())
    )
    phone = CollectClient(site.world.phone.url, device_id=SCRIPT)  # deviceID is shown on two pages
    try:
        assert phone.post(xml, []).status_code == 201
    finally:
        phone.http.close()
    with Session(site.world.phone.live.engine) as session:
        create_app_user(session=session, name=SCRIPT)
        village = registry.add_village(session=session, commune_code="01864", name=SCRIPT, lat=22.1, lon=105.8).code
        token = new_api_token(session=session, username="coord")
        (submission_id,) = session.exec(select(Submission.id)).all()
    for username in ("admin", "coord"):
        site.signed_in(username)  # signed in now: a sign-in is audited, and cases compare the audit table
    return Shown(submission_id, village, token)  # type: ignore[arg-type]


def get(path: str, username: str = "coord") -> object:
    """A signed-in GET."""
    return lambda site, shown: site.signed_in(username).http.get(path.format(s=shown))


def post(path: str, data: dict[str, str], *, csrf: str | None, username: str = "admin") -> object:
    """A signed-in form POST with the given CSRF token (None: the session's own)."""

    def send(site: Site, shown: Shown) -> httpx.Response:
        browser = site.signed_in(username)
        token = browser.csrf("/downloads") if csrf is None else csrf
        return browser.http.post(path.format(s=shown), data={**data, "csrf": token})

    return send


def other_sessions_token(site: Site, shown: Shown) -> httpx.Response:
    """The coordinator's valid CSRF token posted in the admin's session."""
    token = site.signed_in("coord").csrf("/downloads")
    admin = site.signed_in("admin")
    return admin.http.post("/forms/demo/close", data={"csrf": token})


def pre_sign_in_token(site: Site, shown: Shown) -> httpx.Response:
    """The CSRF token of the sign-in page, reused after signing in (sign-in starts a new session)."""
    browser = site.browser()
    before = browser.csrf()
    browser.http.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": before, "next": "/"})
    return browser.http.post("/forms/demo/close", data={"csrf": before})


def login_without_token(site: Site, shown: Shown) -> httpx.Response:
    """The sign-in form posted from another site (no CSRF token)."""
    return site.browser().http.post("/login", data={"username": "admin", "password": PASSWORD})


def upload_without_token(site: Site, shown: Shown) -> httpx.Response:
    """An XLSForm upload posted from another site."""
    files = {"xlsform": ("f.xlsx", b"PK\x03\x04", "application/octet-stream")}
    return site.signed_in("admin").http.post("/forms", files=files)


def fixed_session(site: Site, shown: Shown) -> httpx.Response:
    """A session cookie planted before sign-in (the attacker keeps a copy) does not become a signed-in session."""
    victim = site.browser()
    victim.csrf()  # the sign-in page sets the cookie the attacker knows
    planted = victim.http.cookies["tgpl_session"]
    assert victim.login("admin").status_code == 303
    assert victim.http.cookies["tgpl_session"] != planted
    assert victim.http.get("/submissions").status_code == 200
    attacker = Browser(site.base)
    site.browsers.append(attacker)
    attacker.http.cookies.set("tgpl_session", planted)
    return attacker.http.get("/submissions")


def forged_cookie(site: Site, shown: Shown) -> httpx.Response:
    """A session cookie written by hand (unsigned) claiming the admin's id."""
    payload = base64.b64encode(json.dumps({"uid": 1, "iat": 2_000_000_000, "pw": "x"}).encode()).decode()
    browser = site.browser()
    browser.http.cookies.set("tgpl_session", f"{payload}.forged.signature")
    return browser.http.get("/submissions")


def create_collaborator(site: Site, shown: Shown) -> httpx.Response:
    """A phone named with a script, created through the page that shows it back at once."""
    return post("/collaborators", {"name": SCRIPT}, csrf=None)(site, shown)  # type: ignore[operator, no-any-return]


def rename_village(site: Site, shown: Shown) -> httpx.Response:
    """A village renamed to a script, then the villages page."""
    renamed = post("/villages/{s.village}/rename", {"name": SCRIPT + " 2"}, csrf=None)(site, shown)  # type: ignore[operator]
    assert renamed.status_code == 303
    return site.signed_in("coord").http.get("/villages")


def review_comment(site: Site, shown: Shown) -> httpx.Response:
    """A review whose comment is a script and SQL, then the submission page."""
    data = {"state": "hasIssues", "comment": SCRIPT + SQL}
    reviewed = post("/submissions/{s.submission_id}/review", data, csrf=None)(site, shown)  # type: ignore[operator]
    assert reviewed.status_code == 303
    return site.signed_in("coord").http.get(f"/submissions/{shown.submission_id}")


def publish_titled(site: Site, shown: Shown) -> httpx.Response:
    """An XLSForm whose title is a script: the forms page escapes it, and phones read it back exactly."""
    workbook = form(settings=[["form_id", "version", "form_title"], ["titled", "1", SCRIPT]])
    admin = site.signed_in("admin")
    files = {"xlsform": ("form.xlsx", workbook, "application/octet-stream")}
    assert admin.http.post("/forms", data={"csrf": admin.csrf("/forms")}, files=files).status_code == 200
    titles = {f.form_id: f.name for f in site.world.client.form_list()}
    assert titles["titled"] == SCRIPT  # escaped in the form list XML, read back whole by Collect's parser
    return admin.http.get("/forms")


def api(path: str) -> object:
    """A JSON API GET with the coordinator's token."""
    return lambda site, shown: httpx.get(f"{site.base}{path}", headers={"Authorization": f"Bearer {shown.api_token}"})


def sign_in_as_script(site: Site, shown: Shown) -> httpx.Response:
    """A user name that is a script, with a wrong password: the refusal page."""
    return site.browser().login(SCRIPT, "sai")


CSRF_CASES = [
    Case("csrf-missing-close-form", post("/forms/demo/close", {}, csrf=""), 403, EXPIRED),
    Case("csrf-wrong-close-form", post("/forms/demo/close", {}, csrf="x" * 43), 403, EXPIRED),
    Case("csrf-other-session", other_sessions_token, 403, EXPIRED),
    Case("csrf-token-from-before-sign-in", pre_sign_in_token, 403, EXPIRED, AUDITED),
    Case("csrf-missing-create-collaborator", post("/collaborators", {"name": "X"}, csrf=""), 403, EXPIRED),
    Case("csrf-missing-rename-village", post("/villages/{s.village}/rename", {"name": "X"}, csrf=""), 403, EXPIRED),
    Case(
        "csrf-missing-review",
        post("/submissions/{s.submission_id}/review", {"state": "approved"}, csrf=""),
        403,
        EXPIRED,
    ),
    Case("csrf-missing-revoke", post("/collaborators/1/revoke", {}, csrf=""), 403, EXPIRED),
    Case("csrf-missing-logout", post("/logout", {}, csrf="", username="coord"), 403, EXPIRED),
    Case("csrf-missing-sign-in", login_without_token, 403, EXPIRED),
    Case("csrf-missing-upload", upload_without_token, 403, EXPIRED),
    Case("session-fixation", fixed_session, 303, "/login", AUDITED),
    Case("forged-session-cookie", forged_cookie, 303, "/login"),
]
SHOWN_BACK_CASES = [
    Case("collaborator-name-listed", get("/collaborators"), 200, ESCAPED),
    Case("collaborator-name-created", create_collaborator, 200, ESCAPED, frozenset({"app_user", "audit"})),
    Case("village-proposal-listed", get("/villages"), 200, ESCAPED),
    Case("village-renamed", rename_village, 200, ESCAPED, frozenset({"village", "audit"})),
    Case("instance-name-listed", get("/submissions"), 200, ESCAPED),
    Case("answers-shown", get("/submissions/{s.submission_id}"), 200, ESCAPED),
    Case("review-comment", review_comment, 200, ESCAPED, frozenset({"submission", "audit"})),
    Case("filter-form-script", get(f"/submissions?form={SCRIPT}"), 200, "submissions"),
    Case("filter-form-sql", get(f"/submissions?form={SQL}"), 200, "submissions"),
    Case("filter-review-sql", get(f"/submissions?review={SQL}"), 200, "submissions"),
    Case("filter-collaborator-sql", get("/submissions?app_user=1 OR 1=1"), 200, "submissions"),
    Case("filter-date-script", get(f"/submissions?from={SCRIPT}"), 400, "Ngày không hợp lệ"),
    Case("filter-end-date-sql", get(f"/submissions?to=2026-12-31{SQL}"), 400, "Ngày không hợp lệ"),
    Case("dashboard-date-sql", get(f"/?from=2026-01-01{SQL}"), 400, "Ngày không hợp lệ"),
    Case("dashboard-area-script", get(f"/?area={SCRIPT}"), 404, "Không có địa bàn"),
    Case("dashboard-scheme-script", get(f"/?scheme={SCRIPT}"), 200, "Tổng quan"),
    Case("map-area-script", get(f"/map?area={SCRIPT}"), 404, "Không có địa bàn"),
    Case("codebook-form-id-script", get(f"/forms/{TAG}/codebook.md"), 404, "&lt;img src=x"),
    Case("export-form-id-sql", get(f"/forms/{SQL}/submissions.csv.zip"), 404, "Không tìm thấy biểu mẫu"),
    Case("report-period-script", get(f"/reports/bieu25.csv?period={SCRIPT}"), 400, "Kỳ báo cáo không hợp lệ"),
    Case("report-rule-sql", get(f"/reports/bieu24.xlsx?period=2026-H1&rule={SQL}"), 400, "Kỳ báo cáo không hợp lệ"),
    Case("form-title-shown", publish_titled, 200, ESCAPED, frozenset({"form", "form_version", "audit"})),
    Case("xlsx-form-id-script", get(f"/forms/{TAG}/submissions.xlsx"), 404, "&lt;img src=x"),
    Case("sign-in-name-script", sign_in_as_script, 403, "Sai tên đăng nhập", AUDITED),
    Case(
        "sign-in-next-script",
        lambda site, shown: site.browser().http.get(f'/login?next=/"><{SCRIPT[1:]}'),
        200,
        "Đăng nhập",
    ),
    Case("api-villages-status-sql", api(f"/api/villages?status={SQL}"), 400, "status"),
    Case("api-coverage-area-script", api(f"/api/coverage?area={SCRIPT}"), 404, "Không có địa bàn"),
    Case("api-coverage-date-sql", api(f"/api/coverage?from={SQL}"), 400, "Invalid request"),
]


def check(site: Site, shown: Shown, case: Case) -> httpx.Response:
    """Send the case, check the answer, the server still up and nothing written but what the case allows."""
    before = site.world.state()
    response: httpx.Response = case.payload(site, shown)
    assert response.status_code == case.status, response.text[:500]
    if response.status_code == 303:
        assert response.headers["location"].startswith(case.says)
    elif response.request.url.path.startswith("/api/"):
        text = response.text if response.status_code == 200 else json_message(response)
        assert case.says in text
    else:
        text = page_text(response)
        assert case.says in text
        if case.says == ESCAPED:
            assert ESCAPED in text
    if not response.headers.get("content-type", "").startswith("application/json"):  # JSON is never a page
        assert "<script>alert" not in response.text
        assert "<img src=x" not in response.text
    site.world.assert_alive()
    assert site.signed_in("admin").http.get("/").status_code == 200
    site.world.state().assert_nothing_half_written(before, case.changes)
    return response


@pytest.mark.parametrize("case", params(CSRF_CASES))
def test_csrf_and_session_fixation(site: Site, shown: Shown, case: Case) -> None:
    check(site, shown, case)


@pytest.mark.parametrize("case", params(SHOWN_BACK_CASES))
def test_hostile_values_come_back_escaped(site: Site, shown: Shown, case: Case) -> None:
    response = check(site, shown, case)
    if "sql" in case.id and response.status_code == 200 and "/submissions" in str(response.url):
        shows_all = "collaborator" in case.id  # an id that is not a number is no filter at all
        assert ('href="/submissions/' in response.text) == shows_all
