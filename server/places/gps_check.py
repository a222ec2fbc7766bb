"""The GPS check: a session's point against its declared village and commune; far ones need review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from server.core.models import Place, SessionFact, Village
from server.places.geo import check_point

VILLAGE_LIMIT_M = 3_000.0  # a session held this far from its village's point is suspicious
COMMUNE_LIMIT_M = 15_000.0  # used when no boundary is loaded: distance to the commune's (approximate) point


@dataclass(frozen=True, slots=True)
class GpsFlag:
    """A session whose point does not fit the place it declares."""

    submission_id: int
    session_date: date | None
    commune_code: str | None
    old_commune_code: str | None
    old_district_code: str | None
    village_code: str | None
    village_distance_m: float | None
    commune_distance_m: float | None
    inside_commune: bool | None
    reasons: tuple[str, ...]  # far_from_village | outside_commune | far_from_commune


def gps_flags(
    session: Session,
    *,
    start: date,
    end: date,
    village_limit_m: float = VILLAGE_LIMIT_M,
    commune_limit_m: float = COMMUNE_LIMIT_M,
) -> list[GpsFlag]:
    """Sessions of the period whose GPS point is far from their village or outside (or far from) their commune."""
    facts = session.exec(
        select(SessionFact).where(
            col(SessionFact.session_date) >= start,
            col(SessionFact.session_date) <= end,
            col(SessionFact.lat).is_not(None),
        )
    ).all()
    communes = {
        p.code: p for p in session.exec(select(Place).where(Place.scheme == "new", Place.level == "commune")).all()
    }
    villages = {v.code: v for v in session.exec(select(Village)).all()}
    flags = []
    for fact in facts:
        commune = communes.get(fact.commune_code or "")
        if commune is None or fact.lat is None or fact.lon is None:
            continue
        village = villages.get(fact.village_code or "")
        check = check_point(session, lat=fact.lat, lon=fact.lon, commune=commune, village=village)
        reasons = []
        if check.village_distance_m is not None and check.village_distance_m > village_limit_m:
            reasons.append("far_from_village")
        if check.inside_commune is False:
            reasons.append("outside_commune")
        elif check.inside_commune is None and (check.commune_distance_m or 0) > commune_limit_m:
            reasons.append("far_from_commune")
        if reasons:
            flags.append(
                GpsFlag(
                    fact.submission_id,
                    fact.session_date,
                    fact.commune_code,
                    fact.old_commune_code,
                    fact.old_district_code,
                    fact.village_code,
                    check.village_distance_m,
                    check.commune_distance_m,
                    check.inside_commune,
                    tuple(reasons),
                )
            )
    return sorted(flags, key=lambda f: (f.session_date or date.min, f.submission_id))
