"""The self-contained map file: everything inlined, nothing loaded but base tiles."""

from __future__ import annotations

import base64
import re

from maps import page_html, standalone_html
from maps.assets import asset_files
from maps.standalone import inline_css, inline_js
from tests.maps.folium_html import layer_names, legend_lines, loaded_urls, shapes
from tests.maps.rows import coverage


def test_the_file_loads_nothing_by_itself() -> None:
    html = standalone_html(coverage())

    assert loaded_urls(html) == []  # no <script src>, <link href> or <img src>
    assert "url(images/" not in html
    assert "sourceMappingURL" not in html
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html


def test_leaflet_and_markercluster_are_inlined_before_the_map_script() -> None:
    html = standalone_html(coverage())

    leaflet = html.index("Leaflet 1.9.3, a JS library for interactive maps")
    cluster = html.index("L.MarkerClusterGroup=L.FeatureGroup.extend(")
    map_script = html.index("L.map(")
    assert leaflet < cluster < map_script
    assert html.count("<script") == html.count("</script>") == 3  # leaflet, markercluster, the map


def test_stylesheet_images_become_data_uris() -> None:
    files = asset_files()
    css = inline_css(files["leaflet.css"].read_text("utf-8"), files)

    uris = re.findall(r"url\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", css)
    assert [base64.b64decode(uri) for uri in uris] == [
        files["images/layers.png"].read_bytes(),
        files["images/layers-2x.png"].read_bytes(),
        files["images/marker-icon.png"].read_bytes(),
    ]


def test_scripts_cannot_close_their_element_early() -> None:
    assert inline_js('var s = "</script>"; var t = "</SCRIPT>";\n//# sourceMappingURL=x.js.map\n') == (
        'var s = "<\\/script>"; var t = "<\\/SCRIPT>";\n\n'
    )


def test_it_draws_what_the_served_map_draws() -> None:
    served, alone = page_html(coverage()), standalone_html(coverage())

    assert shapes(alone) == shapes(served)
    assert layer_names(alone) == layer_names(served)
    assert legend_lines(alone) == legend_lines(served)


def test_english_file() -> None:
    assert legend_lines(standalone_html(coverage(), lang="en"))[1:3] == ["Last legal aid session", "Reached in period"]
