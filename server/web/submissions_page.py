"""Submissions for coordinators: a filtered table, one submission's answers in words, its history and review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from server.accounts.app_users import list_app_users
from server.core.errors import BadRequest, NotFound
from server.core.models import (
    AppUser,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
    WebUser,
)
from server.core.models import (
    Form as FormRow,
)
from server.deps import SessionDep, StoreDep
from server.places.areas import record_event, require_record, user_reach
from server.publishing.forms import list_forms
from server.submissions.queries import REVIEW_STATES, current_def, set_review
from server.submissions.view import answers
from server.web.security import Staff, lang_of, verify_csrf
from server.web.templating import page

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class Filters:
    """What the submissions table is filtered by."""

    form: str | None
    start: date | None
    end: date | None
    review: str | None
    app_user: int | None


def _check_area(session: Session, user: WebUser, submission_id: int) -> None:
    require_record(session, user, submission_id)


@router.get("/submissions", response_class=HTMLResponse)
def submissions(request: Request, user: Staff, session: SessionDep, form: str = "", review: str = "",
                app_user: str = "") -> HTMLResponse:  # fmt: skip
    """The latest submissions, filtered by form, event date, review state and collaborator (and the user's area)."""
    try:
        start = date.fromisoformat(request.query_params["from"]) if request.query_params.get("from") else None
        end = date.fromisoformat(request.query_params["to"]) if request.query_params.get("to") else None
    except ValueError as error:
        raise BadRequest("Ngày không hợp lệ.", f"Invalid date: {error}") from error
    filters = Filters(form or None, start, end, review or None, int(app_user) if app_user.isdigit() else None)
    query = select(Submission, FormRow.xml_form_id).join(FormRow, col(FormRow.id) == col(Submission.form_id))
    if filters.form:
        query = query.where(FormRow.xml_form_id == filters.form)
    if filters.review:
        query = query.where(Submission.review_state == (None if filters.review == "received" else filters.review))
    if filters.app_user:
        query = query.where(Submission.app_user_id == filters.app_user)
    reach = user_reach(session, user)
    names = {u.id: u.name for u in session.exec(select(AppUser)).all()}
    rows = []
    for submission, form_id in session.exec(query.order_by(col(Submission.id).desc())).all():
        event, place = record_event(session, submission.id)  # type: ignore[arg-type]
        if reach is not None and not reach.admits(place):
            continue
        if (filters.start and (event is None or event < filters.start)) or (
            filters.end and (event is None or event > filters.end)
        ):
            continue
        current = current_def(session, submission.id)  # type: ignore[arg-type]
        rows.append(
            {
                "id": submission.id,
                "form": form_id,
                "instance_name": current.instance_name if current else None,
                "event_date": event,
                "received": submission.created_at.date(),
                "commune": place.commune_code if place else None,
                "app_user": names.get(submission.app_user_id),
                "review": submission.review_state,
            }
        )
        if len(rows) >= PAGE_SIZE:
            break
    return page(request, "submissions.html", user=user, rows=rows, q=filters, states=REVIEW_STATES,
                forms=[s.form.xml_form_id for s in list_forms(session)], app_users=list_app_users(session))  # fmt: skip


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission(request: Request, submission_id: int, user: Staff, session: SessionDep, store: StoreDep) -> HTMLResponse:
    """One submission: its answers in words, attachments, versions and review."""
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise NotFound(f"Không có phiếu {submission_id}.", f"No submission {submission_id}.")
    _check_area(session, user, submission_id)
    history = list(session.exec(select(SubmissionDef).where(SubmissionDef.submission_id == submission_id)
                                .order_by(col(SubmissionDef.id))).all())  # fmt: skip
    current = next(d for d in history if d.current)
    form = session.get(FormRow, sub.form_id)
    files = session.exec(select(SubmissionAttachment).where(SubmissionAttachment.submission_def_id == current.id)).all()
    return page(request, "submission.html", user=user, sub=sub, current=current, history=history, files=files,
                answers=answers(session, store, current, lang_of(request)), states=REVIEW_STATES,
                form_id=form.xml_form_id if form else "")  # fmt: skip


@router.post("/submissions/{submission_id}/review")
def review(request: Request, submission_id: int, user: Staff, session: SessionDep, state: str = Form(...),
           comment: str = Form(""), csrf: str = Form("")) -> Response:  # fmt: skip
    """Set the review state with a comment (audited)."""
    verify_csrf(request, csrf)
    _check_area(session, user, submission_id)
    try:
        set_review(
            session=session, submission_id=submission_id, state=state, comment=comment, actor=f"web_user:{user.id}"
        )
    except ValueError as error:
        raise BadRequest("Tình trạng duyệt không hợp lệ.", str(error)) from error
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


@router.get("/submissions/{submission_id}/attachments/{name}")
def attachment(submission_id: int, name: str, user: Staff, session: SessionDep, store: StoreDep) -> Response:
    """A file of the current version (the name is a lookup key, never a path)."""
    _check_area(session, user, submission_id)
    current = current_def(session, submission_id)
    row = (
        current
        and session.exec(
            select(SubmissionAttachment).where(
                SubmissionAttachment.submission_def_id == current.id, SubmissionAttachment.name == name
            )
        ).first()
    )
    if not row or not row.sha256:
        raise NotFound("Không có tệp này.", "No such attachment.")
    return Response(
        store.read(row.sha256),
        media_type=row.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": "inline",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )
