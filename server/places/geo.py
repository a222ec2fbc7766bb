"""Boundaries of official units (from a user-supplied GeoJSON) and the check of a GPS point against a place."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from geopy.distance import geodesic
from sqlmodel import Session, select

from server.core.errors import BadRequest
from server.core.models import Place, Village
from server.places.boundaries import covers, geometry_of
from server.places.villages import place_unassigned


@dataclass
class BoundaryReport:
    """What a boundary import matched."""

    matched: int = 0
    unmatched: list[str] = field(default_factory=list)  # codes in the file with no loaded unit
    invalid: list[str] = field(default_factory=list)  # features whose geometry is missing or not a polygon
    villages_placed: list[str] = field(default_factory=list)  # villages given their old commune by these boundaries


def load_boundaries(*, session: Session, geojson: str, scheme: str, code_property: str = "code") -> BoundaryReport:
    """Attach polygons to the loaded units of a scheme, matching the feature property code_property to unit codes."""
    try:
        collection: dict[str, Any] = json.loads(geojson)
        features = collection["features"]
    except (ValueError, KeyError, TypeError) as error:
        raise BadRequest("Tệp không phải GeoJSON FeatureCollection.", "Not a GeoJSON FeatureCollection.") from error
    places = {p.code: p for p in session.exec(select(Place).where(Place.scheme == scheme)).all()}
    report = BoundaryReport()
    for number, feature in enumerate(features, start=1):
        code = str((feature.get("properties") or {}).get(code_property, "")).strip()
        label = code or f"#{number}"
        try:
            geometry = geometry_of(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError):
            report.invalid.append(label)
            continue
        if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty or not geometry.is_valid:
            report.invalid.append(label)
            continue
        place = places.get(code)
        if place is None:
            report.unmatched.append(label)
            continue
        place.boundary = json.dumps(feature["geometry"], separators=(",", ":"))
        session.add(place)
        report.matched += 1
    session.commit()
    if scheme == "old" and report.matched:
        report.villages_placed = place_unassigned(session, actor="boundaries")
    return report


@dataclass(frozen=True, slots=True)
class PointCheck:
    """How a GPS point relates to the place it was declared at."""

    commune_distance_m: float | None  # to the commune's point
    inside_commune: bool | None  # None when no boundary is loaded
    village_distance_m: float | None  # to the village's point, when it has one


def check_point(
    session: Session, *, lat: float, lon: float, commune: Place, village: Village | None = None
) -> PointCheck:
    """Distances from a point to its declared commune and village, and whether it lies inside the commune."""
    inside = None
    if commune.boundary:
        inside = covers(commune.boundary, lat, lon)
    return PointCheck(
        commune_distance_m=_distance(lat, lon, commune.lat, commune.lon),
        inside_commune=inside,
        village_distance_m=_distance(lat, lon, village.lat, village.lon) if village else None,
    )


def _distance(lat: float, lon: float, other_lat: float | None, other_lon: float | None) -> float | None:
    if other_lat is None or other_lon is None:
        return None
    return float(geodesic((lat, lon), (other_lat, other_lon)).meters)
