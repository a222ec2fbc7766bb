"""Read back what a rendered folium page draws: its layers, shapes, colours and popups (from its script).

Communes are folium circle markers and GeoJSON polygons with their popup and tooltip bound as HTML. Villages and
session points are GeoJSON point layers (maps/points.py) whose popups and tooltips the browser builds from each
feature's properties and its layer's spec; point_cards() reads them the way tgplPoints writes them, and
tests/maps/test_browser.py checks, feature by feature, that Chromium builds the very same texts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

from defusedxml.ElementTree import fromstring

_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
_CIRCLE = re.compile(
    r"var (circle_marker_\w+) = L\.circleMarker\(\s*\[[^\]]*\],\s*(\{.*?\})\s*\)\.addTo\((\w+)\)", re.S
)
_GEOJSON_DATA = re.compile(r"(geo_json_\w+)_add\((\{.*?\})\);\n")
_GEOJSON_PARENT = re.compile(r"(geo_json_\w+)\.addTo\((\w+)\)")
_POINTS = re.compile(r"var (point_layer_\w+) = L\.geoJson\(\n\s*(.+),\n\s*tgplPoints\((.+)\)\n\s*\)\.addTo\((\w+)\)")
_POPUP = re.compile(rf"(\w+)\.bindPopup\(({_JSON_STRING})")
_TOOLTIP = re.compile(rf"(\w+)\.bindTooltip\(({_JSON_STRING})")
_LEGEND = re.compile(rf"div\.innerHTML = ({_JSON_STRING});")
_TAG = re.compile(r"<[^>]+>")
_OVERLAYS = re.compile(r"overlays :\s*\{(.*?)\},", re.S)
_OVERLAY = re.compile(rf"({_JSON_STRING}) : (\w+),")


@dataclass(frozen=True)
class Shape:
    """One drawn place or session: how it is drawn, its fill colour and the layer it is in."""

    kind: str  # circle | polygon
    fill: str
    layer: str


@dataclass(frozen=True)
class Popup:
    """A popup's title, subtitle and label → value table."""

    title: str
    kind: str
    rows: dict[str, str]


def layer_names(html: str) -> list[str]:
    """The overlay names of the layer control, in order."""
    return [name for name, _var in _overlays(html)]


def overlay_vars(html: str) -> dict[str, str]:
    """The layer control's overlay names by their JavaScript variable."""
    return {var: name for name, var in _overlays(html)}


def _overlays(html: str) -> list[tuple[str, str]]:
    """The layer control's overlays: (name, JavaScript variable)."""
    block = _OVERLAYS.search(html)
    assert block, "no layer control"
    return [(json.loads(name), var) for name, var in _OVERLAY.findall(block.group(1))]


@dataclass(frozen=True)
class PointCard:
    """One village or session point of a GeoJSON point layer: where it is added, its fill, popup and tooltip."""

    layer: str  # the point layer's JavaScript variable
    index: int  # the feature's place in its layer
    parent: str  # the JavaScript variable of the layer it is added to (a district layer, the session cluster)
    fill: str
    popup: Popup
    tooltip: str  # as text, markup removed
    position: tuple[float, float]  # (lat, lon) as written in the page
    offset: int  # where its layer is in the page, for document order

    @property
    def key(self) -> str:
        """The point's name in popups() and shapes(): layer[index]."""
        return f"{self.layer}[{self.index}]"


def point_cards(html: str) -> list[PointCard]:
    """Every point of the GeoJSON point layers with the popup and tooltip tgplPoints builds from its properties."""
    cards = []
    for found in _POINTS.finditer(html):
        layer, data, spec_json, parent = found.groups()
        spec = json.loads(spec_json)
        for index, feature in enumerate(json.loads(data)["features"]):
            properties = feature["properties"]
            values = properties["values"]
            title = properties.get("name", spec.get("title"))
            popup = Popup(title, spec["kind"], dict(zip(spec["labels"], values, strict=True)))
            if spec["tooltip"] == "place":
                tooltip = f"{title} · {spec['labels'][0]}: {values[0]} · {spec['labels'][1]}: {values[1]}"
            else:
                tooltip = f"{spec['title']} · {values[0]}"
            fill = spec["fills"][properties["state"]]
            lon, lat = feature["geometry"]["coordinates"]
            cards.append(PointCard(layer, index, parent, fill, popup, tooltip, (lat, lon), found.start()))
    return cards


def point_layer_names(html: str) -> list[str]:
    """The JavaScript variables of the GeoJSON point layers, in order."""
    return [found.group(1) for found in _POINTS.finditer(html)]


def popups(html: str) -> dict[str, Popup]:
    """Every popup by the variable of the layer it is bound to (points: by PointCard.key)."""
    bound = {var: parse_popup(json.loads(text)) for var, text in _POPUP.findall(html)}
    return bound | {card.key: card.popup for card in point_cards(html)}


def tooltips(html: str) -> list[str]:
    """Every tooltip's text (its markup removed), in the order of the page."""
    bound = [(found.start(), 0, tooltip_text(json.loads(found.group(2)))) for found in _TOOLTIP.finditer(html)]
    points = [(card.offset, card.index, card.tooltip) for card in point_cards(html)]
    return [text for _offset, _index, text in sorted(bound + points)]


def tooltip_text(html: str) -> str:
    """A tooltip's HTML as the text it shows."""
    return unescape(_TAG.sub("", html))


def legend_lines(html: str) -> list[str]:
    """The legend's lines of text."""
    found = _LEGEND.search(html)
    assert found, "no legend"
    return [line for line in _TAG.sub("\n", json.loads(found.group(1))).split("\n") if line]


def parse_popup(html: str) -> Popup:
    """A popup's HTML read back."""
    root = fromstring(html)
    small = root.find("small")
    rows = {th.text or "": td.text or "" for th, td in root.iter("tr")}
    return Popup(root.findtext("strong") or "", "" if small is None else small.text or "", rows)


def shapes(html: str) -> dict[str, Shape]:
    """Every circle and polygon by the title of its popup (sessions by their record number)."""
    names = overlay_vars(html)
    drawn: dict[str, Shape] = {}
    for var, options, parent in _CIRCLE.findall(html):
        drawn[var] = Shape("circle", json.loads(options)["fillColor"], names.get(parent, parent))
    parents: dict[str, str] = dict(_GEOJSON_PARENT.findall(html))
    for var, data in _GEOJSON_DATA.findall(html):
        feature = json.loads(data)
        fill = feature["properties"]["style"]["fillColor"]
        drawn[var] = Shape(feature["geometry"]["type"].lower(), fill, names.get(parents[var], parents[var]))
    for card in point_cards(html):
        drawn[card.key] = Shape("circle", card.fill, names.get(card.parent, card.parent))
    by_title: dict[str, Shape] = {}
    for var, popup in popups(html).items():
        key = popup.title if popup.title not in ("Buổi trợ giúp", "Session") else f"#{_record(popup)}"
        by_title[key] = drawn[var]
    return by_title


def _record(popup: Popup) -> str:
    """A session popup's record number, in either language."""
    return popup.rows.get("Mã bản ghi") or popup.rows["Record"]


class _Links(HTMLParser):
    """The URLs a page's elements load: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        self.urls += [value or "" for name, value in attrs if name == wanted]


def loaded_urls(html: str) -> list[str]:
    """The URLs the page's own elements load (not those its scripts build at run time)."""
    parser = _Links()
    parser.feed(html)
    return parser.urls
