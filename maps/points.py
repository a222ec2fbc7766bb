"""Villages and session points as one GeoJSON layer per overlay, their marks, popups and tooltips built in the browser.

Each point carries only its name, its state (what fills it) and its figures; the layer's spec carries, once, the
labels, colours and mark options. tgplPoints (PointScript) turns a spec into Leaflet's pointToLayer and onEachFeature:
the same circle marks and the same popup and tooltip markup as maps/popups.py writes for communes, every value
escaped in the browser.
"""

from __future__ import annotations

import json
from typing import Any

from folium.template import Template

from maps.elements import TextMacroElement
from maps.labels import labels
from maps.popups import PLACE_FIELDS, SESSION_FIELDS, field_labels, place_values, session_values
from maps.style import SESSION_COLOUR, VILLAGE_BORDER, VILLAGE_NOT_REACHED, VILLAGE_REACHED
from server.places.coverage import PlaceRow, SessionPoint

DECIMALS = 5  # about a metre: more than a phone's GPS gives, and every digit is repeated 10,000 times
VILLAGE_MARK = {"radius": 5, "color": VILLAGE_BORDER, "weight": 1.5, "fill": True, "fillOpacity": 1.0}
SESSION_MARK = {"radius": 5, "color": "#ffffff", "weight": 1, "fill": True, "fillOpacity": 0.9}

# Characters that could end a <script> element or start markup, written as JSON escapes (still the same JSON);
# U+2028 and U+2029 end a line in older JavaScript engines.
_SCRIPT_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"), ("\u2028", "\\u2028"),
                ("\u2029", "\\u2029"))  # fmt: skip


class PointScript(TextMacroElement):
    """tgplPoints(spec): the Leaflet options that draw a spec's points and describe each from its properties."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            function tgplPoints(spec) {
                var entities = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\"": "&quot;", "'": "&#x27;"};
                function esc(text) {
                    return String(text).replace(/[&<>"']/g, function (c) { return entities[c]; });
                }
                function popup(p) {
                    var rows = spec.labels.map(function (label, i) {
                        return "<tr><th>" + esc(label) + "</th><td>" + esc(p.values[i]) + "</td></tr>";
                    });
                    var small = spec.kind ? " <small>" + esc(spec.kind) + "</small>" : "";
                    var title = p.name === undefined ? spec.title : p.name;
                    return '<div class="tgpl-popup"><strong>' + esc(title) + "</strong>" + small
                        + "<table>" + rows.join("") + "</table></div>";
                }
                function tooltip(p) {
                    if (spec.tooltip === "place") {
                        return "<b>" + esc(p.name) + "</b> \\u00b7 " + esc(spec.labels[0]) + ": " + esc(p.values[0])
                            + " \\u00b7 " + esc(spec.labels[1]) + ": " + esc(p.values[1]);
                    }
                    return esc(spec.title) + " \\u00b7 " + esc(p.values[0]);
                }
                return {
                    pointToLayer: function (feature, latlng) {
                        var fill = {"fillColor": spec.fills[feature.properties.state]};
                        return L.circleMarker(latlng, Object.assign(fill, spec.mark));
                    },
                    onEachFeature: function (feature, layer) {
                        layer.bindPopup(function () { return popup(feature.properties); }, {"maxWidth": 320});
                        layer.bindTooltip(function () { return tooltip(feature.properties); }, {"sticky": true});
                    }
                };
            }
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves __init__ unannotated
        self._name = "PointScript"


class PointLayer(TextMacroElement):
    """A GeoJSON FeatureCollection of points drawn by tgplPoints(spec) into its parent layer (one line each)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJson(
                {{ this.data }},
                tgplPoints({{ this.spec }})
            ).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict[str, Any]], spec: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves __init__ unannotated
        self._name = "PointLayer"
        self.data = script_json({"type": "FeatureCollection", "features": features})
        self.spec = script_json(spec)


def village_layer(villages: list[tuple[PlaceRow, float, float]], lang: str) -> PointLayer:
    """Villages filled by whether they were reached in the period, each with its name and figures."""
    words = labels(lang)
    features = [
        point(
            lat, lon, name=row.name, state="reached" if row.reached else "not_reached", values=place_values(row, lang)
        )
        for row, lat, lon in villages
    ]
    spec = {
        "kind": words["village"],
        "labels": field_labels(PLACE_FIELDS, lang),
        "tooltip": "place",
        "fills": {"reached": VILLAGE_REACHED, "not_reached": VILLAGE_NOT_REACHED},
        "mark": VILLAGE_MARK,
    }
    return PointLayer(features, spec)


def session_layer(sessions: list[SessionPoint], lang: str) -> PointLayer:
    """Session GPS points, each with its date, participants and record number."""
    words = labels(lang)
    features = [point(p.lat, p.lon, state="session", values=session_values(p, lang)) for p in sessions]
    spec = {
        "title": words["session"],
        "kind": "",
        "labels": field_labels(SESSION_FIELDS, lang),
        "tooltip": "session",
        "fills": {"session": SESSION_COLOUR},
        "mark": SESSION_MARK,
    }
    return PointLayer(features, spec)


def _reached(row: PlaceRow) -> str:
    """A village's state on the map: reached in the period or not."""
    return "reached" if row.reached else "not_reached"


def point(lat: float, lon: float, **properties: Any) -> dict[str, Any]:
    """A GeoJSON point feature, its position rounded to DECIMALS."""
    position = [round(lon, DECIMALS), round(lat, DECIMALS)]  # GeoJSON positions are (lon, lat)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": position}, "properties": properties}


def script_json(value: Any) -> str:
    """Compact UTF-8 JSON that is safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for character, escaped in _SCRIPT_SAFE:  # str.replace: a translate table is ten times slower on megabytes
        text = text.replace(character, escaped)
    return text
