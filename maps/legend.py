"""The map legend: a Leaflet control listing the recency colours, village marks and session points."""

from __future__ import annotations

from html import escape

from folium.template import Template

from maps.elements import TextMacroElement
from maps.style import RECENCY_COLOURS, SESSION_COLOUR, VILLAGE_BORDER, VILLAGE_NOT_REACHED, VILLAGE_REACHED
from server.places.counts import Counts


class Legend(TextMacroElement):
    """A legend box in the bottom-right corner of its map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({"position": "bottomright"});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "tgpl-legend");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, *, title: str, words: dict[str, str], recent_days: int, unknown_old: Counts | None = None
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves __init__ unannotated
        self._name = "Legend"
        rows = [_row(colour, words[key].format(days=recent_days), dot=False) for key, colour in RECENCY_COLOURS.items()]
        rows += [
            _row(VILLAGE_REACHED, words["village_reached"], dot=True, border=VILLAGE_BORDER),
            _row(VILLAGE_NOT_REACHED, words["village_not_reached"], dot=True, border=VILLAGE_BORDER),
            _row(SESSION_COLOUR, words["session_point"], dot=True),
        ]
        if unknown_old is not None and unknown_old.sessions:  # drawn nowhere: said, so the map adds up
            text = words["unknown_old"].format(sessions=unknown_old.sessions, participants=unknown_old.participants)
            rows.append(f"<div>{escape(text)}</div>")
        self.html = f"<h4>{escape(title)}</h4><div><b>{escape(words['legend'])}</b></div>" + "".join(rows)


def _row(colour: str, text: str, *, dot: bool, border: str = "#333") -> str:
    """One legend line: a swatch (a square for communes, a dot for points) and its meaning."""
    shape = ' class="dot"' if dot else ""
    return f'<div><i{shape} style="background:{colour};border-color:{border}"></i>{escape(text)}</div>'
