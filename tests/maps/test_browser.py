"""The maps in real headless Chromium with the internet cut off: markers, clusters, legend and popups still show."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from maps import asset_files, asset_urls, page_html, standalone_html
from tests.browser import Offline
from tests.live_server import serve_in_thread
from tests.maps.rows import coverage

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


def test_the_cluster_opens_into_its_four_sessions(offline: Offline, tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    path.write_text(standalone_html(coverage()), encoding="utf-8")
    offline.open(path.as_uri())

    offline.page.locator(".marker-cluster").click()

    offline.page.wait_for_function("() => document.querySelectorAll('.marker-cluster').length === 0")
    offline.page.screenshot(path=str(tmp_path / "cluster-opened.png"))
    assert offline.fills()[SESSION] == 4


def test_served_map_loads_leaflet_from_tgpl(offline: Offline, tmp_path: Path) -> None:
    files = asset_files()
    app = FastAPI()

    @app.get("/static/map/{name:path}")
    def asset(name: str) -> FileResponse:
        if name not in files:
            raise HTTPException(404)
        return FileResponse(files[name])

    @app.get("/map")
    def coverage_map() -> HTMLResponse:
        return HTMLResponse(page_html(coverage(), asset_base="/static/map"))

    with serve_in_thread(app) as base:
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
