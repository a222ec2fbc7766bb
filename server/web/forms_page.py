"""Forms for coordinators: versions and submission counts; an admin uploads XLSForms, closes forms and marks them
sensitive."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from forms.build import build_xlsform
from forms.workbook import check_workbook
from server.core.errors import BadRequest, TgplError, TooLarge
from server.core.models import WebUser
from server.core.storage import BlobStore
from server.deps import EngineDep, SessionDep, StoreDep
from server.publishing.forms import list_forms, publish_xform, set_sensitive, set_state
from server.submissions.queries import counts_by_form
from server.web.security import Admin, ProvinceAdmin, WholeProvince, verify_csrf
from server.web.templating import page

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 20 * 1024 * 1024


def _render(request: Request, session: Session, user: WebUser, **extra: object) -> HTMLResponse:
    counts = counts_by_form(session)
    return page(request, "forms.html", user=user, forms=list_forms(session), counts=counts, **extra)  # type: ignore[arg-type]


@router.get("/forms", response_class=HTMLResponse)
def forms_page(request: Request, user: WholeProvince, session: SessionDep) -> HTMLResponse:
    """Every form with its current version, state and submission count."""
    return _render(request, session, user)


@router.post("/forms", response_class=HTMLResponse)
async def upload(request: Request, user: Admin, engine: EngineDep, store: StoreDep) -> HTMLResponse:
    """Publish an uploaded XLSForm (pyxform, then ODK Validate); errors are shown in plain words."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 3 * MAX_UPLOAD:
        raise TooLarge("Tệp tải lên quá lớn.", "The upload is too large.")
    async with request.form(max_files=50) as form:  # closes the spooled files, whatever the outcome
        return await _publish_upload(request, user, engine, store, form)


async def _publish_upload(
    request: Request, user: WebUser, engine: Engine, store: BlobStore, form: FormData
) -> HTMLResponse:
    verify_csrf(request, str(form.get("csrf", "")))
    xlsform = form.get("xlsform")
    media = [m for m in form.getlist("media") if isinstance(m, UploadFile) and m.filename]
    with Session(engine) as session:

        def refuse(error: TgplError) -> HTMLResponse:
            session.rollback()
            return _render(request, session, user, error=error.message, status=error.status)

        if not isinstance(xlsform, UploadFile):  # the page again, asking for the file (nothing was sent to refuse)
            return _render(request, session, user, error="Chưa chọn tệp XLSForm (.xlsx). (No XLSForm file was chosen.)")
        data = await xlsform.read(MAX_UPLOAD + 1)
        files = {Path(m.filename or "").name: await m.read(MAX_UPLOAD + 1) for m in media}
        if len(data) > MAX_UPLOAD or any(len(v) > MAX_UPLOAD for v in files.values()):
            megabytes = MAX_UPLOAD // 2**20
            return refuse(TooLarge(f"Mỗi tệp tối đa {megabytes} MB.", f"Each file may be at most {megabytes} MB."))

        def publish() -> str:
            check_workbook(data)  # before pyxform opens it: not a zip bomb, no macros, bounded sheets
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "form.xlsx"  # never a client's file name
                path.write_bytes(data)
                built = build_xlsform(path)
            published = publish_xform(session=session, store=store, xform=built.xform, media=files,
                                      actor=f"web_user:{user.id}")  # fmt: skip
            return f"{published.form_id} {published.version}: {'OK' if published.changed else '='}"

        try:
            notice = await run_in_threadpool(publish)
        except TgplError as error:
            return refuse(error)
        return _render(request, session, user, notice=notice)


@router.post("/forms/{form_id}/sensitive")
def change_sensitive(request: Request, form_id: str, user: ProvinceAdmin, session: SessionDep,
                     csrf: str = Form(""), sensitive: str = Form("")) -> Response:  # fmt: skip
    """Mark a form sensitive (viewers get its aggregates only, never its rows) or not (audited); an admin of the
    whole province only."""
    verify_csrf(request, csrf)
    if sensitive not in ("on", "off"):
        raise BadRequest("Chọn bật hoặc tắt (on/off).", "Choose on or off.")
    set_sensitive(session=session, xml_form_id=form_id, sensitive=sensitive == "on", actor=f"web_user:{user.id}")
    return RedirectResponse("/forms", status_code=303)


@router.post("/forms/{form_id}/{action}")
def change_state(request: Request, form_id: str, action: str, user: Admin, session: SessionDep,
                 csrf: str = Form("")) -> Response:  # fmt: skip
    """Close a form (phones no longer list it; submissions refused) or open it again."""
    verify_csrf(request, csrf)
    if action not in ("close", "open"):
        return RedirectResponse("/forms", status_code=303)
    set_state(session=session, xml_form_id=form_id, state="closed" if action == "close" else "open",
              actor=f"web_user:{user.id}")  # fmt: skip
    return RedirectResponse("/forms", status_code=303)
