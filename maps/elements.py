"""Small folium elements that write their text as escaped JSON (no jQuery, no template literals).

branca places what a MacroElement renders into the page as a new Element built from that text, which compiles it as
a Jinja template a second time: a village called "{{ cycler.__init__.__globals__.os.system('…') }}" would run on the
server. Every element here is a TextMacroElement, whose output goes into the page as it is; it is also much faster
for the megabytes of a province's villages.
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure, MacroElement
from folium.template import Template


class Text(Element):
    """Text that goes into the page as it is, never read as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """The text itself."""
        return self.text


class TextMacroElement(MacroElement):
    """A MacroElement whose header, html and script macros go into the page as text, not as new templates."""

    def render(self, **kwargs: Any) -> str:
        """Add this element's parts to its figure and render its children (the parts are the output: none here)."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "an element is rendered inside a Figure"
        module = self._template.module
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = getattr(module, part, None)
            if macro is not None:
                target.add_child(Text(str(macro(self, kwargs))), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)
        return ""


class BoundPopup(TextMacroElement):
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


class BoundTooltip(TextMacroElement):
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


class Stylesheet(TextMacroElement):
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


class FitView(TextMacroElement):
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
