"""The Leaflet files a map needs, taken from the XStatic packages, so maps open on a closed network."""

from __future__ import annotations

import importlib
from pathlib import Path

DEFAULT_BASE = "/static/map"

# name under the mount point → (XStatic package, file inside its data dir); the names keep Leaflet's own layout so
# leaflet.css finds its images at images/… relative to itself.
_FILES = {
    "leaflet.css": ("xstatic.pkg.leaflet", "leaflet.css"),
    "leaflet.js": ("xstatic.pkg.leaflet", "leaflet.js"),
    "images/layers.png": ("xstatic.pkg.leaflet", "images/layers.png"),
    "images/layers-2x.png": ("xstatic.pkg.leaflet", "images/layers-2x.png"),
    "images/marker-icon.png": ("xstatic.pkg.leaflet", "images/marker-icon.png"),
    "images/marker-icon-2x.png": ("xstatic.pkg.leaflet", "images/marker-icon-2x.png"),
    "images/marker-shadow.png": ("xstatic.pkg.leaflet", "images/marker-shadow.png"),
    "MarkerCluster.css": ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"),
    "MarkerCluster.Default.css": ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.Default.css"),
    "leaflet.markercluster.js": ("xstatic.pkg.leaflet_markercluster", "leaflet.markercluster.js"),
}

# What a map page links, in load order (Leaflet before its plugin).
STYLESHEETS = ("leaflet.css", "MarkerCluster.css", "MarkerCluster.Default.css")
SCRIPTS = ("leaflet.js", "leaflet.markercluster.js")


def asset_files() -> dict[str, Path]:
    """Every file to serve under the map mount point: its name (URL path below the prefix) → its path on disk."""
    return {name: _data_dir(package) / inner for name, (package, inner) in _FILES.items()}


def asset_urls(base: str = DEFAULT_BASE) -> dict[str, str]:
    """The URL of each asset when asset_files() are mounted at base (e.g. /static/map)."""
    prefix = base.rstrip("/")
    return {name: f"{prefix}/{name}" for name in _FILES}


def _data_dir(package: str) -> Path:
    """The data directory of an XStatic package (its standard BASE_DIR attribute)."""
    return Path(importlib.import_module(package).BASE_DIR)
