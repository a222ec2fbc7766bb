"""Downloads: submissions as Central's CSV zip, and codebooks (periodic reports come with the exports issue)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from exports import write_csv_zip
from forms.codebook import build_codebook, to_markdown
from server.areas import user_communes
from server.deps import SessionDep, StoreDep
from server.publish import current_version, get_form, list_forms
from server.submission_export import ExportFilter, deidentified_fields, export_submissions, export_xform, media_of
from server.web.security import AnyUser, Staff
from server.web.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/downloads", response_class=HTMLResponse)
def downloads(request: Request, user: AnyUser, session: SessionDep) -> HTMLResponse:
    """What can be downloaded."""
    return page(request, "downloads.html", user=user, forms=[s.form.xml_form_id for s in list_forms(session)])


@router.get("/forms/{form_id}/submissions.csv.zip")
def csv_zip(form_id: str, user: AnyUser, session: SessionDep, store: StoreDep, attachments: bool = False) -> Response:
    """The form's submissions (in the user's area) as Central's CSV zip, built in a temporary file and streamed;
    viewers get a de-identified export without media."""
    viewer = user.role == "viewer"
    attachments = attachments and not viewer
    allowed = user_communes(session, user)
    filters = ExportFilter(communes=frozenset(allowed) if allowed is not None else None)
    media = media_of(session, store, get_form(session, form_id).id) if attachments else {}  # type: ignore[arg-type]
    spool = tempfile.TemporaryFile()
    write_csv_zip(
        spool,
        xform=export_xform(session, form_id),
        submissions=export_submissions(session, store, xml_form_id=form_id, filters=filters,
                                       actor=f"web_user:{user.id}"),
        attachments=(lambda s: [(n, store.path(h).open("rb")) for n, h in media.get(s.instance_id, [])])
        if attachments else None,
        exclude=deidentified_fields(form_id) if viewer else frozenset(),
    )  # fmt: skip
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(1024 * 1024):
                yield block

    name = f"{form_id}.zip" if attachments else f"{form_id}.csv.zip"
    return StreamingResponse(chunks(), media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get("/forms/{form_id}/codebook.md")
def codebook(form_id: str, user: Staff, session: SessionDep) -> Response:
    """A form's codebook as Markdown."""
    version = current_version(session, get_form(session, form_id))
    assert version is not None
    return Response(to_markdown(build_codebook(version.xml)), media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{form_id}-codebook.md"'})  # fmt: skip
