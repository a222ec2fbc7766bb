"""Areas in both structures, on the commune two old districts share: 2025 commune 01933 (Đồng Phúc) took old communes
of Ba Bể (061) and Bằng Phúc (02041) of Chợ Đồn (064). A session and a person are recorded at a village of each old
district and at a village whose old commune is unknown; every reading and writing route is then tried by viewers,
coordinators and admins limited to no area, old district 061, old commune 02041 and 2025 commune 01933."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from functools import cache

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from forms.build import BuiltForm, build_xlsform
from server.accounts.app_users import create_app_user
from server.accounts.web_users import create_web_user, new_api_token
from server.cli.setup import BUILTIN_FORMS
from server.core.models import Submission
from server.places import villages as registry
from server.publishing.forms import publish_xform
from server.submissions.receive import receive
from tests.instances import fill
from tests.server.web.conftest import PASSWORD, Browser, Web

PLACES = ("babe", "chodon", "unknown")  # where the records are: a village of each old district, one of neither
AREAS = {  # area name: (scheme, code), and the records inside it
    "all": (None, None, {"babe", "chodon", "unknown"}),
    "old_district": ("old", "061", {"babe"}),  # Ba Bể
    "old_commune": ("old", "02041", {"chodon"}),  # Bằng Phúc, Chợ Đồn
    "new_commune": ("new", "01933", {"babe", "chodon", "unknown"}),  # Đồng Phúc
}
ROLES = ("viewer", "coordinator", "admin")
FAR = "21.0285 105.8542 10 5"  # Hà Nội: far outside Đồng Phúc, so each session is also a GPS point to review


@cache
def built(form_id: str) -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / f"{form_id}.xlsx")


@dataclass
class Shared:
    """The records of the shared commune, by place: village codes, session and person submission ids."""

    villages: dict[str, str]
    sessions: dict[str, int]
    people: dict[str, int]
    instances: dict[int, str]  # submission id → instanceID


@pytest.fixture
def shared(web: Web, backan: Session, java: None) -> Shared:
    """Villages of Ba Bể, of Chợ Đồn and of no known old commune in 2025 commune 01933, a session and a person at
    each, and a web user per role and area."""
    for form_id in ("tgpl_session", "tgpl_person"):
        publish_xform(session=backan, store=web.live.store, xform=built(form_id).xform, media={})
    old = {"babe": "01930", "chodon": "02041", "unknown": None}
    villages = {
        place: registry.add_village(session=backan, commune_code="01933", name=f"Thôn {place}", status="confirmed",
                                    old_commune_code=old[place]).code
        for place in PLACES
    }  # fmt: skip
    phone, _ = create_app_user(session=backan, name="Máy")
    sessions, people, instances = {}, {}, {}
    for place, village in villages.items():
        values = {"session_date": "2026-11-20", "commune": "01933", "village": village, "gps": FAR}
        got = receive(session=backan, store=web.live.store, app_user=phone, parts={},
                      xml=fill(built("tgpl_session").xform, values))  # fmt: skip
        sessions[place] = got.submission_id
        person = {"intake_date": "2026-11-20", "commune": "01933", "village": village, "consent": "dong_y",
                  "art7": "kk_hiv"}  # fmt: skip
        got_person = receive(session=backan, store=web.live.store, app_user=phone, parts={},
                             xml=fill(built("tgpl_person").xform, person))  # fmt: skip
        people[place] = got_person.submission_id
    for role in ROLES:
        for area, (scheme, code, _inside) in AREAS.items():
            create_web_user(session=backan, username=f"{role}_{area}", password=PASSWORD, role=role,
                            area_scheme=scheme, area_code=code)  # fmt: skip
    for submission_id in [*sessions.values(), *people.values()]:
        found = backan.get(Submission, submission_id)
        assert found is not None
        instances[submission_id] = found.instance_id
    return Shared(villages, sessions, people, instances)


def inside(area: str) -> set[str]:
    return AREAS[area][2]


def csv_ids(response: httpx.Response, form_id: str) -> set[str]:
    """The instanceIDs (KEY column) of a CSV zip export's root table."""
    assert response.status_code == 200, response.text[:300]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        lines = archive.read(f"{form_id}.csv").decode("utf-8-sig").splitlines()
    return set(re.findall(r"uuid:[0-9a-f-]{36}", "\n".join(lines[1:])))


def xlsx_ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text[:300]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return {str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
            if isinstance(cell, str) and re.fullmatch(r"uuid:[0-9a-f-]{36}", cell)}  # fmt: skip


@pytest.mark.parametrize("area", list(AREAS))
@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_staff_see_and_change_only_their_areas_records(web: Web, shared: Shared, role: str, area: str) -> None:
    browser = web.browser(f"{role}_{area}")
    seen = inside(area)
    for place in PLACES:
        for record in (shared.sessions[place], shared.people[place]):
            expected = 200 if place in seen else 403
            assert browser.http.get(f"/submissions/{record}").status_code == expected, (place, record)
            attachment = browser.http.get(f"/submissions/{record}/attachments/photo.jpg").status_code
            assert attachment == (404 if place in seen else 403)
        review = browser.post(f"/submissions/{shared.sessions[place]}/review", {"state": "approved", "comment": ""})
        assert review.status_code == (303 if place in seen else 403), place
    listed = browser.http.get("/submissions").text
    linked = {int(i) for i in re.findall(r'href="/submissions/(\d+)"', listed)}
    assert linked == {shared.sessions[p] for p in seen} | {shared.people[p] for p in seen}
    villages = browser.http.get("/villages")
    assert villages.status_code == 200
    assert {p for p in PLACES if shared.villages[p] in villages.text} == seen
    for place in PLACES:
        rename = browser.post(f"/villages/{shared.villages[place]}/rename", {"name": f"Thôn {place} mới"})
        assert rename.status_code == (303 if place in seen else 403), place
    exported = csv_ids(browser.http.get("/forms/tgpl_session/submissions.csv.zip"), "tgpl_session")
    assert exported == {shared.instances[shared.sessions[p]] for p in seen}
    people = csv_ids(browser.http.get("/forms/tgpl_person/submissions.csv.zip"), "tgpl_person")
    assert people == {shared.instances[shared.people[p]] for p in seen}
    workbook = xlsx_ids(browser.http.get("/forms/tgpl_person/submissions.xlsx"))
    assert workbook == {shared.instances[shared.people[p]] for p in seen}
    dashboard = browser.http.get("/?from=2026-11-01&to=2026-11-30")
    assert dashboard.status_code == 200
    flagged = set(re.findall(r'<a href="/submissions/(\d+)">', dashboard.text.split('id="gps-flags"')[1]))
    assert flagged == {str(shared.sessions[p]) for p in seen}
    the_map = browser.http.get("/map?from=2026-11-01&to=2026-11-30")
    assert the_map.status_code == 200
    assert the_map.text.count('"state":"session"') == len(seen)


@pytest.mark.parametrize("area", list(AREAS))
def test_the_api_and_coverage_hold_the_area(web: Web, shared: Shared, backan: Session, area: str) -> None:
    scheme_of_area, code_of_area, seen = AREAS[area]
    for role in ROLES:
        token = new_api_token(session=backan, username=f"{role}_{area}")
        with httpx.Client(base_url=web.live.base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
            coverage = api.get("/api/coverage?from=2026-11-01&to=2026-11-30")
            assert coverage.status_code == 200, coverage.text
            assert coverage.json()["scheme"] == (scheme_of_area or "new")  # an area's own structure by default
            sessions = sum(c["counts"]["sessions"] for c in coverage.json()["communes"])
            # in the old structure the session of unknown old commune lies in no old commune (it has its own row)
            assert sessions == len(seen - ({"unknown"} if scheme_of_area == "old" else set()))
            flags = {f["submission_id"] for f in coverage.json()["gps_flags"]}
            assert flags == ({shared.sessions[p] for p in seen} if role != "viewer" else set())
            villages = api.get("/api/villages")
            if role == "viewer":
                assert villages.status_code == 403
            else:
                assert {v["code"] for v in villages.json()} == {shared.villages[p] for p in seen}
            for scheme, code in (("old", "02041"), ("old", "061"), ("new", "01933"), ("old", "01933"), ("old", "064")):
                asked = api.get(f"/api/coverage?from=2026-11-01&to=2026-11-30&scheme={scheme}&area={code}")
                allowed = (
                    area == "all"
                    or (scheme_of_area, code_of_area) == (scheme, code)
                    or (
                        (scheme_of_area, code_of_area, scheme, code) == ("old", "061", "old", "01933")  # Ba Bể's own
                    )
                )
                assert asked.status_code == (200 if allowed else 403), (role, scheme, code, asked.text[:200])
                if allowed:
                    assert (asked.json()["scheme"], asked.json()["area"]) == (scheme, code)


@pytest.mark.parametrize("area", ["old_district", "old_commune", "new_commune"])
def test_area_users_get_no_whole_province_pages(web: Web, shared: Shared, area: str) -> None:
    for role in ("coordinator", "admin"):
        browser: Browser = web.browser(f"{role}_{area}")
        for path in ("/collaborators", "/forms", "/reports/bieu24.csv?period=2026-H2", "/reports/directive.csv"):
            assert browser.http.get(path).status_code == 403, (role, path)
    dashboard = web.browser(f"coordinator_{area}").http.get("/")
    options = re.findall(r'<option value="(old|new)"', dashboard.text)
    assert options == [AREAS[area][0]]  # the structure selector offers only the area's own structure


def test_viewers_in_an_area_get_its_aggregates_only(web: Web, shared: Shared) -> None:
    for area in AREAS:
        browser = web.browser(f"viewer_{area}")
        for path in ("/reports/bieu24.csv?period=2026-H2", "/reports/directive.csv"):  # the whole province's
            assert browser.http.get(path).status_code == (200 if area == "all" else 403), (area, path)
        for place in PLACES:
            assert browser.http.get(f"/submissions/{shared.sessions[place]}").status_code == 403
        the_map = browser.http.get("/map?from=2026-11-01&to=2026-11-30")
        assert the_map.status_code == 200
        assert '"state":"session"' not in the_map.text
        exported = csv_ids(browser.http.get("/forms/tgpl_session/submissions.csv.zip"), "tgpl_session")
        assert exported == {shared.instances[shared.sessions[p]] for p in inside(area)}  # de-identified, the area's


@pytest.mark.parametrize("area", list(AREAS))
@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_every_village_decision_holds_the_area(web: Web, shared: Shared, backan: Session, role: str,
                                               area: str) -> None:  # fmt: skip
    """Confirm, retire, assign an old commune and merge, on a village of each place: allowed inside the area only
    (a merge needs both villages inside), and a refusal changes nothing."""
    browser = web.browser(f"{role}_{area}")
    seen = inside(area)
    spare = {p: registry.add_village(session=backan, commune_code="01933", name=f"Bản {p} phụ", status="proposed",
                                     old_commune_code=shared_old(p)).code for p in PLACES}  # fmt: skip
    for place in PLACES:
        village = shared.villages[place]
        expected = 303 if place in seen else 403
        assert browser.post(f"/villages/{spare[place]}/confirm").status_code == expected, place
        merged = browser.post(f"/villages/{spare[place]}/merge", {"into": village})
        assert merged.status_code == expected, place
        assert browser.post(f"/villages/{village}/retire").status_code == expected, place
        backan.expire_all()
        statuses = (registry.get_village(backan, spare[place]).status, registry.get_village(backan, village).status)
        assert statuses == (("merged", "retired") if place in seen else ("proposed", "confirmed")), place
    assign = browser.post(f"/villages/{shared.villages['unknown']}/assign-old", {"old_commune": "01924"})
    assert assign.status_code == (303 if "unknown" in seen else 403)
    backan.expire_all()
    assigned = registry.get_village(backan, shared.villages["unknown"]).old_commune_code
    assert assigned == ("01924" if "unknown" in seen else None)
    with httpx.Client(base_url=web.live.base, timeout=30,
                      headers={"Authorization": f"Bearer {new_api_token(session=backan, username=f'{role}_{area}')}"}
                      ) as api:  # fmt: skip
        assert api.get("/api/submissions").status_code == (200 if area == "all" else 403)  # counts of every area


def shared_old(place: str) -> str | None:
    return {"babe": "01930", "chodon": "02041", "unknown": None}[place]
