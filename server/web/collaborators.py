"""Collaborators' phones: create an app user and show its QR code once, revoke, see each device's last submission."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func
from sqlmodel import Session, select

from server.accounts.app_users import create_app_user, list_app_users, revoke
from server.accounts.collect_qr import collect_settings, encode_settings, write_png
from server.core.models import Submission, WebUser
from server.deps import SessionDep, SettingsDep
from server.publishing.forms import list_forms
from server.web.security import WholeProvince, verify_csrf
from server.web.templating import page

router = APIRouter(include_in_schema=False)


def _last_submissions(session: Session) -> dict[int | None, tuple[str, str | None]]:
    """Each app user's latest submission time and the device it came from."""
    latest = dict(
        session.exec(
            select(Submission.app_user_id, func.max(Submission.created_at)).group_by(Submission.app_user_id)  # type: ignore[arg-type]
        ).all()
    )
    result = {}
    for user_id, moment in latest.items():
        device = session.exec(
            select(Submission.device_id).where(Submission.app_user_id == user_id, Submission.created_at == moment)
        ).first()
        result[user_id] = (moment.strftime("%Y-%m-%d %H:%M"), device)
    return result


def _render(request: Request, session: Session, user: WebUser, created: dict[str, str] | None = None) -> HTMLResponse:
    forms = [s.form.xml_form_id for s in list_forms(session, open_only=True)]
    return page(request, "collaborators.html", user=user, users=list_app_users(session),
                last=_last_submissions(session), forms=forms, created=created)  # fmt: skip


@router.get("/collaborators", response_class=HTMLResponse)
def collaborators(request: Request, user: WholeProvince, session: SessionDep) -> HTMLResponse:
    """The app users, their form limits and their last submissions."""
    return _render(request, session, user)


@router.post("/collaborators", response_class=HTMLResponse)
async def create(request: Request, user: WholeProvince, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Create an app user and show its QR code (the token is never shown again)."""
    form = await request.form()
    verify_csrf(request, str(form.get("csrf", "")))
    name = str(form.get("name", "")).strip()
    form_ids = [str(value) for value in form.getlist("forms")]
    app_user, token = create_app_user(session=session, name=name, form_ids=form_ids, actor=f"web_user:{user.id}")
    url = f"{settings.external_base(str(request.base_url))}/key/{token}"
    with tempfile.TemporaryDirectory() as tmp:
        png = write_png(encode_settings(collect_settings(url)), Path(tmp) / "qr.png").read_bytes()
    created = {"name": app_user.name, "url": url, "png": base64.b64encode(png).decode("ascii")}
    return _render(request, session, user, created)


@router.post("/collaborators/{app_user_id}/revoke")
def revoke_app_user(request: Request, app_user_id: int, user: WholeProvince, session: SessionDep,
                    csrf: str = Form("")) -> Response:  # fmt: skip
    """Revoke a phone: its next request is refused."""
    verify_csrf(request, csrf)
    revoke(session=session, app_user_id=app_user_id, actor=f"web_user:{user.id}")
    return RedirectResponse("/collaborators", status_code=303)
