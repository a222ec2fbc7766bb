"""Boundaries from a GeoJSON file, and a GPS point checked against its declared commune and village."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from server.core.errors import BadRequest
from server.core.models import Place
from server.places import villages as registry
from server.places.geo import check_point, load_boundaries


def square(code: str, lon: float, lat: float, half: float) -> dict[str, object]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Feature", "properties": {"code": code}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def commune(session: Session, code: str) -> Place:
    return session.exec(select(Place).where(Place.scheme == "new", Place.level == "commune", Place.code == code)).one()


def test_boundaries_attach_by_code_and_report_what_did_not_match(backan: Session) -> None:
    features = [
        square("01864", 105.67, 22.66, 0.05),
        square("99999", 105.0, 22.0, 0.01),
        {"type": "Feature", "properties": {"code": "01957"}, "geometry": {"type": "Point", "coordinates": [105, 22]}},
    ]
    report = load_boundaries(
        session=backan, geojson=json.dumps({"type": "FeatureCollection", "features": features}), scheme="new"
    )
    assert (report.matched, report.unmatched, report.invalid) == (1, ["99999"], ["01957"])
    assert json.loads(commune(backan, "01864").boundary)["type"] == "Polygon"
    with pytest.raises(BadRequest):
        load_boundaries(session=backan, geojson="[1, 2]", scheme="new")


def test_point_inside_or_outside_its_commune_and_distance_to_its_village(backan: Session) -> None:
    bang_thanh = commune(backan, "01864")
    village = registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài", lat=22.66, lon=105.67)
    no_boundary = check_point(backan, lat=22.661, lon=105.67, commune=bang_thanh, village=village)
    assert no_boundary.inside_commune is None
    assert 105 < no_boundary.village_distance_m < 118  # 0.001° of latitude ≈ 111 m
    assert no_boundary.commune_distance_m is not None
    doc = {"type": "FeatureCollection", "features": [square("01864", 105.67, 22.66, 0.05)]}
    load_boundaries(session=backan, geojson=json.dumps(doc), scheme="new")
    bang_thanh = commune(backan, "01864")
    assert check_point(backan, lat=22.661, lon=105.67, commune=bang_thanh).inside_commune is True
    far = check_point(backan, lat=21.59, lon=105.85, commune=bang_thanh, village=village)  # Thái Nguyên city
    assert far.inside_commune is False
    assert far.village_distance_m > 100_000
