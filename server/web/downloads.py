"""Downloads: codebooks now; the CSV exports and periodic reports come with the exports issue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from forms.codebook import build_codebook, to_markdown
from server.deps import SessionDep
from server.publish import current_version, get_form, list_forms
from server.web.security import AnyUser, Staff
from server.web.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/downloads", response_class=HTMLResponse)
def downloads(request: Request, user: AnyUser, session: SessionDep) -> HTMLResponse:
    """What can be downloaded."""
    return page(request, "downloads.html", user=user, forms=[s.form.xml_form_id for s in list_forms(session)])


@router.get("/forms/{form_id}/codebook.md")
def codebook(form_id: str, user: Staff, session: SessionDep) -> Response:
    """A form's codebook as Markdown."""
    version = current_version(session, get_form(session, form_id))
    assert version is not None
    return Response(to_markdown(build_codebook(version.xml)), media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{form_id}-codebook.md"'})  # fmt: skip
