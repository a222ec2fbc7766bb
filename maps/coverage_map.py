"""The coverage map: communes coloured by recency, villages reached or not, session points clustered."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from html import escape
from typing import Any

import folium
from branca.element import CssLink, JavascriptLink
from folium.plugins import MarkerCluster

from maps.assets import DEFAULT_BASE, SCRIPTS, STYLESHEETS, asset_urls
from maps.document import Map, MapFigure
from maps.elements import BoundPopup, BoundTooltip, FitView, Stylesheet
from maps.labels import format_date, labels
from maps.legend import Legend
from maps.points import PointScript, session_layer, village_layer
from maps.popups import place_popup, place_tooltip
from maps.style import (
    MAP_CSS,
    OUTLINE,
    RECENCY_COLOURS,
    RECENT_DAYS,
    recency,
)
from server.places.coverage import Coverage, PlaceRow

BAC_KAN = (22.15, 105.83)  # where an empty map opens
Point = tuple[float, float]


def build_map(cov: Coverage, *, lang: str = "vi", asset_base: str = DEFAULT_BASE) -> folium.Map:
    """The coverage map, linking Leaflet from asset_base, where the server mounts asset_files()."""
    fmap = draw_map(cov, lang=lang)
    header = figure_of(fmap).header
    urls = asset_urls(asset_base)
    for name in STYLESHEETS:
        header.add_child(CssLink(urls[name]), name=f"tgpl_{name}")
    for name in SCRIPTS:
        header.add_child(JavascriptLink(urls[name]), name=f"tgpl_{name}")
    return fmap


def page_html(cov: Coverage, *, lang: str = "vi", asset_base: str = DEFAULT_BASE, nonce: str | None = None) -> str:
    """The coverage map as a whole HTML page for the web UI; its one inline script carries nonce, the response's
    Content-Security-Policy nonce."""
    figure = figure_of(build_map(cov, lang=lang, asset_base=asset_base))
    figure.nonce = nonce
    return str(figure.render())


def draw_map(cov: Coverage, *, lang: str = "vi") -> folium.Map:
    """The coverage map with no script or style links at all (build_map and standalone_html add them)."""
    words = labels(lang)
    recent_days = cov.stale_days if cov.stale_days is not None else RECENT_DAYS
    fmap = Map(location=BAC_KAN, zoom_start=9, tiles=None, control_scale=True)
    fmap.default_js = []  # instance lists: folium's defaults point at CDNs
    fmap.default_css = []
    title = _title(cov, lang)
    figure_of(fmap).title = title
    Stylesheet(MAP_CSS).add_to(fmap)
    folium.TileLayer("OpenStreetMap", control=False).add_to(fmap)
    bounds = _bounds(_points(cov))
    if bounds is not None:  # before the layers, so clusters are built once, at the zoom the map opens on
        fmap.location = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
        FitView([list(bounds[0]), list(bounds[1])]).add_to(fmap)
    PointScript().add_to(fmap)  # before the layers that call it
    layers, groups = _groups(cov, words)
    for layer in layers:
        layer.add_to(fmap)
    for row in cov.communes:
        shape = _commune_shape(row, RECENCY_COLOURS[recency(row, recent_days)])
        if shape is not None:
            _describe(shape, place_popup(row, lang), place_tooltip(row, lang)).add_to(groups[row.code])
    for group, villages in _villages_by_layer(cov, groups):
        village_layer(villages, lang).add_to(group)
    cluster = MarkerCluster(name=words["sessions_layer"], show_coverage_on_hover=False)  # type: ignore[no-untyped-call]
    cluster.default_js = []
    cluster.default_css = []
    session_layer(cov.sessions, lang).add_to(cluster)
    cluster.add_to(fmap)
    unknown_old = cov.unknown_old.counts if cov.unknown_old is not None else None
    Legend(title=title, words=words, recent_days=recent_days, unknown_old=unknown_old).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


def _groups(cov: Coverage, words: dict[str, str]) -> tuple[list[folium.FeatureGroup], dict[str, folium.FeatureGroup]]:
    """The place layers in order (one per old district, or one for the new communes) and each commune's layer.

    Leaflet's layer control writes layer names into the page as HTML: a district's name goes in escaped."""
    other = folium.FeatureGroup(name=words["other_layer"])
    if cov.scheme == "old":
        layers = {d.code: folium.FeatureGroup(name=escape(d.name)) for d in cov.districts}
        of_commune = {c.code: layers.get(c.parent_code or "", other) for c in cov.communes}
    else:
        layers = {"": folium.FeatureGroup(name=words["communes_layer"])}
        of_commune = {c.code: layers[""] for c in cov.communes}
    stray = any(v.parent_code not in of_commune for v, _lat, _lon in _villages(cov)) or other in of_commune.values()
    return [*layers.values(), *([other] if stray else [])], of_commune | {"": other}


def _villages_by_layer(
    cov: Coverage, groups: dict[str, folium.FeatureGroup]
) -> list[tuple[folium.FeatureGroup, list[tuple[PlaceRow, float, float]]]]:
    """The villages drawn, gathered by the layer of their commune (the "other" layer when it is not drawn)."""
    by_layer: dict[int, tuple[folium.FeatureGroup, list[tuple[PlaceRow, float, float]]]] = {}
    for village in _villages(cov):
        group = groups.get(village[0].parent_code or "", groups[""])
        by_layer.setdefault(id(group), (group, []))[1].append(village)
    return list(by_layer.values())


def _villages(cov: Coverage) -> list[tuple[PlaceRow, float, float]]:
    """The villages drawn, with their points: confirmed ones with a location (proposed ones wait for review)."""
    return [
        (v, v.lat, v.lon) for v in cov.villages if v.status == "confirmed" and v.lat is not None and v.lon is not None
    ]


def _commune_shape(row: PlaceRow, colour: str) -> folium.GeoJson | folium.CircleMarker | None:
    """A commune's polygon when its boundary is loaded, else a circle at its point, else nothing."""
    geometry = _geometry(row.boundary)
    if geometry is not None:
        style = {"color": OUTLINE, "weight": 1.5, "fillColor": colour, "fillOpacity": 0.55}
        return folium.GeoJson({"type": "Feature", "geometry": geometry, "properties": {"style": style}})
    if row.lat is None or row.lon is None:
        return None
    return folium.CircleMarker(
        [row.lat, row.lon], radius=11, color=OUTLINE, weight=1.5, fill=True, fill_color=colour, fill_opacity=0.8
    )


def _describe(layer: Any, popup: str, tooltip: str) -> Any:
    """A layer with its popup and tooltip bound."""
    layer.add_child(BoundPopup(popup))
    layer.add_child(BoundTooltip(tooltip))
    return layer


def _geometry(boundary: str | None) -> dict[str, Any] | None:
    """A GeoJSON geometry parsed from a stored boundary, or None when absent or unreadable."""
    if not boundary:
        return None
    try:
        geometry = json.loads(boundary)
    except ValueError:
        return None
    return geometry if isinstance(geometry, dict) and "coordinates" in geometry else None


def _points(cov: Coverage) -> Iterator[Point]:
    """Every (lat, lon) the map draws, for its initial view."""
    for row in cov.communes:
        geometry = _geometry(row.boundary)
        if geometry is not None:
            yield from ((lat, lon) for lon, lat in _positions(geometry["coordinates"]))
        elif row.lat is not None and row.lon is not None:
            yield (row.lat, row.lon)
    yield from ((lat, lon) for _row, lat, lon in _villages(cov))
    yield from ((p.lat, p.lon) for p in cov.sessions)


def _positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    """The (lon, lat) positions in nested GeoJSON coordinates."""
    if coordinates and isinstance(coordinates[0], int | float):
        yield (float(coordinates[0]), float(coordinates[1]))
        return
    for inner in coordinates:
        yield from _positions(inner)


def _bounds(points: Iterable[Point]) -> tuple[Point, Point] | None:
    """The south-west and north-east corners around some points, or None for no points."""
    lats, lons = [], []
    for lat, lon in points:
        lats.append(lat)
        lons.append(lon)
    if not lats:
        return None
    return (min(lats), min(lons)), (max(lats), max(lons))


def _title(cov: Coverage, lang: str) -> str:
    """The area and period the map shows."""
    period = f"{format_date(cov.start, lang)} \N{EN DASH} {format_date(cov.end, lang)}"
    return f"{cov.area_name} · {period}" if cov.area_name else period


def figure_of(fmap: folium.Map) -> MapFigure:
    """The HTML document a map belongs to."""
    root = fmap.get_root()
    assert isinstance(root, MapFigure)
    return root
