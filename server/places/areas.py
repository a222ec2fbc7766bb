"""Who may see which record: an area is (structure, level, code), and a record lies inside it when the record's own
code in that structure and level does. The one rule every route applies to submissions, attachments, exports, maps,
the API and villages.

An old-structure area is never widened through 2025 communes: 2025 commune 01933 took old communes of Ba Bể and of
Chợ Đồn, so "every 2025 commune touching Ba Bể" would show Chợ Đồn's records to Ba Bể. A record whose old commune
is unknown lies in no old area below the province."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from server.core.errors import Forbidden, NotFound
from server.core.models import PersonFact, Place, PlaceSuccessor, SessionFact, Village, WebUser
from server.places import villages as registry
from server.places.rollup import old_codes

COLUMNS = {("new", "commune"): "commune_code", ("old", "commune"): "old_commune_code",
           ("old", "district"): "old_district_code"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Area:
    """A unit of one structure that a user is limited to: 'old' (pre-2025) or 'new' (2025)."""

    scheme: str
    level: str  # province | district | commune
    code: str


@dataclass(frozen=True, slots=True)
class RecordPlace:
    """Where a record (or a village) lies, in both structures; None where it is not known."""

    commune_code: str | None  # 2025 commune
    old_commune_code: str | None
    old_district_code: str | None


@dataclass(frozen=True, slots=True)
class Reach:
    """The records inside an area: those whose code in the area's own structure and level is one of `codes`.

    For a whole old province, records of its 2025 communes whose old commune is unknown are inside too
    (`unknown_old`): they are the province's, only their old commune cannot be told."""

    column: str  # commune_code | old_commune_code | old_district_code
    codes: frozenset[str]
    unknown_old: frozenset[str] = frozenset()

    def admits(self, place: RecordPlace | None) -> bool:
        """Whether a record at this place lies inside the area (a record with no place lies in none)."""
        if place is None:
            return False
        value = getattr(place, self.column)
        if value is not None:
            return value in self.codes
        return place.old_commune_code is None and place.commune_code in self.unknown_old


def user_area(session: Session, user: WebUser) -> Area | None:
    """The area a user is limited to, or None for a user who sees every area."""
    if user.area_scheme is None or user.area_code is None:
        return None
    return area_of(session, user.area_scheme, user.area_code)


def area_of(session: Session, scheme: str, code: str) -> Area:
    """The area of a loaded unit of a structure, by its code (NotFound when no such unit is loaded)."""
    level = session.exec(select(Place.level).where(Place.scheme == scheme, Place.code == code)).first()
    if level is None:
        raise NotFound(
            f"Không có địa bàn mã {code} ({scheme}).", f"No area with code {code} in the {scheme} structure."
        )
    return Area(scheme, level, code)


def area_reach(session: Session, area: Area) -> Reach:
    """The records inside an area."""
    column = COLUMNS.get((area.scheme, area.level))
    if column is not None:
        return Reach(column, frozenset({area.code}))
    if area.scheme == "new":  # a 2025 province: its communes
        communes = session.exec(
            select(Place.code).where(Place.scheme == "new", Place.level == "commune", Place.province_code == area.code)
        ).all()
        return Reach("commune_code", frozenset(communes))
    districts = session.exec(
        select(Place.code).where(Place.scheme == "old", Place.level == "district", Place.province_code == area.code)
    ).all()
    old_communes = select(Place.code).where(Place.scheme == "old", Place.level == "commune",
                                            Place.province_code == area.code)  # fmt: skip
    successors = session.exec(
        select(PlaceSuccessor.new_code).where(col(PlaceSuccessor.old_code).in_(old_communes))
    ).all()
    return Reach("old_district_code", frozenset(districts), frozenset(successors))


def user_reach(session: Session, user: WebUser) -> Reach | None:
    """The records a user may see, or None for every record."""
    area = user_area(session, user)
    return area_reach(session, area) if area is not None else None


def may_see(session: Session, user: WebUser, place: RecordPlace | None) -> bool:
    """Whether a user may see a record (or village) at this place: the one access rule."""
    reach = user_reach(session, user)
    return reach is None or reach.admits(place)


def record_event(session: Session, submission_id: int) -> tuple[date | None, RecordPlace | None]:
    """A submission's event date and place, from its facts (none for forms without facts: only unlimited users see
    those)."""
    session_fact = session.get(SessionFact, submission_id)
    if session_fact is not None:
        return session_fact.session_date, _fact_place(session_fact)
    person = session.get(PersonFact, submission_id)
    return (person.intake_date, _fact_place(person)) if person is not None else (None, None)


def _fact_place(fact: SessionFact | PersonFact) -> RecordPlace:
    return RecordPlace(fact.commune_code, fact.old_commune_code, fact.old_district_code)


def record_place(session: Session, submission_id: int) -> RecordPlace | None:
    """Where a submission lies (None for forms without facts)."""
    return record_event(session, submission_id)[1]


def require_record(session: Session, user: WebUser, submission_id: int) -> None:
    """Refuse a submission outside the user's area."""
    if not may_see(session, user, record_place(session, submission_id)):
        raise Forbidden("Phiếu này nằm ngoài địa bàn của bạn.", "This submission is outside your area.")


def village_places(session: Session, villages: Sequence[Village]) -> dict[str, RecordPlace]:
    """Each village's place, by village code, told as for a record made there (server.places.rollup.old_codes), the
    predecessors of all their 2025 communes read in one query."""
    communes = {v.commune_code for v in villages}
    old_commune = aliased(Place)
    query = (
        select(PlaceSuccessor.new_code, PlaceSuccessor.old_code, old_commune.parent_code)
        .join(old_commune, col(old_commune.code) == col(PlaceSuccessor.old_code))
        .where(col(old_commune.scheme) == "old", col(old_commune.level) == "commune",
               col(PlaceSuccessor.new_code).in_(communes))
    )  # fmt: skip
    predecessors: dict[str, dict[str, str | None]] = {}
    for new_code, old_code, district in session.exec(query).all():
        predecessors.setdefault(new_code, {})[old_code] = district
    places = {}
    for village in villages:
        known = predecessors.get(village.commune_code, {})
        places[village.code] = RecordPlace(village.commune_code, *old_codes(session, known, village.old_commune_code))
    return places


def visible_villages(session: Session, user: WebUser, status: str | None = None) -> list[Village]:
    """The villages of the user's area."""
    villages = registry.list_villages(session, status=status)
    reach = user_reach(session, user)
    if reach is None:
        return list(villages)
    places = village_places(session, villages)
    return [v for v in villages if reach.admits(places[v.code])]


def require_village(session: Session, user: WebUser, ref: str) -> Village:
    """A village of the user's area (read or changed), or Forbidden."""
    village = registry.get_village(session, ref)
    if not may_see(session, user, village_places(session, [village])[village.code]):
        raise Forbidden("Thôn này nằm ngoài địa bàn của bạn.", "This village is outside your area.")
    return village


def area_within(session: Session, user: WebUser, scheme: str, code: str | None) -> bool:
    """Whether an area asked for (a unit of a structure, or the whole structure when code is None) lies inside the
    user's area: the user's own unit or one below it, in the same structure."""
    area = user_area(session, user)
    if area is None:
        return True
    if code is None or scheme != area.scheme:
        return False
    if code == area.code:
        return True
    unit = session.exec(select(Place).where(Place.scheme == scheme, Place.code == code)).first()
    if unit is None:
        return False
    return (area.level == "district" and unit.parent_code == area.code) or (
        area.level == "province" and unit.province_code == area.code and unit.level != "province"
    )
