"""Fact rows written with each submission of the legal-aid forms: what coverage and reports count.

They are written in the submission's own transaction and rewritten on every edit, so they always describe the
current version. A "village not in the list" answer becomes a village proposal for coordinators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from xml.etree.ElementTree import Element

from sqlalchemy import Table, bindparam, delete, insert
from sqlmodel import Session, col, select

from server.core.errors import TgplError
from server.core.models import PersonCategory, PersonFact, SessionFact, Village
from server.places.media import NOT_LISTED
from server.places.rollup import PlaceCodes, place_codes
from server.places.villages import add_village, old_commune_at
from server.submissions.instance import field_text

SESSION_FORM = "tgpl_session"
PERSON_FORM = "tgpl_person"


@dataclass(frozen=True, slots=True)
class Owner:
    """The submission version whose facts are written."""

    submission_id: int
    submission_def_id: int
    app_user_id: int | None
    instance_id: str  # the submission's first instanceID: a village proposal's reference


def record_facts(*, session: Session, xml_form_id: str, owner: Owner, root: Element, new: bool) -> None:
    """Write (or, for an edit, rewrite) the fact rows of a submission's current version; other forms have none.

    Plain INSERTs in the caller's transaction: this runs for every submission received, so it costs a few statements,
    not an ORM flush."""
    if xml_form_id == SESSION_FORM:
        _session_fact(session, owner, root, new=new)
    elif xml_form_id == PERSON_FORM:
        _person_fact(session, owner, root, new=new)


SESSION_FACT: Table = SessionFact.__table__  # type: ignore[attr-defined]
PERSON_FACT: Table = PersonFact.__table__  # type: ignore[attr-defined]
PERSON_CATEGORY: Table = PersonCategory.__table__  # type: ignore[attr-defined]
SESSION_COUNTS = (
    "participants_total",
    "participants_women",
    "participants_ethnic",
    "leaflets",
    "questions_total",
    "requests_received",
    "requests_accepted",
    "referrals",
)


def _session_fact(session: Session, owner: Owner, root: Element, *, new: bool) -> None:
    lat, lon, accuracy = _geopoint(field_text(root, "gps"))
    place = _place(session, owner, root, new=new)
    values: dict[str, object] = {
        "submission_id": owner.submission_id,
        "submission_def_id": owner.submission_def_id,
        "app_user_id": owner.app_user_id,
        "session_date": _date(field_text(root, "session_date")),
        "session_type": field_text(root, "session_type"),
        "evening": _yes(field_text(root, "evening")),
        **_place_values(place),
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy,
    }
    values.update((name, _int(field_text(root, name))) for name in SESSION_COUNTS)
    connection = session.connection()
    if not new:
        connection.execute(delete(SESSION_FACT).where(SESSION_FACT.c.submission_id == owner.submission_id))
    connection.execute(insert(SESSION_FACT), values)


def _person_fact(session: Session, owner: Owner, root: Element, *, new: bool) -> None:
    age = _int(field_text(root, "age_years"))
    # A child's record needs the guardian's consent as well as the child's.
    consent = field_text(root, "consent") == "dong_y" and (
        age is None or age >= 16 or field_text(root, "guardian_consent") == "dong_y"
    )
    place = _place(session, owner, root, new=new)
    # After a refusal the form hides everything else; whatever was sent, only the anonymous tally is kept.
    keep = consent
    values: dict[str, object] = {
        "submission_id": owner.submission_id,
        "submission_def_id": owner.submission_def_id,
        "app_user_id": owner.app_user_id,
        "intake_date": _date(field_text(root, "intake_date")),
        "consent": consent,
        "sex": field_text(root, "sex") if keep else None,
        "age_years": age if keep else None,
        "accepted": _yes(field_text(root, "accepted")) if keep else None,
        **_place_values(place),
    }
    for name, column in (
        ("ethnicity", "ethnicity"),
        ("hardship", "hardship"),
        ("field", "field_of_law"),
        ("aid_form", "aid_form"),
        ("provider_role", "provider_role"),
    ):
        values[column] = field_text(root, name) if keep else None
    connection = session.connection()
    if not new:
        connection.execute(delete(PERSON_CATEGORY).where(PERSON_CATEGORY.c.submission_id == owner.submission_id))
        connection.execute(delete(PERSON_FACT).where(PERSON_FACT.c.submission_id == owner.submission_id))
    connection.execute(insert(PERSON_FACT), values)
    categories = (field_text(root, "art7") or "").split() if keep else []
    if categories:
        rows = [{"submission_id": owner.submission_id, "category": c} for c in dict.fromkeys(categories)]
        connection.execute(insert(PERSON_CATEGORY), rows)


def _place_values(place: PlaceCodes) -> dict[str, object]:
    return {
        "commune_code": place.commune_code,
        "old_commune_code": place.old_commune_code,
        "old_district_code": place.old_district_code,
        "village_code": place.village_code,
    }


VILLAGE_BY_CODE = select(Village).where(col(Village.code) == bindparam("code"))  # built once: most sessions name one


def _place(session: Session, owner: Owner, root: Element, *, new: bool) -> PlaceCodes:
    """The record's place; a 'not in the list' village becomes (or updates) this submission's proposal."""
    commune = field_text(root, "commune")
    chosen = field_text(root, "village")
    village = None
    if chosen == NOT_LISTED and commune:
        village = _proposal(session, owner, commune, root, new=new)
    elif chosen:
        village = session.exec(VILLAGE_BY_CODE, params={"code": chosen}).first()
    return place_codes(session, commune_code=commune, village=village)


# Built once; an index seek on source_ref (migration 0007).
PROPOSAL_OF = select(Village).where(col(Village.source) == "field", col(Village.source_ref) == bindparam("ref"))


def _proposal(session: Session, owner: Owner, commune: str, root: Element, *, new: bool) -> Village | None:
    name = field_text(root, "village_name")
    if not name:
        return None
    lat, lon, _accuracy = _geopoint(field_text(root, "village_point"))
    ref = f"submission:{owner.instance_id}"
    # A new submission has no proposal yet (one is only ever stored with its submission): only edits look for it.
    existing = None if new else session.exec(PROPOSAL_OF, params={"ref": ref}).first()
    if existing is not None:
        if existing.status == "proposed":  # an edit before a coordinator decided: follow it
            existing.name, existing.lat, existing.lon = name, lat, lon
            existing.old_commune_code = existing.old_commune_code or old_commune_at(
                session, existing.commune_code, lat, lon
            )
            session.add(existing)
        return existing
    try:
        return add_village(
            session=session,
            commune_code=commune,
            name=name,
            lat=lat,
            lon=lon,
            source="field",
            source_ref=ref,
            actor=f"app_user:{owner.app_user_id}",
            commit=False,
        )
    except (ValueError, TgplError):
        return None  # an unusable name or an unknown commune: the record itself keeps what was typed


def _geopoint(value: str | None) -> tuple[float | None, float | None, float | None]:
    parts = (value or "").split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        return None, None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None, None
    accuracy = _float(parts[3]) if len(parts) > 3 else None
    return lat, lon, accuracy


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except (ValueError, OverflowError):
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _yes(value: str | None) -> bool | None:
    return {"co": True, "khong": False}.get(value or "")
