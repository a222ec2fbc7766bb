"""The maps in real headless Chromium with the internet cut off: markers, clusters, legend and popups still show."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from maps import asset_files, asset_urls, page_html, standalone_html
from server.web.csp import new_nonce, page_headers
from tests.browser import Offline
from tests.live_server import serve_in_thread
from tests.maps.folium_html import parse_popup, point_cards, point_layer_names, tooltip_text
from tests.maps.rows import coverage, row

pytestmark = pytest.mark.browser

REACHED, RECENT, OLDER, NEVER = "#1a9850", "#a6d96a", "#fdae61", "#d73027"
VILLAGE_REACHED, VILLAGE_NOT_REACHED, SESSION = "#2166ac", "#ffffff", "#762a83"

# What the sample shows at its first view: 5 communes (Kim Lư as a polygon), 3 confirmed villages, the lone session;
# the four sessions close together in Kim Lư are one cluster.
FIRST_VIEW = {REACHED: 2, RECENT: 1, OLDER: 1, NEVER: 1, VILLAGE_REACHED: 1, VILLAGE_NOT_REACHED: 2, SESSION: 1}


def test_standalone_file_shows_everything_offline(offline: Offline, tmp_path: Path) -> None:
    path = tmp_path / "ban-do-bao-phu.html"
    path.write_text(standalone_html(coverage()), encoding="utf-8")

    offline.open(path.as_uri())
    offline.page.screenshot(path=str(tmp_path / "standalone.png"))

    assert offline.fills() == FIRST_VIEW
    assert offline.texts(".marker-cluster") == ["4"]
    assert offline.texts(".leaflet-control-layers-overlays label") == [
        "Huyện Chợ Mới",
        "Huyện Na Rì",
        "Buổi trợ giúp (điểm GPS)",
    ]
    assert offline.page.locator(".tgpl-legend").is_visible()
    assert "Chưa có buổi nào" in offline.texts(".tgpl-legend")[0]
    assert offline.blocked_hosts() == {"tile.openstreetmap.org"}  # tiles were asked for and refused; nothing else
    assert offline.errors == []
    assert (tmp_path / "standalone.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_commune_popup_opens_in_vietnamese(offline: Offline, tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    path.write_text(standalone_html(coverage()), encoding="utf-8")
    offline.open(path.as_uri())

    offline.page.locator(f'path.leaflet-interactive[fill="{NEVER}"]').click()

    popup = offline.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.inner_text().split("\n")[:2] == ["Xã Như Cố Xã/phường", "Số buổi trong kỳ\t0"]


def test_a_village_popup_and_tooltip_show_its_figures(offline: Offline, tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    path.write_text(standalone_html(coverage()), encoding="utf-8")
    offline.open(path.as_uri())
    village = offline.page.locator(f'path.leaflet-interactive[fill="{VILLAGE_REACHED}"]')  # Thôn Nà Pài, the only one

    village.hover()
    assert offline.texts(".leaflet-tooltip") == ["Thôn Nà Pài · Số buổi trong kỳ: 2 · Buổi gần nhất: 28/03/2025"]
    village.click()

    popup = offline.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.inner_text().split("\n") == [
        "Thôn Nà Pài Thôn/bản",
        "Số buổi trong kỳ\t2",
        "Buổi gần nhất\t28/03/2025",
        "Số ngày kể từ buổi gần nhất\t3",
        "Số người tham dự\t24 (nữ: 14)",
        "Yêu cầu trợ giúp pháp lý\t4 (đã thụ lý: 2)",
    ]


def test_a_session_popup_shows_its_date_and_record(offline: Offline, tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    path.write_text(standalone_html(coverage()), encoding="utf-8")
    offline.open(path.as_uri())

    offline.page.locator(f'path.leaflet-interactive[fill="{SESSION}"]').click()  # the lone session, out of the cluster

    popup = offline.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.inner_text().split("\n") == ["Buổi trợ giúp", "Ngày\t11/03/2025", "Số người tham dự\tkhông rõ",
                                               "Mã bản ghi\t200"]  # fmt: skip


def test_the_browser_builds_every_point_popup_and_tooltip_the_page_describes(offline: Offline, tmp_path: Path) -> None:
    cov = coverage()
    hostile = "<img src=x onerror=alert(1)> & 'Nà' \"Pài\""
    cov.villages.append(row("village", "0202099", hostile, "02020", 22.21, 106.03, 1, 3, status="confirmed"))
    html = standalone_html(cov, lang="en")
    path = tmp_path / "map.html"
    path.write_text(html, encoding="utf-8")
    offline.open(path.as_uri())

    built = offline.page.evaluate(BUILT_CARDS, point_layer_names(html))

    cards = point_cards(html)
    assert len(built) == len(cards) == 9  # 4 villages (one hostile) and 5 sessions, clustered or not
    assert [(parse_popup(popup), tooltip_text(tooltip)) for popup, tooltip in built] == [
        (card.popup, card.tooltip) for card in cards
    ]
    (target,) = [card for card in cards if card.popup.title == hostile]
    offline.page.evaluate(OPEN_POPUP, [target.layer, target.index])
    popup = offline.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("strong").inner_text() == hostile
    assert popup.locator("img").count() == 0
    assert offline.errors == []


# For every point layer, each point's popup and tooltip HTML as Leaflet gets it (content may be a function of the
# layer, built when it opens).
BUILT_CARDS = """names => names.flatMap(name => window[name].getLayers().map(layer => {
    const content = overlay => {
        const value = overlay.getContent();
        return typeof value === "function" ? value(layer) : value;
    };
    return [content(layer.getPopup()), content(layer.getTooltip())];
}))"""
OPEN_POPUP = "([name, index]) => window[name].getLayers()[index].openPopup()"


def test_the_cluster_opens_into_its_four_sessions(offline: Offline, tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    path.write_text(standalone_html(coverage()), encoding="utf-8")
    offline.open(path.as_uri())

    offline.page.locator(".marker-cluster").click()

    offline.page.wait_for_function("() => document.querySelectorAll('.marker-cluster').length === 0")
    offline.page.screenshot(path=str(tmp_path / "cluster-opened.png"))
    assert offline.fills()[SESSION] == 4


def map_app(map_page: Callable[[], HTMLResponse]) -> FastAPI:
    """An app serving Leaflet's files from tgpl's asset list and a map page at /map, as tgpl serves them."""
    files = asset_files()
    app = FastAPI()

    @app.get("/static/map/{name:path}")
    def asset(name: str) -> FileResponse:
        if name not in files:
            raise HTTPException(404)
        return FileResponse(files[name])

    app.get("/map")(map_page)
    return app


def test_served_map_loads_leaflet_from_tgpl(offline: Offline, tmp_path: Path) -> None:
    def coverage_map() -> HTMLResponse:
        return HTMLResponse(page_html(coverage(), asset_base="/static/map"))

    with serve_in_thread(map_app(coverage_map)) as base:
        offline.open(f"{base}/map")
        offline.page.screenshot(path=str(tmp_path / "served.png"))
        statuses = {url.removeprefix(base): status for url, status in offline.statuses.items() if url.startswith(base)}

    served = {asset_urls()[name] for name in ("leaflet.js", "leaflet.markercluster.js", "leaflet.css")}
    served |= {asset_urls()[name] for name in ("MarkerCluster.css", "MarkerCluster.Default.css", "images/layers.png")}
    assert statuses == {"/map": 200} | dict.fromkeys(served, 200)
    assert offline.fills() == FIRST_VIEW
    assert offline.texts(".marker-cluster") == ["4"]
    assert offline.blocked_hosts() == {"tile.openstreetmap.org"}
    assert offline.errors == []


# Every Content-Security-Policy violation of the page, as the browser reports it.
VIOLATIONS = """window.tgplViolations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.tgplViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));"""


def test_the_served_map_works_under_the_pages_content_security_policy(offline: Offline) -> None:
    def coverage_map() -> HTMLResponse:
        nonce = new_nonce()
        html = page_html(coverage(), asset_base="/static/map", nonce=nonce)
        return HTMLResponse(html, headers=page_headers(nonce, framable=True))

    console: list[str] = []
    offline.page.on("console", lambda message: console.append(message.text))
    offline.page.add_init_script(VIOLATIONS)
    with serve_in_thread(map_app(coverage_map)) as base:
        offline.open(f"{base}/map")
        page = offline.page
        assert offline.fills() == FIRST_VIEW  # markers and shapes
        assert offline.texts(".marker-cluster") == ["4"]
        assert "Chưa có buổi nào" in offline.texts(".tgpl-legend")[0]  # the legend
        page.hover(".leaflet-control-layers")  # the layer control
        assert offline.texts(".leaflet-control-layers-overlays label") == [
            "Huyện Chợ Mới",
            "Huyện Na Rì",
            "Buổi trợ giúp (điểm GPS)",
        ]
        page.mouse.move(0, 0)
        page.locator(f'path.leaflet-interactive[fill="{VILLAGE_REACHED}"]').hover()  # a tooltip
        assert offline.texts(".leaflet-tooltip") == ["Thôn Nà Pài · Số buổi trong kỳ: 2 · Buổi gần nhất: 28/03/2025"]
        page.locator(f'path.leaflet-interactive[fill="{NEVER}"]').click()  # a popup
        page.locator(".leaflet-popup-content").wait_for()
        assert page.inner_text(".leaflet-popup-content").startswith("Xã Như Cố")
        violations = page.evaluate("window.tgplViolations")

    assert violations == []
    assert [text for text in console if "Content Security Policy" in text] == []
    assert offline.errors == []
    assert offline.blocked_hosts() == {"tile.openstreetmap.org"}
