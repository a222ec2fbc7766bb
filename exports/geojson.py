"""GeoJSON of villages and of session points, from coverage rows (opens in QGIS; coordinates are lon, lat)."""

from __future__ import annotations

from typing import Any

from server.places.coverage import Coverage


def villages_geojson(cov: Coverage) -> dict[str, Any]:
    """The villages that have a point, with their codes, names, status and counts for the period."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
            "properties": {
                "code": row.code,
                "name": row.name,
                "commune": row.parent_code,
                "status": row.status,
                "sessions": row.counts.sessions,
                "participants": row.counts.participants,
                "last_session": row.last_session.isoformat() if row.last_session else None,
                "reached": row.reached,
            },
        }
        for row in cov.villages
        if row.lat is not None and row.lon is not None
    ]
    return _collection(cov, features)


def sessions_geojson(cov: Coverage) -> dict[str, Any]:
    """The sessions of the period that have a GPS point (none in a viewer's coverage)."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
            "properties": {
                "submission": point.submission_id,
                "date": point.session_date.isoformat() if point.session_date else None,
                "commune": point.commune_code,
                "village": point.village_code,
                "participants": point.participants,
            },
        }
        for point in cov.sessions
    ]
    return _collection(cov, features)


def _collection(cov: Coverage, features: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "name": f"tgpl {cov.start.isoformat()} {cov.end.isoformat()}",
        "features": features,
    }
