"""Read back what a rendered folium page draws: its layers, shapes, colours and popups (from its script)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from defusedxml.ElementTree import fromstring

_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
_CIRCLE = re.compile(
    r"var (circle_marker_\w+) = L\.circleMarker\(\s*\[[^\]]*\],\s*(\{.*?\})\s*\)\.addTo\((\w+)\)", re.S
)
_GEOJSON_DATA = re.compile(r"(geo_json_\w+)_add\((\{.*?\})\);\n")
_GEOJSON_PARENT = re.compile(r"(geo_json_\w+)\.addTo\((\w+)\)")
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


def _overlays(html: str) -> list[tuple[str, str]]:
    """The layer control's overlays: (name, JavaScript variable)."""
    block = _OVERLAYS.search(html)
    assert block, "no layer control"
    return [(json.loads(name), var) for name, var in _OVERLAY.findall(block.group(1))]


def popups(html: str) -> dict[str, Popup]:
    """Every popup by the variable of the layer it is bound to."""
    return {var: parse_popup(json.loads(text)) for var, text in _POPUP.findall(html)}


def tooltips(html: str) -> list[str]:
    """Every tooltip's text (its markup removed), in order."""
    return [_TAG.sub("", json.loads(text)) for _var, text in _TOOLTIP.findall(html)]


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
    names = {var: name for name, var in _overlays(html)}
    drawn: dict[str, Shape] = {}
    for var, options, parent in _CIRCLE.findall(html):
        drawn[var] = Shape("circle", json.loads(options)["fillColor"], names.get(parent, parent))
    parents: dict[str, str] = dict(_GEOJSON_PARENT.findall(html))
    for var, data in _GEOJSON_DATA.findall(html):
        feature = json.loads(data)
        fill = feature["properties"]["style"]["fillColor"]
        drawn[var] = Shape(feature["geometry"]["type"].lower(), fill, names.get(parents[var], parents[var]))
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
