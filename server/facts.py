"""Fact rows written with each submission of the legal-aid forms: what coverage and reports count.

They are written in the submission's own transaction and rewritten on every edit, so they always describe the
current version. A "village not in the list" answer becomes a village proposal for coordinators.
"""

from __future__ import annotations

from datetime import date
from xml.etree.ElementTree import Element

from sqlmodel import Session, delete, select

from server.errors import TgplError
from server.gazetteer.media import NOT_LISTED
from server.gazetteer.rollup import PlaceCodes, place_codes
from server.gazetteer.villages import add_village
from server.instance import field_text
from server.models import PersonCategory, PersonFact, SessionFact, Submission, SubmissionDef, Village

SESSION_FORM = "tgpl_session"
PERSON_FORM = "tgpl_person"


def record_facts(
    *, session: Session, xml_form_id: str, submission: Submission, submission_def: SubmissionDef, root: Element
) -> None:
    """Write (or rewrite) the fact rows of a submission's current version; other forms have none."""
    if xml_form_id == SESSION_FORM:
        _session_fact(session, submission, submission_def, root)
    elif xml_form_id == PERSON_FORM:
        _person_fact(session, submission, submission_def, root)


def _session_fact(session: Session, submission: Submission, current: SubmissionDef, root: Element) -> None:
    lat, lon, accuracy = _geopoint(field_text(root, "gps"))
    place = _place(session, submission, root)
    row = session.get(SessionFact, submission.id) or SessionFact(submission_id=submission.id, submission_def_id=0)  # type: ignore[arg-type]
    row.submission_def_id = current.id  # type: ignore[assignment]
    row.app_user_id = current.app_user_id
    row.session_date = _date(field_text(root, "session_date"))
    row.session_type = field_text(root, "session_type")
    row.evening = _yes(field_text(root, "evening"))
    row.commune_code, row.old_commune_code = place.commune_code, place.old_commune_code
    row.old_district_code, row.village_code = place.old_district_code, place.village_code
    row.lat, row.lon, row.accuracy_m = lat, lon, accuracy
    for name in (
        "participants_total",
        "participants_women",
        "participants_ethnic",
        "leaflets",
        "questions_total",
        "requests_received",
        "requests_accepted",
        "referrals",
    ):
        setattr(row, name, _int(field_text(root, name)))
    session.add(row)


def _person_fact(session: Session, submission: Submission, current: SubmissionDef, root: Element) -> None:
    age = _int(field_text(root, "age_years"))
    # A child's record needs the guardian's consent as well as the child's.
    consent = field_text(root, "consent") == "dong_y" and (
        age is None or age >= 16 or field_text(root, "guardian_consent") == "dong_y"
    )
    place = _place(session, submission, root)
    row = session.get(PersonFact, submission.id) or PersonFact(
        submission_id=submission.id,  # type: ignore[arg-type]
        submission_def_id=0,
        consent=consent,
    )
    row.submission_def_id = current.id  # type: ignore[assignment]
    row.app_user_id = current.app_user_id
    row.intake_date = _date(field_text(root, "intake_date"))
    row.consent = consent
    # After a refusal the form hides everything else; whatever was sent, only the anonymous tally is kept.
    keep = consent
    row.sex = field_text(root, "sex") if keep else None
    row.age_years = age if keep else None
    for name, column in (
        ("ethnicity", "ethnicity"),
        ("hardship", "hardship"),
        ("field", "field_of_law"),
        ("aid_form", "aid_form"),
        ("provider_role", "provider_role"),
    ):
        setattr(row, column, field_text(root, name) if keep else None)
    row.accepted = _yes(field_text(root, "accepted")) if keep else None
    row.commune_code, row.old_commune_code = place.commune_code, place.old_commune_code
    row.old_district_code, row.village_code = place.old_district_code, place.village_code
    session.add(row)
    session.flush()
    session.exec(delete(PersonCategory).where(PersonCategory.submission_id == submission.id))  # type: ignore[arg-type]
    categories = (field_text(root, "art7") or "").split() if keep else []
    for category in dict.fromkeys(categories):
        session.add(PersonCategory(submission_id=submission.id, category=category))  # type: ignore[arg-type]


def _place(session: Session, submission: Submission, root: Element) -> PlaceCodes:
    """The record's place; a 'not in the list' village becomes (or updates) this submission's proposal."""
    commune = field_text(root, "commune")
    chosen = field_text(root, "village")
    village = None
    if chosen == NOT_LISTED and commune:
        village = _proposal(session, submission, commune, root)
    elif chosen:
        village = session.exec(select(Village).where(Village.code == chosen)).first()
    return place_codes(session, commune_code=commune, village=village)


def _proposal(session: Session, submission: Submission, commune: str, root: Element) -> Village | None:
    name = field_text(root, "village_name")
    if not name:
        return None
    lat, lon, _accuracy = _geopoint(field_text(root, "village_point"))
    ref = f"submission:{submission.instance_id}"
    existing = session.exec(select(Village).where(Village.source == "field", Village.source_ref == ref)).first()
    if existing is not None:
        if existing.status == "proposed":  # an edit before a coordinator decided: follow it
            existing.name, existing.lat, existing.lon = name, lat, lon
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
            actor=f"app_user:{submission.app_user_id}",
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
