"""No script from data, anywhere: what phones, XLSForms and imports send reaches the pages and maps only as text.

Every free-text answer of both questionnaires, villages proposed from the field, device ids, phone and web-user
names, a published form's title and labels, and imported villages carry script-shaped payloads. An admin (whose own
user name is one) then opens every page in Chromium and hovers and clicks every shape of every map. The test fails on
any script that ran (the window marker, a dialog), on any Content-Security-Policy violation, and on a page served
without the strict policy.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from sqlmodel import Session, col, select

from forms.build import build_xlsform
from server.accounts.app_users import create_app_user
from server.accounts.web_users import create_web_user
from server.cli.setup import BUILTIN_FORMS
from server.core.models import Submission, Village
from server.places.village_import import import_villages
from server.publishing.forms import current_version, get_form, publish_xform
from tests.browser import Offline
from tests.collect_client import CollectClient
from tests.conftest import Live
from tests.hostile.workbooks import form
from tests.instances import fill

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Dialog, Frame, Page, Response

pytestmark = pytest.mark.browser

PAYLOADS = (
    '<img src=x onerror="window.__xss=1">',
    '"><script>window.__xss=1</script>',
    "</script><script>window.__xss=1</script>",
    "{{7*7}}",
    "javascript:window.__xss=1",
)
EVERY = " ".join(PAYLOADS)  # all of them in one value
ADMIN = PAYLOADS[0]  # the signed-in admin's user name, shown in every page's header
PASSWORD = "mật-khẩu-đủ-dài-1"
TODAY = date.today().isoformat()  # in the dashboard's default period, so sessions are on the map
POINTS = [(22.655 + 0.03 * n, 105.672 + 0.02 * n) for n in range(len(PAYLOADS))]  # Bằng Thành and around it
UPLOADED = "hostile_title"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The policy every page must carry; /map alone may be framed, by the dashboard.
POLICY = re.compile(
    r"default-src 'self'; script-src 'self' 'nonce-([A-Za-z0-9_-]{22,})'; style-src 'self' 'unsafe-inline'; "
    r"img-src 'self' data: https://tile\.openstreetmap\.org; connect-src 'self'; object-src 'none'; "
    r"base-uri 'none'; form-action 'self'; frame-ancestors ('none'|'self')"
)

# Runs in every document and frame before the page's own scripts: setting window.__xss, or a blocked script, reports.
WATCH = """(() => {
    Object.defineProperty(window, "__xss", {
        configurable: false,
        get: () => undefined,
        set: () => window.tgplReport("script ran: window.__xss set in " + location.href),
    });
    document.addEventListener("securitypolicyviolation", (e) => window.tgplReport(
        `CSP violation in ${location.href}: ${e.violatedDirective} blocked ${e.blockedURI} ${e.sample}`));
})();"""

# Every Leaflet layer of the document's maps with a tooltip or a popup gets Leaflet's own hover and click (markers
# hidden in a cluster are put on the map first); then every drawn shape gets DOM mouse events, as a pointer would.
EXERCISE_MAP = """() => {
    const values = Object.values(window);
    const maps = values.filter((v) => v instanceof L.Map);
    const layers = new Set();
    const visit = (layer) => {
        if (layers.has(layer)) return;
        layers.add(layer);
        if (layer.getLayers) layer.getLayers().forEach(visit);
    };
    values.filter((v) => v instanceof L.LayerGroup).forEach(visit);
    maps.forEach((map) => map.eachLayer(visit));
    let tooltips = 0, popups = 0;
    for (const layer of layers) {
        const tooltip = layer.getTooltip && layer.getTooltip(), popup = layer.getPopup && layer.getPopup();
        const child = layer.getLayers ? layer.getLayers()[0] : layer;
        if (!(tooltip || popup) || !child) continue;
        if (!layer._map) maps[0].addLayer(layer);
        const latlng = child.getLatLng ? child.getLatLng() : child.getBounds().getCenter();
        if (tooltip) {
            layer.fire("mouseover", {latlng, layer: child, originalEvent: new MouseEvent("mouseover")});
            tooltips += 1;
        }
        if (popup) {
            layer.fire("click", {latlng, layer: child, originalEvent: new MouseEvent("click")});
            popups += 1;
        }
    }
    const tooltips_text = document.querySelector(".leaflet-tooltip-pane").innerText;  // all open now
    const shapes = [...document.querySelectorAll("path.leaflet-interactive")];
    for (const shape of shapes) {
        const box = shape.getBoundingClientRect();
        const at = {bubbles: true, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2};
        for (const type of ["mouseover", "mousemove", "click", "mouseout"]) {
            shape.dispatchEvent(new MouseEvent(type, at));
        }
    }
    const panes = ".leaflet-tooltip-pane, .leaflet-popup-pane, .leaflet-control-container";
    const markup = document.querySelectorAll(panes.split(",").map((p) => p + " :is(img, script)").join(","));
    return {maps: maps.length, tooltips, popups, shapes: shapes.length, markup: markup.length, tooltips_text};
}"""


@cache
def builtin(form_id: str) -> bytes:
    """A questionnaire built from its .xlsx once per run."""
    return build_xlsform(BUILTIN_FORMS / f"{form_id}.xlsx").xform


def session_record(payload: str, point: tuple[float, float]) -> dict[str, str]:
    """A session in a village not in the list: every free-text answer hostile, the village named with payload."""
    where = f"{point[0]} {point[1]} 400 5"
    return {
        "session_type": "khac", "session_type_other": EVERY, "session_date": TODAY, "evening": "khong",
        "commune": "01864", "village": "khac", "village_name": payload, "village_point": where,
        "village_label": payload, "venue": "khac", "venue_other": EVERY, "gps": where, "organiser": "trung_tam",
        "participants_total": "30", "participants_women": "14", "participants_ethnic": "20", "laws": "khac",
        "laws_other": EVERY, "leaflets": "5", "requests_received": "1", "requests_accepted": "1", "referrals": "0",
        "remarks": EVERY, "instanceName": f"{TODAY} {payload}",
    }  # fmt: skip


PERSON = {
    "intake_date": TODAY, "session_link": EVERY, "commune": "01957", "village": "khac", "village_name": EVERY,
    "village_point": "22.45 105.85 300 5", "village_label": EVERY, "consent": "dong_y", "sex": "nu",
    "age_known": "tuoi", "age": "40", "age_years": "40", "ethnicity": "dt09", "art7": "dtts_dbkk", "field": "dat_dai",
    "aid_form": "tu_van", "summary": EVERY, "accepted": "co", "provider_role": "cong_tac_vien",
}  # fmt: skip


def village_csv() -> bytes:
    """Villages a province supplies: each payload a confirmed village with a point, and one more proposed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["commune_code", "scheme", "name", "lat", "lon", "status"])
    for payload, (lat, lon) in zip(PAYLOADS, POINTS, strict=True):
        writer.writerow(["01864", "new", f"Thôn {payload}", lat + 0.01, lon - 0.01, "confirmed"])
    writer.writerow(["01864", "new", EVERY, POINTS[0][0] + 0.002, POINTS[0][1], "proposed"])
    return out.getvalue().encode()


def uploaded_form() -> bytes:
    """An XLSForm whose title, question labels and choice labels are hostile."""
    survey = [["type", "name", "label"], ["text", "said", EVERY], ["select_one pick", "picked", EVERY],
              ["geopoint", "where", EVERY]]  # fmt: skip
    return form(
        survey=survey,
        settings=[["form_id", "version", "form_title"], [UPLOADED, "1", EVERY]],
        choices=[["list_name", "name", "label"], ["pick", "a", EVERY], ["pick", "b", "B"]],
    )


@dataclass
class Phones:
    """The phones: one app user per payload (its name), each sending from a device whose id is that payload."""

    live: Live
    tokens: list[str]
    clients: list[CollectClient] = field(default_factory=list)

    def client(self, n: int) -> CollectClient:
        """Phone n, with the device id PAYLOADS[n]."""
        while len(self.clients) <= n:
            index = len(self.clients)
            self.clients.append(CollectClient(self.live.key_url(self.tokens[index]), device_id=PAYLOADS[index]))
        return self.clients[n]

    def send(self, n: int, xml: bytes) -> None:
        """Send an instance from phone n; the server keeps it."""
        responses = self.client(n).send(xml)
        assert [r.status_code for r in responses] == [201], responses[-1].text


@pytest.fixture
def phones(live: Live, backan: Session, java: None) -> Iterator[Phones]:
    """Both questionnaires, an admin named with a payload, an imported village list, and sessions and an intake
    record sent from phones named with payloads."""
    for form_id in ("tgpl_session", "tgpl_person"):
        publish_xform(session=backan, store=live.store, xform=builtin(form_id), media={})
    create_web_user(session=backan, username=ADMIN, password=PASSWORD, role="admin")
    for payload in PAYLOADS[1:]:
        create_web_user(session=backan, username=payload, password=PASSWORD, role="coordinator")
    report = import_villages(session=backan, data=village_csv(), source_ref=f"{PAYLOADS[1]}.csv")
    assert (len(report.added), report.errors) == (len(PAYLOADS) + 1, [])
    tokens = [create_app_user(session=backan, name=payload)[1] for payload in PAYLOADS]
    result = Phones(live, tokens)
    for n, (payload, point) in enumerate(zip(PAYLOADS, POINTS, strict=True)):
        team = [{"member_name": EVERY, "member_role": "khac", "card_number": EVERY}]
        result.send(n, fill(builtin("tgpl_session"), session_record(payload, point), repeats={"team": team}))
    result.send(0, fill(builtin("tgpl_person"), PERSON))
    yield result
    for client in result.clients:
        client.http.close()


@dataclass
class Watch:
    """What the browser reported: scripts that ran, dialogs, CSP violations; and each document's policy."""

    problems: list[str] = field(default_factory=list)
    documents: list[tuple[str, str | None]] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        """Listen on the page and every frame it opens."""
        page.expose_function("tgplReport", self._report)
        page.add_init_script(WATCH)
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("response", self._response)

    def _report(self, problem: str) -> None:
        self.problems.append(problem)

    def _dialog(self, dialog: Dialog) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"console: {message.text}")

    def _response(self, response: Response) -> None:
        html = response.headers.get("content-type", "").startswith("text/html")  # not a redirect, not a download
        if response.request.resource_type == "document" and html:
            self.documents.append((response.url, response.headers.get("content-security-policy")))

    def policy_problems(self, base: str) -> list[str]:
        """Pages without the strict policy, /map not framable by the dashboard, pages framable, nonces reused."""
        found, nonces = [], []
        for url, policy in self.documents:
            match = POLICY.fullmatch(policy or "")
            if not url.startswith(base):
                continue
            if match is None:
                found.append(f"no strict CSP on {url}: {policy!r}")
                continue
            nonces.append(match.group(1))
            framed = url.removeprefix(base).split("?")[0] == "/map"
            if match.group(2) != ("'self'" if framed else "'none'"):
                found.append(f"frame-ancestors {match.group(2)} on {url}")
        if len(set(nonces)) != len(nonces):
            found.append("a nonce was sent twice")
        return found


def published(live: Live, form_id: str) -> bytes:
    """The XForm of a published form, as its phones download it."""
    with Session(live.engine) as session:
        version = current_version(session, get_form(session, form_id))
        assert version is not None
        return version.xml


def settle(page: Page) -> None:
    """Let the page finish what it started (images failing to load fire their error events after the request)."""
    page.wait_for_load_state("networkidle")
    page.evaluate("1")  # and hand over the reports queued meanwhile


def exercise_map(frame: Page | Frame) -> dict[str, Any]:
    """Hover and click every layer of the frame's map once Leaflet has drawn it: how many maps, tooltips, popups
    and shapes; how many image or script elements the tooltips, popups and controls hold; what the tooltips say."""
    frame.wait_for_selector(".tgpl-legend")
    frame.wait_for_selector(".leaflet-control-layers")
    done: dict[str, Any] = frame.evaluate(EXERCISE_MAP)
    frame.hover(".leaflet-control-layers")  # the layer list opens, with every layer's name
    return done


def test_no_script_from_data_runs_on_any_page_or_map(offline: Offline, live: Live, phones: Phones) -> None:
    page, watch, base = offline.page, Watch(), live.base
    watch.attach(page)
    page.route("**/*", offline.route)

    next_path = quote('/"><script>window.__xss=1</script>')
    page.goto(f"{base}/login?next={next_path}")  # the sign-in page, then a 404 page for that path
    page.fill("input[name=username]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("main")
    settle(page)

    page.goto(f"{base}/forms")
    page.set_input_files("input[name=xlsform]", files=[{"name": "f.xlsx", "mimeType": XLSX_TYPE,
                                                        "buffer": uploaded_form()}])  # fmt: skip
    page.click("form[action='/forms'] button[type=submit]")
    page.wait_for_selector(f"#forms td:text-is('{UPLOADED}')")
    assert EVERY in page.inner_text("#forms")  # the title, as text
    settle(page)
    uploaded = {"said": EVERY, "picked": "a", "where": PAYLOADS[4]}  # a geopoint answer of one word
    phones.send(1, fill(published(live, UPLOADED), uploaded))

    page.goto(f"{base}/collaborators")
    page.fill("input[name=name]", EVERY)
    page.click("form[action='/collaborators'] button[type=submit]")
    page.wait_for_selector("#qr")
    settle(page)

    with Session(live.engine) as session:
        submissions = session.exec(select(Submission.id).order_by(col(Submission.id))).all()
        imported = session.exec(select(Village.name).where(Village.status == "confirmed")).all()
    assert len(imported) == len(PAYLOADS)
    assert len(submissions) == len(PAYLOADS) + 2
    pages = {"/submissions": 200, **{f"/submissions/{n}": 200 for n in submissions}, "/collaborators": 200,
             "/forms": 200, "/downloads": 200, f"/submissions?form={quote(EVERY)}": 200,
             f"/forms/{quote(PAYLOADS[0], safe='')}/submissions.xlsx": 404,
             f"/submissions?from={quote(PAYLOADS[0])}": 400, "/submissions/999999": 404,
             f"/?area={quote(PAYLOADS[2])}": 404, f"/map?area={quote(PAYLOADS[1])}": 404, "/nowhere": 404}  # fmt: skip
    statuses: dict[str, int] = {}
    for path in pages:
        response = page.goto(base + path)
        statuses[path] = response.status if response else 0
        settle(page)

    page.goto(f"{base}/villages")
    small = page.locator(".small-map path.leaflet-interactive")
    small.first.wait_for()
    assert small.count() >= len(PAYLOADS) + 1  # every proposal with a point, and the villages it may duplicate
    names: set[str] = set()
    for n in range(small.count()):
        small.nth(n).hover()
        page.locator(".small-map .leaflet-tooltip").first.wait_for()
        names |= set(page.locator(".small-map .leaflet-tooltip").all_inner_texts())
    tooltip_markup = page.locator(".small-map .leaflet-tooltip :is(img, script)").count()
    proposals = page.inner_text("#proposals")
    settle(page)

    drawn: dict[str, dict[str, Any]] = {}
    for path in ("/map", "/map?scheme=old"):
        page.goto(base + path)
        drawn[path] = exercise_map(page)
        settle(page)
    page.goto(f"{base}/")
    page.frame_locator("iframe.map").locator(".tgpl-legend").wait_for()
    frame = next(f for f in page.frames if f.url.split("?")[0].endswith("/map"))
    drawn["/ (frame)"] = exercise_map(frame)
    settle(page)

    problems = watch.problems + watch.policy_problems(base)
    assert problems == [], "\n".join(problems)
    assert statuses == pages
    assert (tooltip_markup, set(PAYLOADS) <= names) == (0, True)  # every name on the small maps, as text
    assert "{{7*7}}" in proposals  # shown as typed, never evaluated
    for opened in drawn.values():
        assert (opened["maps"], opened["markup"]) == (1, 0)
        assert opened["tooltips"] >= 37 + len(PAYLOADS)  # the new communes, the imported villages, the sessions
        assert opened["popups"] >= 37 + len(PAYLOADS)
    assert all(f"{name} · " in drawn["/map"]["tooltips_text"] for name in imported)  # as text


def test_the_report_form_picks_its_file_with_tgpls_own_script(offline: Offline, live: Live, session: Session) -> None:
    create_web_user(session=session, username="hoa", password=PASSWORD, role="coordinator")
    page, watch = offline.page, Watch()
    watch.attach(page)
    page.route("**/*", offline.route)
    page.goto(f"{live.base}/login?next=/downloads")
    page.fill("input[name=username]", "hoa")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    page.select_option("#report-form select[name=report]", "bieu25")
    page.fill("#report-form input[name=period]", "2026-H1")
    page.select_option("#report-form select[name=format]", "csv")
    with page.expect_download() as download:
        page.click("#report-form button[type=submit]")

    assert download.value.suggested_filename == "bieu25-2026-H1.csv"
    settle(page)
    assert watch.problems + watch.policy_problems(live.base) == []
