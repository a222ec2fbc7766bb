"""Small folium elements that write their text as escaped JSON (no jQuery, no template literals)."""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template


class BoundPopup(MacroElement):
    """A popup of HTML bound to its parent layer (folium's Popup needs jQuery, which tgpl does not serve)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {"maxWidth": 320});
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves __init__ unannotated
        self._name = "BoundPopup"
        self.html = html


class BoundTooltip(MacroElement):
    """A tooltip of HTML bound to its parent layer, following the pointer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.html|tojson }}, {"sticky": true});
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves __init__ unannotated
        self._name = "BoundTooltip"
        self.html = html


class Stylesheet(MacroElement):
    """A <style> block in the page header."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        """
    )

    def __init__(self, css: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves __init__ unannotated
        self._name = "Stylesheet"
        self.css = css


class FitView(MacroElement):
    """The map's first view around some bounds, set at once (no animation), before any layer is added."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds(
                {{ this.bounds|tojson }}, {"padding": [24, 24], "maxZoom": 14, "animate": false}
            );
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves __init__ unannotated
        self._name = "FitView"
        self.bounds = bounds
