"""Reading and reviewing stored submissions: counts, the current version, the review state."""

from __future__ import annotations

import json

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.core.errors import NotFound
from server.core.models import Audit, Form, Submission, SubmissionDef


def count_submissions(session: Session, xml_form_id: str | None = None) -> int:
    """How many submissions are stored (each counted once, however many times it was sent or edited)."""
    query = select(func.count()).select_from(Submission)
    if xml_form_id is not None:
        query = query.join(Form, Form.id == Submission.form_id).where(Form.xml_form_id == xml_form_id)  # type: ignore[arg-type]
    return int(session.exec(query).one())


def counts_by_form(session: Session) -> dict[str, int]:
    """Submissions stored per form id."""
    rows = session.exec(
        select(Form.xml_form_id, func.count(col(Submission.id)))
        .join(Submission, col(Submission.form_id) == col(Form.id))
        .group_by(col(Form.xml_form_id))
    ).all()
    return {form_id: int(count) for form_id, count in rows}


REVIEW_STATES = ("received", "hasIssues", "approved", "rejected")


def set_review(*, session: Session, submission_id: int, state: str, comment: str, actor: str) -> Submission:
    """Set a submission's review state with a comment; audited."""
    if state not in REVIEW_STATES:
        raise ValueError(f"review state is one of {', '.join(REVIEW_STATES)}")
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"Không có phiếu {submission_id}.", f"No submission {submission_id}.")
    before = submission.review_state
    submission.review_state = None if state == "received" else state
    session.add(submission)
    session.add(
        Audit(action="submission.update", actor=actor, subject=f"submission:{submission_id}",
              details=json.dumps({"reviewState": state, "before": before, "comment": comment[:2000]},
                                 ensure_ascii=False))
    )  # fmt: skip
    session.commit()
    session.refresh(submission)
    return submission


def current_def(session: Session, submission_id: int) -> SubmissionDef | None:
    """The current version of a submission."""
    return session.exec(
        select(SubmissionDef).where(SubmissionDef.submission_id == submission_id, col(SubmissionDef.current).is_(True))
    ).first()
