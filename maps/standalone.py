"""The coverage map as one self-contained HTML file (scripts, styles and images inlined) to open offline or e-mail."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from branca.element import Element

from maps.assets import SCRIPTS, STYLESHEETS, asset_files
from maps.coverage_map import draw_map, figure_of
from server.places.coverage import Coverage

_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)


class _Inline(Element):
    """A <script> or <style> element with its text written as is."""

    def __init__(self, tag: str, text: str) -> None:
        super().__init__()
        self.tag = tag
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """The element's HTML."""
        return f"<{self.tag}>{self.text}</{self.tag}>"


def standalone_html(cov: Coverage, *, lang: str = "vi") -> str:
    """The coverage map as one HTML file that needs the internet only for its base tiles."""
    fmap = draw_map(cov, lang=lang)
    files = asset_files()
    header = figure_of(fmap).header
    for name in STYLESHEETS:
        header.add_child(_Inline("style", inline_css(files[name].read_text("utf-8"), files)), name=f"tgpl_{name}")
    for name in SCRIPTS:
        header.add_child(_Inline("script", inline_js(files[name].read_text("utf-8"))), name=f"tgpl_{name}")
    return str(figure_of(fmap).render())


def inline_css(css: str, files: dict[str, Path]) -> str:
    """A stylesheet with its images/… URLs replaced by data: URIs."""

    def data_uri(match: re.Match[str]) -> str:
        png = base64.b64encode(files[match.group(2)].read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{png})"

    return _CSS_URL.sub(data_uri, css)


def inline_js(js: str) -> str:
    """A script safe inside <script>: no source-map fetch, no early </script>."""
    return re.sub(r"</(script)", r"<\\/\1", _SOURCE_MAP.sub("", js), flags=re.IGNORECASE)
