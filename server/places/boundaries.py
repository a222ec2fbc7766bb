"""Boundaries as geometries: a GeoJSON geometry checked, and whether a stored boundary covers a point.

shapely is imported on first use, not with the module: it loads numpy, about half a second that every `tgpl`
command would otherwise pay. A stored boundary is parsed once per text (a phone's proposal, a GPS check and the
placing of villages all ask the same few communes)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


def geometry_of(geojson: Any) -> BaseGeometry:
    """A GeoJSON geometry (a mapping) as a shapely geometry; ValueError, KeyError, TypeError or AttributeError when
    it is not one."""
    from shapely.geometry import shape

    return shape(geojson)


@lru_cache(maxsize=512)
def _stored(boundary: str) -> BaseGeometry:
    return geometry_of(json.loads(boundary))


def covers(boundary: str, lat: float, lon: float) -> bool:
    """Whether a stored boundary (GeoJSON text, as Place.boundary holds it) covers the point, edges included."""
    from shapely.geometry import Point

    return bool(_stored(boundary).covers(Point(lon, lat)))
