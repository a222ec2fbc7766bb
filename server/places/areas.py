"""A web user's area: the 2025 communes it covers, whatever structure it was given in."""

from __future__ import annotations

from sqlmodel import Session, col, select

from server.core.models import Place, PlaceSuccessor, Village, WebUser
from server.places import villages as registry


def new_communes(session: Session, scheme: str, code: str) -> set[str]:
    """The 2025 commune codes inside a unit (province, district or commune) of either structure."""
    unit = session.exec(select(Place).where(Place.scheme == scheme, Place.code == code)).first()
    if unit is None:
        return set()
    places = session.exec(select(Place).where(Place.scheme == scheme, Place.level == "commune")).all()
    if unit.level == "commune":
        communes = {unit.code}
    elif unit.level == "district":
        communes = {p.code for p in places if p.parent_code == code}
    else:
        communes = {p.code for p in places if p.province_code == code}
    if scheme == "new":
        return communes
    links = session.exec(select(PlaceSuccessor.new_code).where(col(PlaceSuccessor.old_code).in_(communes))).all()
    return set(links)


def user_communes(session: Session, user: WebUser) -> set[str] | None:
    """The 2025 communes a user may see, or None when the user is not limited to an area."""
    if user.area_scheme is None or user.area_code is None:
        return None
    return new_communes(session, user.area_scheme, user.area_code)


def within_user_area(session: Session, user: WebUser, scheme: str, code: str | None) -> bool:
    """Whether a requested area lies inside the user's area (anything does for an unlimited user)."""
    allowed = user_communes(session, user)
    if allowed is None:
        return True
    if code is None:
        return False
    requested = new_communes(session, scheme, code)
    return bool(requested) and requested <= allowed


def visible_villages(session: Session, user: WebUser, status: str | None = None) -> list[Village]:
    """The villages of the user's area."""
    allowed = user_communes(session, user)
    return [v for v in registry.list_villages(session, status=status) if allowed is None or v.commune_code in allowed]
