"""The Leaflet files tgpl serves for maps, from the XStatic packages."""

from __future__ import annotations

import re

from maps.assets import SCRIPTS, STYLESHEETS, asset_files, asset_urls


def test_every_asset_is_a_file_of_the_xstatic_packages() -> None:
    files = asset_files()
    assert sorted(files) == [
        "MarkerCluster.Default.css",
        "MarkerCluster.css",
        "images/layers-2x.png",
        "images/layers.png",
        "images/marker-icon-2x.png",
        "images/marker-icon.png",
        "images/marker-shadow.png",
        "leaflet.css",
        "leaflet.js",
        "leaflet.markercluster.js",
    ]
    assert all(path.is_absolute() and path.stat().st_size > 0 for path in files.values())
    assert all("xstatic" in path.parts for path in files.values())
    assert "Leaflet 1.9.3," in files["leaflet.js"].read_text("utf-8")[:200]
    assert "L.MarkerClusterGroup" in files["leaflet.markercluster.js"].read_text("utf-8")


def test_the_pages_link_only_assets_that_exist() -> None:
    assert set(SCRIPTS) | set(STYLESHEETS) <= set(asset_files())


def test_every_image_a_stylesheet_refers_to_is_served_beside_it() -> None:
    files = asset_files()
    referenced = {
        url for name in STYLESHEETS for url in re.findall(r"url\(['\"]?([^'\")#]+)", files[name].read_text("utf-8"))
    }
    assert referenced == {"images/layers.png", "images/layers-2x.png", "images/marker-icon.png"}
    assert referenced <= set(files)


def test_asset_urls_sit_under_the_mount_point() -> None:
    assert asset_urls("/static/map/")["leaflet.js"] == "/static/map/leaflet.js"
    assert asset_urls("/tgpl/static/map")["images/layers.png"] == "/tgpl/static/map/images/layers.png"
    assert asset_urls()["MarkerCluster.css"] == "/static/map/MarkerCluster.css"
    assert set(asset_urls()) == set(asset_files())
