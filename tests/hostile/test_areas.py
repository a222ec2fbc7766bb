"""Hostile requests across areas and roles, and script sent from a phone into staff pages.

The world: 2025 commune 01933 (Đồng Phúc) took old communes of two old districts, Ba Bể (061) and Chợ Đồn (064, old
commune 02041). A phone sends a session at a Ba Bể village and one at a Chợ Đồn village, both in 01933, and proposes
a village named with markup. A Ba Bể coordinator then asks, in every way a page, an export, the map and the API
allow, for Chợ Đồn's records, for the other structure, and with areas that are SQL or script; a viewer asks for
people's rows. Every refusal writes nothing, every page carries the strict Content-Security-Policy, and the markup
comes back as text only."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache

import httpx
import pytest
from sqlmodel import Session, select

from forms.build import BuiltForm, build_xlsform
from server.accounts.app_users import create_app_user
from server.accounts.web_users import create_web_user, new_api_token
from server.cli.setup import BUILTIN_FORMS
from server.core.models import Submission, Village
from server.places import villages as registry
from server.publishing.forms import publish_xform
from tests.collect_client import CollectClient
from tests.hostile.checks import Case, json_message, page_text, params
from tests.hostile.world import Site
from tests.instances import fill
from tests.server.web.conftest import PASSWORD

TAG = '<img src=x onerror="window.tgplHacked=1">'
SQL = "061' OR '1'='1"
AREA_USERS = {  # username: (role, scheme, area)
    "babe": ("coordinator", "old", "061"),  # huyện Ba Bể
    "dongphuc": ("coordinator", "new", "01933"),  # 2025 commune Đồng Phúc
    "reader": ("viewer", None, None),
}


@cache
def built(form_id: str) -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / f"{form_id}.xlsx")


@dataclass(frozen=True)
class Places:
    """What the phone sent: a session at each village, and the village proposed with markup in its name."""

    ba_be: int  # submission ids
    cho_don: int
    cho_don_instance: str
    ba_be_instance: str
    cho_don_village: str
    proposed: str
    token: str  # the Ba Bể coordinator's API token


@pytest.fixture(scope="module")
def places(site: Site) -> Places:
    live = site.world.phone.live
    with Session(live.engine) as session:
        for form_id in ("tgpl_session", "tgpl_person"):
            publish_xform(session=session, store=live.store, xform=built(form_id).xform, media={})
        for username, (role, scheme, code) in AREA_USERS.items():
            create_web_user(session=session, username=username, password=PASSWORD, role=role, area_scheme=scheme,
                            area_code=code)  # fmt: skip
        ba_be = registry.add_village(session=session, commune_code="01933", old_commune_code="01930",
                                     name="Thôn Pác Ngòi", status="confirmed")  # fmt: skip
        cho_don = registry.add_village(session=session, commune_code="01933", old_commune_code="02041",
                                       name="Thôn Bản Mới", status="confirmed")  # fmt: skip
        codes = (ba_be.code, cho_don.code)
        _, token = create_app_user(session=session, name="Máy Đồng Phúc")
        api_token = new_api_token(session=session, username="babe")
    phone = CollectClient(live.key_url(token), device_id=TAG)
    instances = [f"uuid:hostile-area-{n}" for n in range(3)]
    try:
        for instance, where in zip(instances, [{"village": codes[0]}, {"village": codes[1]},
                                               {"village": "khac", "village_name": TAG,
                                                "village_point": "22.40 105.62 300 5"}], strict=True):  # fmt: skip
            values = {"session_date": "2026-11-20", "commune": "01933", "participants_total": "5", **where,
                      "remarks": TAG}  # fmt: skip
            xml = fill(built("tgpl_session").xform, values, instance_id=instance)
            assert phone.post(xml, []).status_code == 201
    finally:
        phone.http.close()
    with Session(live.engine) as session:
        ids = {s.instance_id: s.id for s in session.exec(select(Submission)).all()}
        proposed = session.exec(select(Village).where(Village.source == "field")).one().code
    for username in ("admin", "babe", "dongphuc", "reader"):
        site.signed_in(username)  # a sign-in is audited: signed in before the cases compare the audit table
    return Places(ids[instances[0]], ids[instances[1]], instances[1], instances[0], codes[1], proposed, api_token)  # type: ignore[arg-type]


def get(path: str, username: str = "babe") -> object:
    return lambda site, places: site.signed_in(username).http.get(path.format(p=places))


def post(path: str, data: dict[str, str], username: str = "babe") -> object:
    def send(site: Site, places: Places) -> httpx.Response:
        browser = site.signed_in(username)
        return browser.http.post(path.format(p=places), data={**data, "csrf": browser.csrf("/downloads")})

    return send


def api(path: str) -> object:
    return lambda site, places: httpx.get(f"{site.base}{path.format(p=places)}",
                                          headers={"Authorization": f"Bearer {places.token}"})  # fmt: skip


NOT_YOURS = "nằm ngoài địa bàn của bạn"  # a record or village: "…lies outside your area"
OUTSIDE = "nằm ngoài phạm vi của bạn"  # an area asked for: "this area is outside yours" (also one that does not exist)
OTHER_STRUCTURE = "theo cơ cấu hành chính của nó"  # "your area is shown in its own structure only"
CASES = [
    Case("area-other-districts-record", get("/submissions/{p.cho_don}"), 403, NOT_YOURS),
    Case("area-other-districts-attachment", get("/submissions/{p.cho_don}/attachments/a.jpg"), 403, NOT_YOURS),
    Case("area-other-districts-review", post("/submissions/{p.cho_don}/review", {"state": "approved"}), 403, NOT_YOURS),
    Case(
        "area-other-districts-village-rename",
        post("/villages/{p.cho_don_village}/rename", {"name": "X"}),
        403,
        NOT_YOURS,
    ),
    Case(
        "area-other-districts-village-assign",
        post("/villages/{p.cho_don_village}/assign-old", {"old_commune": "01930"}),
        403,
        NOT_YOURS,
    ),
    Case("area-other-district-dashboard", get("/?scheme=old&area=064"), 403, OUTSIDE),
    Case("area-shared-commune-old-part", get("/?scheme=old&area=02041"), 403, OUTSIDE),
    Case("area-shared-commune-map", get("/map?scheme=old&area=02041"), 403, OUTSIDE),
    Case("area-other-structure", get("/?scheme=new&area=01933"), 403, OTHER_STRUCTURE),
    Case("area-sql", get(f"/?scheme=old&area={SQL}"), 403, OUTSIDE),
    Case("area-script", get(f"/map?scheme=old&area={TAG}"), 403, OUTSIDE),
    Case("area-api-shared-commune", api("/api/coverage?scheme=old&area=02041"), 403, OUTSIDE),
    Case("area-api-sql", api(f"/api/coverage?scheme=old&area={SQL}"), 403, OUTSIDE),
    Case("area-whole-province-report", get("/reports/bieu24.csv?period=2026-H2"), 403, "toàn tỉnh"),
    Case("viewer-person-rows", get("/forms/tgpl_person/submissions.csv.zip", "reader"), 403, "số liệu tổng hợp"),
    Case("viewer-a-record", get("/submissions/{p.ba_be}", "reader"), 403, "quyền"),
    Case("new-commune-sees-both-old-districts", get("/submissions/{p.cho_don}", "dongphuc"), 200, "Thôn Bản Mới"),
    Case("proposal-markup-villages-page", get("/villages", "admin"), 200, "&lt;img src=x"),
    Case("proposal-markup-record-page", get("/submissions/{p.cho_don}", "admin"), 200, "&lt;img src=x"),
    Case("proposal-markup-list", get("/submissions", "admin"), 200, "Máy Đồng Phúc"),
    Case("proposal-markup-map", get("/map?from=2026-11-01&to=2026-11-30", "admin"), 200, "tgpl-legend"),
]


def check(site: Site, places: Places, case: Case) -> httpx.Response:
    before = site.world.state()
    response: httpx.Response = case.payload(site, places)
    assert response.status_code == case.status, response.text[:500]
    if response.request.url.path.startswith("/api/"):
        assert case.says in (response.text if response.status_code == 200 else json_message(response))
    else:
        assert case.says in page_text(response)
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors" in policy
        assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
        assert "<img src=x" not in response.text  # markup from a phone only ever as text
    site.world.assert_alive()
    site.world.state().assert_nothing_half_written(before, case.changes)
    return response


@pytest.mark.parametrize("case", params(CASES))
def test_areas_and_script_from_phones(site: Site, places: Places, case: Case) -> None:
    check(site, places, case)


def test_an_area_export_holds_only_the_areas_records(site: Site, places: Places) -> None:
    """The Ba Bể coordinator's CSV of the shared commune: the Ba Bể session, not Chợ Đồn's nor the proposal (whose
    old commune the boundaries cannot tell here, so it lies in no old area)."""
    response = site.signed_in("babe").http.get("/forms/tgpl_session/submissions.csv.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        text = archive.read("tgpl_session.csv").decode("utf-8-sig")
    assert places.ba_be_instance in text
    assert places.cho_don_instance not in text
    assert "hostile-area-2" not in text
