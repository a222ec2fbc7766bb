"""The village registry for coordinators: proposals with their suggested duplicates; confirm, merge, rename, retire."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, select

from server.core.errors import Forbidden
from server.core.models import Place, Village, WebUser
from server.deps import SessionDep, SettingsDep
from server.places import villages as registry
from server.places.areas import user_communes, visible_villages
from server.web.security import Staff, verify_csrf
from server.web.templating import page

router = APIRouter(include_in_schema=False)


def _own(session: Session, user: WebUser, code: str) -> Village:
    village = registry.get_village(session, code)
    allowed = user_communes(session, user)
    if allowed is not None and village.commune_code not in allowed:
        raise Forbidden("Thôn này nằm ngoài địa bàn của bạn.", "This village is outside your area.")
    return village


@router.get("/villages", response_class=HTMLResponse)
def villages(request: Request, user: Staff, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Proposals first, each with the villages it may duplicate; then the confirmed villages."""
    proposals = []
    for village in visible_villages(session, user, "proposed"):
        suggestions = registry.suggest_duplicates(session, village, max_meters=settings.village_match_meters)
        points = [
            {"lat": v.lat, "lon": v.lon, "name": v.name, "proposal": v is village}
            for v in (village, *(s.village for s in suggestions))
            if v.lat is not None and v.lon is not None
        ]
        proposals.append({"village": village, "suggestions": suggestions, "points": points})
    communes = dict(session.exec(select(Place.code, Place.name).where(Place.scheme == "new")).all())
    confirmed = visible_villages(session, user, "confirmed")
    return page(request, "villages.html", user=user, proposals=proposals, confirmed=confirmed, communes=communes)


def _back() -> Response:
    return RedirectResponse("/villages", status_code=303)


@router.post("/villages/{code}/confirm")
def confirm(request: Request, code: str, user: Staff, session: SessionDep,
            csrf: str = Form("")) -> Response:  # fmt: skip
    """Confirm a proposal: phones get it at their next form update."""
    verify_csrf(request, csrf)
    registry.confirm(session=session, ref=_own(session, user, code).code, actor=f"web_user:{user.id}")
    return _back()


@router.post("/villages/{code}/retire")
def retire(request: Request, code: str, user: Staff, session: SessionDep,
           csrf: str = Form("")) -> Response:  # fmt: skip
    """Take a village out of the picker."""
    verify_csrf(request, csrf)
    registry.retire(session=session, ref=_own(session, user, code).code, actor=f"web_user:{user.id}")
    return _back()


@router.post("/villages/{code}/merge")
def merge(request: Request, code: str, user: Staff, session: SessionDep,
          into: str = Form(...), csrf: str = Form("")) -> Response:  # fmt: skip
    """Merge a village into another of its commune."""
    verify_csrf(request, csrf)
    registry.merge(session=session, ref=_own(session, user, code).code, into=_own(session, user, into).code,
                   actor=f"web_user:{user.id}")  # fmt: skip
    return _back()


@router.post("/villages/{code}/rename")
def rename(request: Request, code: str, user: Staff, session: SessionDep,
           name: str = Form(...), csrf: str = Form("")) -> Response:  # fmt: skip
    """Correct a village's name."""
    verify_csrf(request, csrf)
    registry.rename(session=session, ref=_own(session, user, code).code, name=name, actor=f"web_user:{user.id}")
    return _back()
