"""A coordinator's afternoon in headless Chromium, offline: sign in, see the empty province on the map, a session
arrives from the Web Forms engine, the commune and village turn 'reached'; change the period; confirm a proposed
village; give a collaborator a phone and scan its QR code."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import Session

from forms.build import build_xlsform
from maps.style import RECENCY_COLOURS, VILLAGE_NOT_REACHED, VILLAGE_REACHED
from server.accounts.app_users import create_app_user
from server.accounts.collect_qr import decode_settings
from server.accounts.web_users import create_web_user
from server.cli.setup import builtin_forms
from server.places import villages as registry
from server.publishing.forms import publish_xform
from tests.browser import Offline
from tests.conftest import Live
from tests.e2e.test_webforms import fill

pytestmark = [pytest.mark.browser, pytest.mark.node, pytest.mark.slow]
PASSWORD = "điều-phối-viên-2026"
REACHED, NEVER = RECENCY_COLOURS["reached"], RECENCY_COLOURS["never"]


@pytest.fixture
def office(live: Live, backan: Session, java: None) -> dict[str, str]:
    """make run's state: both forms, a coordinator, a confirmed village and a proposal from the field."""
    for path, media in builtin_forms():
        publish_xform(session=backan, store=live.store, xform=build_xlsform(path).xform,
                      media={m.name: m.read_bytes() for m in media})  # fmt: skip
    create_web_user(session=backan, username="hoa", password=PASSWORD, role="coordinator")
    village = registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài", lat=22.655, lon=105.672)
    registry.confirm(session=backan, ref=village.code)
    proposal = registry.add_village(session=backan, commune_code="01957", name="Thôn Phja Đăm", source="field")
    _, token = create_app_user(session=backan, name="Phone")
    return {"village": village.code, "proposal": proposal.code, "phone": live.key_url(token)}


def map_fills(offline: Offline) -> Counter[str]:
    """The fill colours drawn in the dashboard's map frame."""
    offline.page.frame_locator("iframe.map").locator(".tgpl-legend").wait_for()
    frame = next(f for f in offline.page.frames if f.url.split("?")[0].endswith("/map"))
    script = "() => [...document.querySelectorAll('path.leaflet-interactive')].map(p => p.getAttribute('fill'))"
    return Counter(frame.evaluate(script))


def test_a_coordinators_afternoon(
    offline: Offline, live: Live, office: dict[str, str], node: str, tmp_path: Path
) -> None:
    page = offline.page
    page.route("**/*", offline.route)
    page.goto(f"{live.base}/")
    page.fill("input[name=username]", "hoa")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#fig-sessions")
    fills = map_fills(offline)
    assert fills[NEVER] == 37  # every commune of the province: not reached
    assert fills[VILLAGE_NOT_REACHED] == 1
    assert page.locator("#not-reached tr").count() == 1 + 37

    answers = [
        ("/data/session_type", "truyen_thong"), ("/data/session_date", date.today().isoformat()),
        ("/data/start_time", "09:00:00.000+07:00"), ("/data/evening", "khong"), ("/data/place/commune", "01864"),
        ("/data/place/village", office["village"]), ("/data/place/venue", "nha_van_hoa"),
        ("/data/gps", "22.655 105.672 400 5"), ("/data/organiser", "trung_tam"),
        ("/data/team[1]/member_name", "Hoàng Văn Minh"), ("/data/team[1]/member_role", "tro_giup_vien"),
        ("/data/attendance/participants_total", "30"), ("/data/attendance/participants_women", "14"),
        ("/data/attendance/participants_ethnic", "0"), ("/data/attendance/language", "viet"),
        ("/data/attendance/interpreter", "khong"), ("/data/content/laws", "luat_tgpl"),
        ("/data/content/format", "noi_chuyen"), ("/data/outputs/leaflets", "50"),
        ("/data/outputs/requests_received", "0"), ("/data/outputs/requests_accepted", "0"),
        ("/data/outputs/referrals", "0"),
    ]  # fmt: skip
    _code, result = fill(node, office["phone"], [{"ref": r, "value": v} for r, v in answers], tmp_path,
                         form_id="tgpl_session")  # fmt: skip
    assert result["submit_status"] == 201, result

    page.reload()
    page.wait_for_selector("#fig-sessions")
    assert page.inner_text("#fig-sessions b") == "1"
    assert page.inner_text("#fig-participants b") == "30"
    fills = map_fills(offline)
    assert (fills[REACHED], fills[NEVER]) == (1, 36)
    assert fills[VILLAGE_REACHED] == 1
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    page.fill("input[name=from]", "2025-01-01")
    page.fill("input[name=to]", "2025-06-30")
    page.click("form[action='/'] button[type=submit]")
    page.wait_for_selector("#fig-sessions")
    assert page.inner_text("#fig-sessions b") == "0"

    page.goto(f"{live.base}/villages")
    page.click(f"#village-{office['proposal']} form[action$='/confirm'] button")
    page.wait_for_selector("#confirmed")
    assert office["proposal"] in page.inner_text("#confirmed")
    assert page.locator(f"#village-{office['proposal']}").count() == 0

    page.goto(f"{live.base}/collaborators")
    page.fill("input[name=name]", "Nông Thị Hoa")
    page.click("form[action='/collaborators'] button[type=submit]")
    qr = page.locator("#qr")
    qr.wait_for()
    qr.screenshot(path=str(tmp_path / "qr.png"))
    (code,) = zxingcpp.read_barcodes(Image.open(tmp_path / "qr.png"))
    server_url = decode_settings(code.text)["general"]["server_url"]
    assert server_url.startswith(f"{live.base}/key/")
    assert offline.errors == []
    assert offline.blocked_hosts() <= {"tile.openstreetmap.org"}


def test_a_proposal_shows_on_a_small_map_beside_its_likely_duplicate(
    offline: Offline, live: Live, backan: Session
) -> None:
    create_web_user(session=backan, username="hoa", password=PASSWORD, role="coordinator")
    known = registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài", lat=22.6550, lon=105.6720)
    registry.confirm(session=backan, ref=known.code)
    proposal = registry.add_village(session=backan, commune_code="01864", name="Bản Napài", lat=22.6559, lon=105.6720)
    page = offline.page
    page.route("**/*", offline.route)
    page.goto(f"{live.base}/login?next=/villages")
    page.fill("input[name=username]", "hoa")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    row = page.locator(f"#village-{proposal.code}")
    row.locator(".small-map path.leaflet-interactive").first.wait_for()
    fills = Counter(
        row.locator(".small-map path.leaflet-interactive").evaluate_all("ps => ps.map(p => p.getAttribute('stroke'))")
    )
    assert fills == {"#d73027": 1, "#2166ac": 1}  # the proposal and the village it may duplicate
    assert offline.errors == []


def test_the_pages_fit_a_phone(offline: Offline, live: Live, backan: Session) -> None:
    """At 390 px no page scrolls sideways: a wide table scrolls within itself."""
    create_web_user(session=backan, username="hoa", password=PASSWORD, role="coordinator")
    registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài Khuổi Luông Bản Mới", lat=22.655,
                         lon=105.672)  # fmt: skip
    page = offline.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.route("**/*", offline.route)
    page.goto(f"{live.base}/login?next=/villages")
    page.fill("input[name=username]", "hoa")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("table")
    for path in ("/villages", "/", "/submissions", "/collaborators", "/forms", "/downloads"):
        page.goto(f"{live.base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert offline.errors == []
