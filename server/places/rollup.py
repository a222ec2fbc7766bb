"""Where a record counts: its 2025 commune, and through its village (or an unambiguous commune) the pre-2025
commune and district, so coverage works in both structures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from server.core.models import Place, PlaceSuccessor, Village


@dataclass(frozen=True, slots=True)
class PlaceCodes:
    """The codes a record is counted under; None where the structure cannot tell."""

    commune_code: str | None
    old_commune_code: str | None
    old_district_code: str | None
    village_code: str | None


# Built once, run for every submission: the 2025 commune's predecessors, each with its old district.
_OLD_COMMUNE = aliased(Place)
PREDECESSORS = (
    select(PlaceSuccessor.old_code, _OLD_COMMUNE.parent_code)
    .outerjoin(
        _OLD_COMMUNE,
        and_(
            col(_OLD_COMMUNE.scheme) == "old",
            col(_OLD_COMMUNE.level) == "commune",
            col(_OLD_COMMUNE.code) == PlaceSuccessor.old_code,
        ),
    )
    .where(PlaceSuccessor.new_code == bindparam("commune"))
)


def place_codes(session: Session, *, commune_code: str | None, village: Village | None) -> PlaceCodes:
    """Codes for a record made in a 2025 commune, at a village of the registry (or none)."""
    commune_code = village.commune_code if village is not None else commune_code
    if commune_code is None:
        return PlaceCodes(None, None, None, None)
    predecessors = dict(session.exec(PREDECESSORS, params={"commune": commune_code}).all())
    old_code, district = old_codes(session, predecessors, village.old_commune_code if village is not None else None)
    return PlaceCodes(commune_code, old_code, district, village.code if village is not None else None)


def old_codes(
    session: Session, predecessors: dict[str, str | None], old_code: str | None
) -> tuple[str | None, str | None]:
    """The pre-2025 commune and district of a place in a 2025 commune, given that commune's predecessors (old
    commune → its district) and the old commune the place is known to be in, if any: the only predecessor when there
    is one, and the only district when all predecessors were in one."""
    if old_code is None and len(predecessors) == 1:
        old_code = next(iter(predecessors))
    if old_code is not None:
        return old_code, predecessors[old_code] if old_code in predecessors else old_district(session, old_code)
    districts = set(predecessors.values())
    return None, districts.pop() if len(districts) == 1 else None


def old_district(session: Session, old_commune_code: str) -> str | None:
    """The district of a pre-2025 commune."""
    return session.exec(
        select(Place.parent_code).where(Place.scheme == "old", Place.level == "commune", Place.code == old_commune_code)
    ).first()
