"""The village registry for coordinators: proposals with their suggested duplicates; confirm, merge, rename, retire."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, select

from server.core.errors import BadRequest
from server.core.models import Place, Village, WebUser
from server.deps import SessionDep, SettingsDep
from server.places import villages as registry
from server.places.areas import require_village, visible_villages
from server.web.security import Staff, verify_csrf
from server.web.templating import page

router = APIRouter(include_in_schema=False)


def _own(session: Session, user: WebUser, code: str) -> Village:
    return require_village(session, user, code)


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
    old_names = dict(session.exec(select(Place.code, Place.name).where(Place.scheme == "old")).all())
    choices = {}  # 2025 commune → the old communes its unassigned villages may be given (when there is a choice)
    for commune in {v.commune_code for v in confirmed if v.old_commune_code is None}:
        olds = registry.old_communes_of(session, commune)
        if len(olds) > 1:
            choices[commune] = [(p.code, p.name) for p in olds]
    return page(request, "villages.html", user=user, proposals=proposals, confirmed=confirmed, communes=communes,
                old_names=old_names, choices=choices)  # fmt: skip


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


@router.post("/villages/{code}/assign-old")
def assign_old(request: Request, code: str, user: Staff, session: SessionDep, old_commune: str = Form(""),
               csrf: str = Form("")) -> Response:  # fmt: skip
    """Give a village its pre-2025 commune: its records then count there in the old structure."""
    verify_csrf(request, csrf)
    village = _own(session, user, code)
    if not old_commune:
        raise BadRequest("Hãy chọn xã trước 1/7/2025.", "Choose the commune before 1 July 2025.")
    registry.assign_old_commune(session=session, ref=village.code, old_commune_code=old_commune,
                                actor=f"web_user:{user.id}")  # fmt: skip
    return _back()


@router.post("/villages/{code}/rename")
def rename(request: Request, code: str, user: Staff, session: SessionDep,
           name: str = Form(...), csrf: str = Form("")) -> Response:  # fmt: skip
    """Correct a village's name."""
    verify_csrf(request, csrf)
    registry.rename(session=session, ref=_own(session, user, code).code, name=name, actor=f"web_user:{user.id}")
    return _back()
