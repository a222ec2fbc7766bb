"""OpenRosa endpoints for ODK Collect under a per-app-user base URL /key/{token} (OPENROSA.md section D)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from server.accounts.app_users import allowed_form_ids, authenticate, require_form_access
from server.core.errors import BadRequest, NotFound
from server.core.models import AppUser, Form, FormMedia
from server.deps import EngineDep, SessionDep, SettingsDep, StoreDep
from server.openrosa.responses import (
    FormListEntry,
    MediaEntry,
    form_list_xml,
    manifest_xml,
    message_xml,
    openrosa_headers,
    xml_response,
)
from server.openrosa.upload import read_submission_form, submission_xml
from server.publishing.forms import current_version, get_form, list_forms, media_content
from server.submissions.receive import Part, receive

router = APIRouter(prefix="/key/{token}", include_in_schema=False)  # OpenRosa, not the JSON API


def app_user(token: str, engine: EngineDep) -> AppUser:
    """The app user whose token is in the URL (403 when unknown or revoked).

    Looked up in a session of its own, closed at once: a submission's body may take minutes to arrive over a
    slow network, and no database connection may be held meanwhile.
    """
    with Session(engine) as session:
        user = authenticate(session=session, token=token)
        session.expunge(user)
    return user


AppUserDep = Annotated[AppUser, Depends(app_user)]


async def openrosa_version(request: Request) -> None:
    """Refuse a request that declares another OpenRosa version (Collect always sends 1.0; a client that sends
    no header is tolerated). The form XML and media downloads are plain downloads and are not checked."""
    declared = request.headers.get("x-openrosa-version")
    if declared is not None and declared.strip() != "1.0":
        raise BadRequest(
            f"Ứng dụng dùng OpenRosa {declared!r}, máy chủ chỉ hỗ trợ 1.0.",
            f"X-OpenRosa-Version {declared!r} is not supported; use 1.0.",
            code="400.6",
        )


OpenRosaOnly = [Depends(openrosa_version)]


def _base(request: Request, settings: SettingsDep, token: str) -> str:
    return f"{settings.external_base(str(request.base_url))}/key/{token}"


def _open_form(session: Session, user: AppUser, xml_form_id: str) -> Form:
    form = get_form(session, xml_form_id)
    if form.state != "open":
        raise NotFound(f"Biểu mẫu {xml_form_id} đã đóng.", f"Form {xml_form_id} is closed.")
    require_form_access(session, user, form)
    return form


@router.get("/formList", dependencies=OpenRosaOnly)
def form_list(request: Request, token: str, user: AppUserDep, session: SessionDep, settings: SettingsDep) -> Response:
    """The forms this device may fill, with md5 hashes of the exact bytes served."""
    base = _base(request, settings, token)
    entries = [
        FormListEntry(
            form_id=s.form.xml_form_id,
            name=s.current.title,
            version=s.current.version,
            md5=s.current.md5,
            download_url=f"{base}/forms/{quote(s.form.xml_form_id, safe='')}.xml",
            manifest_url=f"{base}/forms/{quote(s.form.xml_form_id, safe='')}/manifest" if s.media else None,
        )
        for s in list_forms(session, open_only=True, form_ids=allowed_form_ids(session, user))
    ]
    return xml_response(form_list_xml(entries), max_bytes=settings.max_submission_bytes)


def _etagged(request: Request, body: bytes, md5: str, media_type: str, max_bytes: int) -> Response:
    etag = f'"{md5}"'
    headers = {**openrosa_headers(max_bytes), "ETag": etag, "Cache-Control": "private, no-cache",
               # an uploaded media file may be named .html: never sniffed, never run on this origin
               "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}  # fmt: skip
    if etag in [value.strip() for value in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


@router.get("/forms/{xml_form_id}.xml")
def form_xml(
    request: Request, xml_form_id: str, user: AppUserDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """The XForm bytes of the current version (their md5 is the hash in the form list)."""
    version = current_version(session, _open_form(session, user, xml_form_id))
    if version is None:
        raise NotFound("Biểu mẫu chưa có phiên bản nào.", "The form has no published version.")
    return _etagged(request, version.xml, version.md5, "text/xml; charset=utf-8", settings.max_submission_bytes)


@router.get("/forms/{xml_form_id}/manifest", dependencies=OpenRosaOnly)
def manifest(
    request: Request,
    token: str,
    xml_form_id: str,
    user: AppUserDep,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    """The media files of the current version, with md5 hashes (generated lists hash what they are now)."""
    version = current_version(session, _open_form(session, user, xml_form_id))
    base = _base(request, settings, token)
    media = session.exec(
        select(FormMedia).where(FormMedia.form_version_id == version.id).order_by(FormMedia.filename)  # type: ignore[union-attr]
    ).all()
    entries = [
        MediaEntry(
            filename=m.filename,
            md5=media_content(session, store, m)[1] if m.dataset else m.md5,
            download_url=f"{base}/forms/{quote(xml_form_id, safe='')}/attachments/{quote(m.filename, safe='')}",
        )
        for m in media
    ]
    return xml_response(manifest_xml(entries), max_bytes=settings.max_submission_bytes)


@router.get("/forms/{xml_form_id}/attachments/{filename}")
def media_file(
    request: Request,
    xml_form_id: str,
    filename: str,
    user: AppUserDep,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    """One media file of the current version; the name is only a lookup key, never a path."""
    version = current_version(session, _open_form(session, user, xml_form_id))
    media = session.exec(
        select(FormMedia).where(FormMedia.form_version_id == version.id, FormMedia.filename == filename)  # type: ignore[union-attr]
    ).first()
    if media is None:
        raise NotFound(f"Biểu mẫu không có tệp {filename}.", f"The form has no media file {filename!r}.")
    data, md5 = media_content(session, store, media)
    return _etagged(request, data, md5, media.content_type, settings.max_submission_bytes)


@router.api_route("/submission", methods=["GET", "HEAD"], dependencies=OpenRosaOnly)
def submission_head(user: AppUserDep, settings: SettingsDep) -> Response:
    """The pre-flight Collect sends before every POST: 204 with the size it may send."""
    return Response(status_code=204, headers=openrosa_headers(settings.max_submission_bytes))


@router.post("/submission", dependencies=OpenRosaOnly)
async def submission_post(
    request: Request, user: AppUserDep, settings: SettingsDep, store: StoreDep, engine: EngineDep
) -> Response:
    """Receive a submission (or one part of a split one); 201 only once it is on disk and committed."""
    form = await read_submission_form(request, settings.max_submission_bytes)
    try:
        xml = await submission_xml(form)
        parts = {
            name: Part(name=name, content_type=value.content_type, stream=value.file)
            for name, value in form.multi_items()
            if isinstance(value, UploadFile) and name != "xml_submission_file"
        }

        def store_it() -> str:
            with Session(engine) as session:
                received = receive(
                    session=session,
                    store=store,
                    app_user=user,
                    xml=xml,
                    parts=parts,
                    device_id=request.query_params.get("deviceID"),
                    user_agent=request.headers.get("user-agent"),
                )
                return f"{received.message_vi} ({received.message_en})"

        message = await run_in_threadpool(store_it)
    finally:
        await form.close()
    return xml_response(
        message_xml(message, nature="submit_success"), status=201, max_bytes=settings.max_submission_bytes
    )
