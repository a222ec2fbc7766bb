"""The HTML document a coverage map is drawn in, made to run under a strict Content-Security-Policy.

branca's Figure writes the map's script in a bare `<script>`, and folium's Map adds another to the page header. Here
the Figure's one script carries the response's nonce, and the Map leaves its header script out. Only these two
templates, tgpl's own, write the nonce: a script that found its way into the page by any other road has none, and
the browser refuses it. Without a nonce (the standalone file, which has no policy) the script is a plain `<script>`.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Figure
from jinja2 import Template

from maps.elements import Text


class MapFigure(Figure):
    """An HTML page holding one map, its script marked with a nonce when one is given, its title escaped."""

    _template = Template(
        "<!DOCTYPE html>\n"
        "<html>\n"
        "<head>\n"
        "{% if this.title %}<title>{{ this.title|e }}</title>{% endif %}"
        "    {{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        "<body>\n"
        "    {{ this.html.render(**kwargs) }}\n"
        "</body>\n"
        '<script{% if this.nonce %} nonce="{{ this.nonce|e }}"{% endif %}>\n'
        "    {{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        "</html>\n"
    )

    def __init__(self, nonce: str | None = None) -> None:
        super().__init__()
        self.nonce = nonce


class Map(folium.Map):
    """folium's Map in a MapFigure, with its header's styles but not its header's inline script.

    That script sets Leaflet's L_NO_TOUCH and L_DISABLE_3D globals; false, as tgpl always leaves them, is what Leaflet
    assumes when they are absent, so leaving it out changes nothing."""

    _header = Template(
        """
        {% macro header(this, kwargs) %}
            <meta name="viewport" content="width=device-width,
                initial-scale=1.0, maximum-scale=1.0, user-scalable=no" />
            <style>
                #{{ this.get_name() }} {
                    position: {{ this.position }};
                    width: {{ this.width[0] }}{{ this.width[1] }};
                    height: {{ this.height[0] }}{{ this.height[1] }};
                    left: {{ this.left[0] }}{{ this.left[1] }};
                    top: {{ this.top[0] }}{{ this.top[1] }};
                }
                .leaflet-container { font-size: {{ this.font_size }}; }
                html, body { width: 100%; height: 100%; margin: 0; padding: 0; }
                #map { position: absolute; top: 0; bottom: 0; right: 0; left: 0; }
            </style>
        {% endmacro %}
        """
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.global_switches.no_touch or self.global_switches.disable_3d:
            raise ValueError("no_touch and disable_3d need folium's inline script, which this map leaves out")
        MapFigure().add_child(self)  # instead of the plain Figure folium made

    def render(self, **kwargs: Any) -> str:
        """Render as folium does, then put the header without its script in place of folium's (the parts are the
        output: none here)."""
        super().render(**kwargs)  # type: ignore[no-untyped-call]  # folium leaves render unannotated
        figure = self.get_root()
        assert isinstance(figure, Figure), "a map is rendered inside a Figure"
        header = self._header.module.header(self, kwargs)  # type: ignore[attr-defined]
        figure.header.add_child(Text(str(header)), name=self.get_name())
        return ""
