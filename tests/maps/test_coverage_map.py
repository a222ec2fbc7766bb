"""The coverage map's page: what it draws, where, in which colour and layer, and what it loads."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import pytest

from maps import build_map, page_html
from server.places.coverage import Coverage
from tests.maps.folium_html import (
    Popup,
    Shape,
    layer_names,
    legend_lines,
    loaded_urls,
    overlay_vars,
    point_cards,
    point_layer_names,
    popups,
    shapes,
    tooltips,
)
from tests.maps.rows import coverage, row

REACHED, RECENT, OLDER, NEVER = "#1a9850", "#a6d96a", "#fdae61", "#d73027"
VILLAGE_REACHED, VILLAGE_NOT_REACHED, SESSION = "#2166ac", "#ffffff", "#762a83"
NA_RI, CHO_MOI, SESSIONS = "Huyện Na Rì", "Huyện Chợ Mới", "Buổi trợ giúp (điểm GPS)"
TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def test_old_structure_draws_each_place_in_its_district_layer_coloured_by_recency() -> None:
    html = page_html(coverage("old"))

    assert layer_names(html) == [CHO_MOI, NA_RI, SESSIONS]
    assert shapes(html) == {
        "Xã Kim Lư": Shape("polygon", REACHED, NA_RI),
        "Thị trấn Yến Lạc": Shape("circle", REACHED, NA_RI),
        "Xã Cư Lễ": Shape("circle", RECENT, NA_RI),
        "Xã Thanh Mai": Shape("circle", OLDER, CHO_MOI),
        "Xã Như Cố": Shape("circle", NEVER, CHO_MOI),
        "Thôn Nà Pài": Shape("circle", VILLAGE_REACHED, NA_RI),
        "Bản Khuổi Luông": Shape("circle", VILLAGE_NOT_REACHED, NA_RI),
        "Bản Cháo": Shape("circle", VILLAGE_NOT_REACHED, CHO_MOI),
        # the proposed village "Tổ mới" is not drawn; its session is
        **{f"#{record}": Shape("circle", SESSION, SESSIONS) for record in (100, 101, 102, 103, 200)},
    }


def test_new_structure_has_one_communes_layer() -> None:
    html = page_html(coverage("new"))

    assert layer_names(html) == ["Xã/phường", SESSIONS]
    assert {shape.layer for name, shape in shapes(html).items() if not name.startswith("#")} == {"Xã/phường"}


def test_popups_say_in_vietnamese_what_happened_at_a_place() -> None:
    by_title = {popup.title: popup for popup in popups(page_html(coverage())).values()}

    assert by_title["Xã Kim Lư"] == Popup(
        "Xã Kim Lư",
        "Xã/phường",
        {
            "Số buổi trong kỳ": "4",
            "Buổi gần nhất": "28/03/2025",
            "Số ngày kể từ buổi gần nhất": "3",
            "Số người tham dự": "48 (nữ: 28)",
            "Yêu cầu trợ giúp pháp lý": "8 (đã thụ lý: 4)",
        },
    )
    assert by_title["Xã Như Cố"].rows["Buổi gần nhất"] == "chưa có"
    assert by_title["Xã Như Cố"].rows["Số ngày kể từ buổi gần nhất"] == "chưa có"
    assert by_title["Bản Cháo"].kind == "Thôn/bản"


def test_session_popups_give_date_participants_and_record() -> None:
    sessions = [p for p in popups(page_html(coverage())).values() if p.title == "Buổi trợ giúp"]

    assert [p.rows for p in sessions] == [
        {"Ngày": "28/03/2025", "Số người tham dự": "10", "Mã bản ghi": "100"},
        {"Ngày": "27/03/2025", "Số người tham dự": "11", "Mã bản ghi": "101"},
        {"Ngày": "26/03/2025", "Số người tham dự": "12", "Mã bản ghi": "102"},
        {"Ngày": "25/03/2025", "Số người tham dự": "13", "Mã bản ghi": "103"},
        {"Ngày": "11/03/2025", "Số người tham dự": "không rõ", "Mã bản ghi": "200"},
    ]


def test_tooltips_name_the_place_with_its_sessions() -> None:
    lines = tooltips(page_html(coverage()))

    assert lines[:3] == [
        "Xã Thanh Mai · Số buổi trong kỳ: 0 · Buổi gần nhất: 12/09/2024",
        "Xã Như Cố · Số buổi trong kỳ: 0 · Buổi gần nhất: chưa có",
        "Bản Cháo · Số buổi trong kỳ: 0 · Buổi gần nhất: chưa có",
    ]
    assert "Buổi trợ giúp · 28/03/2025" in lines


def test_english_labels() -> None:
    html = page_html(coverage("new"), lang="en")
    by_title = {popup.title: popup for popup in popups(html).values()}

    assert layer_names(html) == ["Communes", "Sessions (GPS points)"]
    assert by_title["Xã Kim Lư"] == Popup(
        "Xã Kim Lư",
        "Commune",
        {
            "Sessions in period": "4",
            "Last session": "2025-03-28",
            "Days since last session": "3",
            "Participants": "48 (women: 28)",
            "Legal aid requests": "8 (accepted: 4)",
        },
    )
    assert legend_lines(html)[:3] == [
        "Bắc Kạn · 2025-01-01 \N{EN DASH} 2025-03-31",
        "Last legal aid session",
        "Reached in period",
    ]


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="vi, en"):
        build_map(coverage(), lang="fr")


def test_the_page_loads_only_what_tgpl_serves() -> None:
    html = page_html(coverage(), asset_base="/static/map")

    assert loaded_urls(html) == [
        "/static/map/leaflet.css",
        "/static/map/MarkerCluster.css",
        "/static/map/MarkerCluster.Default.css",
        "/static/map/leaflet.js",
        "/static/map/leaflet.markercluster.js",
    ]
    # the only addresses left are the tile template and the map data's attribution link
    assert set(re.findall(r"https?://[^\"'\s\\)]+", html)) == {TILES, "https://www.openstreetmap.org/copyright"}
    assert "$(" not in html  # folium's Popup needs jQuery; ours does not


def test_the_asset_base_moves_every_link() -> None:
    assert {url.rsplit("/", 1)[0] for url in loaded_urls(page_html(coverage(), asset_base="/tgpl/map/"))} == {
        "/tgpl/map"
    }


def test_the_legend_lists_the_recency_classes_and_the_period() -> None:
    assert legend_lines(page_html(coverage())) == [
        "Bắc Kạn · 01/01/2025 \N{EN DASH} 31/03/2025",
        "Lần trợ giúp gần nhất",
        "Có buổi trong kỳ",
        "Trong 90 ngày",
        "Quá 90 ngày",
        "Chưa có buổi nào",
        "Thôn/bản có buổi trong kỳ",
        "Thôn/bản chưa có buổi trong kỳ",
        "Điểm GPS của buổi trợ giúp",
    ]


def test_the_legend_counts_the_records_of_unknown_old_commune() -> None:
    """Sessions at villages whose pre-2025 commune is not known belong to no commune drawn on the old-structure map:
    the legend says how many, so the map's communes plus that line make the period's total."""
    unknown = row("commune", "", "", "", 0.0, 0.0, 3, None)
    assert legend_lines(page_html(replace(coverage(), unknown_old=unknown)))[-1] == (
        "Chưa xác định xã cũ: 3 buổi trợ giúp, 36 người tham dự"
    )
    english = page_html(replace(coverage(), unknown_old=unknown), lang="en")
    assert legend_lines(english)[-1] == "Old commune unknown: 3 sessions, 36 participants"
    none = replace(coverage(), unknown_old=row("commune", "", "", "", 0.0, 0.0, 0, None))
    assert not any("xã cũ" in line for line in legend_lines(page_html(none)))  # nothing to say


def test_stale_days_set_the_recent_threshold() -> None:
    html = page_html(replace(coverage(), stale_days=30))

    assert shapes(html)["Xã Cư Lễ"].fill == OLDER  # 45 days ago
    assert "Trong 30 ngày" in legend_lines(html)


def test_names_from_the_field_are_text_not_markup() -> None:
    cov = coverage()
    cov.villages.append(
        row("village", "0202099", "<img src=x onerror=alert(1)>", "02020", 22.2, 106.0, 1, 3, status="confirmed")
    )

    html = page_html(cov)

    assert "<img" not in html
    assert "<img src=x onerror=alert(1)>" in {popup.title for popup in popups(html).values()}


def test_a_place_without_a_point_or_a_readable_boundary() -> None:
    cov = coverage()
    cov.communes[0].boundary = "{not json"
    cov.communes.append(row("commune", "02029", "Xã Không Tọa Độ", "066", 22.0, 106.0, 0, None))
    cov.communes[-1].lat = cov.communes[-1].lon = None
    cov.villages[0].lat = None

    drawn = shapes(page_html(cov))

    assert drawn["Xã Kim Lư"] == Shape("circle", REACHED, NA_RI)  # back to its point
    assert "Xã Không Tọa Độ" not in drawn
    assert "Thôn Nà Pài" not in drawn


def test_communes_of_an_unknown_district_go_to_another_layer() -> None:
    cov = coverage()
    cov.communes[4].parent_code = "999"

    html = page_html(cov)

    assert layer_names(html) == [CHO_MOI, NA_RI, "Khác", SESSIONS]
    assert shapes(html)["Xã Như Cố"].layer == "Khác"


def test_an_empty_area_opens_on_bac_kan() -> None:
    empty = Coverage(coverage().start, coverage().end, "new", None, "", [], [], [], [])

    fmap = build_map(empty)

    assert fmap.location == [22.15, 105.83]
    assert layer_names(page_html(empty)) == ["Xã/phường", SESSIONS]


def test_the_view_fits_everything_drawn() -> None:
    html = page_html(coverage())

    # south-west: Thanh Mai (22.05, 105.85); north-east: Cư Lễ's latitude, the lone session's longitude
    assert re.search(r"fitBounds\(\s*\[\[22\.05, 105\.85\], \[22\.3, 106\.105\]\]", html)


def test_villages_and_sessions_are_one_point_layer_per_overlay() -> None:
    html = page_html(coverage("old"))

    names = overlay_vars(html)
    assert Counter((names[card.parent], card.fill) for card in point_cards(html)) == {
        (CHO_MOI, VILLAGE_NOT_REACHED): 1,
        (NA_RI, VILLAGE_REACHED): 1,
        (NA_RI, VILLAGE_NOT_REACHED): 1,
        (SESSIONS, SESSION): 5,
    }
    assert len(point_layer_names(html)) == 3  # Chợ Mới's villages, Na Rì's villages, the sessions
    assert html.count("L.circleMarker(") == 1 + 4  # tgplPoints' own, and the four communes drawn at their point


def test_point_positions_are_rounded_to_about_a_metre() -> None:
    cov = coverage()
    cov.villages[0].lat, cov.villages[0].lon = 22.123456789, 106.987654321

    (card,) = [card for card in point_cards(page_html(cov)) if card.popup.title == "Thôn Nà Pài"]

    assert card.position == (22.12346, 106.98765)


def test_a_viewers_map_has_no_session_points() -> None:
    viewer = replace(coverage(), sessions=[])  # server.places.coverage gives viewers no individual sessions

    html = page_html(viewer)

    assert not [name for name in shapes(html) if name.startswith("#")]
    assert not [card for card in point_cards(html) if card.fill == SESSION]
    assert layer_names(html) == [CHO_MOI, NA_RI, SESSIONS]  # the layer is listed, empty
    assert "Buổi trợ giúp" not in {popup.title for popup in popups(html).values()}


def test_names_from_the_field_are_never_read_as_templates() -> None:
    cov = coverage()
    name = "Thôn {{ 7*7 }} {% if true %}x{% endif %} {# c #}"
    cov.villages.append(row("village", "0202099", name, "02020", 22.2, 106.0, 1, 3, status="confirmed"))
    cov.communes[0].name = "Xã {{ 6*7 }}"

    html = page_html(cov)

    titles = {popup.title for popup in popups(html).values()}
    assert {name, "Xã {{ 6*7 }}"} <= titles
    assert "Thôn 49" not in html
    assert "Xã 42" not in html


def test_each_village_adds_little_to_the_page() -> None:
    cov = coverage()
    small = len(page_html(cov).encode("utf-8"))
    cov.villages += [
        row("village", f"02020{n:04d}", f"Thôn Khuổi Luông {n}", "02020", 22.1 + n / 1e4, 106.0, n % 2, n % 300,
            status="confirmed")
        for n in range(1000)
    ]  # fmt: skip

    large = len(page_html(cov).encode("utf-8"))

    assert (large - small) / 1000 < 300  # bytes per village: a GeoJSON feature (a marker with scripts took 2,500)


def test_only_the_maps_own_script_carries_the_nonce() -> None:
    cov = coverage()
    smuggled = "</script><script>alert(1)</script>"
    cov.villages.append(row("village", "0202099", smuggled, "02020", 22.2, 106.0, 1, 3, status="confirmed"))
    cov.communes[0].name = smuggled

    html = page_html(cov, nonce="n0nce-n0nce")

    assert re.findall(r"<script\b[^>]*>", html) == [
        '<script src="/static/map/leaflet.js">',
        '<script src="/static/map/leaflet.markercluster.js">',
        '<script nonce="n0nce-n0nce">',
    ]  # folium's header script (L_NO_TOUCH, L_DISABLE_3D) is left out; the smuggled one never opens
    assert "L_NO_TOUCH" not in html
    assert page_html(coverage()).count("<script>") == 1  # no nonce given: a plain script, as in the standalone file


def test_names_shown_as_markup_by_leaflet_or_the_page_are_escaped() -> None:
    cov = replace(coverage(), area_name="</title><script>alert(1)</script>")
    cov.districts[0].name = '<img src=x onerror="alert(1)">'

    html = page_html(cov)

    assert "<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; · 01/01/2025" in html
    assert layer_names(html)[0] == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"  # the layer control's innerHTML
    assert "<img" not in html
