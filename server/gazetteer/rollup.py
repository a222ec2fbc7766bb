"""Where a record counts: its 2025 commune, and through its village (or an unambiguous commune) the pre-2025
commune and district, so coverage works in both structures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from server.models import Place, PlaceSuccessor, Village


@dataclass(frozen=True, slots=True)
class PlaceCodes:
    """The codes a record is counted under; None where the structure cannot tell."""

    commune_code: str | None
    old_commune_code: str | None
    old_district_code: str | None
    village_code: str | None


def place_codes(session: Session, *, commune_code: str | None, village: Village | None) -> PlaceCodes:
    """Codes for a record made in a 2025 commune, at a village of the registry (or none)."""
    commune_code = village.commune_code if village is not None else commune_code
    if commune_code is None:
        return PlaceCodes(None, None, None, None)
    old_commune = village.old_commune_code if village is not None else None
    predecessors = session.exec(select(PlaceSuccessor.old_code).where(PlaceSuccessor.new_code == commune_code)).all()
    if old_commune is None and len(predecessors) == 1:
        old_commune = predecessors[0]
    district = None
    if old_commune is not None:
        district = session.exec(
            select(Place.parent_code).where(Place.scheme == "old", Place.level == "commune", Place.code == old_commune)
        ).first()
    else:
        districts = set(
            session.exec(
                select(Place.parent_code).where(
                    Place.scheme == "old", Place.level == "commune", col(Place.code).in_(predecessors)
                )
            ).all()
        )
        district = districts.pop() if len(districts) == 1 else None  # all predecessors were in one district
    return PlaceCodes(commune_code, old_commune, district, village.code if village is not None else None)
