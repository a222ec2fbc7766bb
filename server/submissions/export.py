"""Reading the current versions of a form's submissions for export, newest first, in batches (constant memory)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from exports import ExportStats, ExportSubmission, write_csv_zip
from exports.csv_zip import Attachments
from server.core.models import (
    AppUser,
    Audit,
    FormVersion,
    PersonFact,
    SessionFact,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)
from server.core.storage import BlobStore
from server.publishing.forms import current_version, get_form

BATCH = 500
# Left out of de-identified exports (viewers, or --deidentified): free text about a case, exact birth years,
# ethnicity (aggregates only), a person's village GPS, session links; staff names and collaborator card numbers.
DEIDENTIFIED = {
    "tgpl_person": frozenset({"summary", "birth_year", "ethnicity", "session_link", "village_point"}),
    "tgpl_session": frozenset({"member_name", "card_number", "attendance_photo"}),
}


def deidentified_fields(xml_form_id: str) -> frozenset[str]:
    """The fields a de-identified export of this form leaves out."""
    return DEIDENTIFIED.get(xml_form_id, frozenset())


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which submissions to export: event-date period (submission date for forms without facts), area, review."""

    start: date | None = None
    end: date | None = None
    communes: frozenset[str] | None = None  # 2025 commune codes; None = everywhere
    review_state: str | None = None  # received | hasIssues | approved | rejected | edited


def export_xform(session: Session, xml_form_id: str) -> bytes:
    """The XForm whose fields make the columns: the current version's."""
    version = current_version(session, get_form(session, xml_form_id))
    assert version is not None
    return version.xml


def export_submissions(
    session: Session, store: BlobStore, *, xml_form_id: str, filters: ExportFilter = ExportFilter(), actor: str = "cli"
) -> Iterator[ExportSubmission]:
    """The current version of every matching submission, newest first; the export itself is audited."""
    form = get_form(session, xml_form_id)
    session.add(Audit(action="form.submission.export", actor=actor, subject=f"form:{xml_form_id}",
                      details=json.dumps({"filters": repr(filters)})))  # fmt: skip
    session.commit()
    ids = session.exec(
        select(Submission.id).where(Submission.form_id == form.id).order_by(col(Submission.created_at).desc(),
                                                                           col(Submission.id).desc())
    ).all()  # fmt: skip
    names = dict(session.exec(select(AppUser.id, AppUser.name)).all())
    for start in range(0, len(ids), BATCH):
        batch = [i for i in ids[start : start + BATCH] if i is not None]
        for submission in session.exec(
            select(Submission).where(col(Submission.id).in_(batch)).order_by(col(Submission.created_at).desc(),
                                                                            col(Submission.id).desc())
        ).all():  # fmt: skip
            row = _row(session, store, submission, names, filters)
            if row is not None:
                yield row
        session.expunge_all()


def csv_zip_writer(
    *,
    engine: Engine,
    store: BlobStore,
    xml_form_id: str,
    xform: bytes,
    filters: ExportFilter,
    actor: str,
    attachments: Attachments | None,
    exclude: frozenset[str],
) -> Callable[[BinaryIO], ExportStats]:
    """The CSV zip export as a function of its output, reading in a session of its own: it may run in another
    thread while the response goes out, after the request's session has closed."""

    def write(out: BinaryIO) -> ExportStats:
        with Session(engine) as session:
            submissions = export_submissions(session, store, xml_form_id=xml_form_id, filters=filters, actor=actor)
            return write_csv_zip(out, xform=xform, submissions=submissions, attachments=attachments, exclude=exclude)

    return write


def _row(
    session: Session, store: BlobStore, submission: Submission, names: dict[int | None, str], filters: ExportFilter
) -> ExportSubmission | None:
    state = submission.review_state or "received"
    if filters.review_state and state != filters.review_state:
        return None
    event, commune = _event(session, submission)
    if (filters.start and event < filters.start) or (filters.end and event > filters.end):
        return None
    if filters.communes is not None and commune not in filters.communes:
        return None
    versions = session.exec(select(SubmissionDef).where(SubmissionDef.submission_id == submission.id)).all()
    current = next(v for v in versions if v.current)
    files = session.exec(select(SubmissionAttachment).where(SubmissionAttachment.submission_def_id == current.id)).all()
    version = session.get(FormVersion, current.form_version_id)
    return ExportSubmission(
        instance_id=submission.instance_id,
        submission_date=submission.created_at,
        submitter_id=submission.app_user_id,
        submitter_name=names.get(submission.app_user_id),
        attachments_present=sum(1 for f in files if f.sha256),
        attachments_expected=len(files),
        status=None,
        review_state=submission.review_state,
        device_id=submission.device_id,
        edits=len(versions) - 1,
        form_version=version.version if version else "",
        xml=store.read(current.xml_sha256),
    )


def _event(session: Session, submission: Submission) -> tuple[date, str | None]:
    fact = session.get(SessionFact, submission.id)
    if fact is not None and fact.session_date is not None:
        return fact.session_date, fact.commune_code
    person = session.get(PersonFact, submission.id)
    if person is not None and person.intake_date is not None:
        return person.intake_date, person.commune_code
    return submission.created_at.date(), None


def media_of(session: Session, store: BlobStore, form_id: int) -> dict[str, list[tuple[str, str]]]:
    """Per instanceID (the export KEY), the attachment names and blob hashes of its current version."""
    rows = session.exec(
        select(Submission.instance_id, SubmissionAttachment.name, SubmissionAttachment.sha256)
        .join(SubmissionDef, col(SubmissionDef.submission_id) == col(Submission.id))
        .join(SubmissionAttachment, col(SubmissionAttachment.submission_def_id) == col(SubmissionDef.id))
        .where(col(Submission.form_id) == form_id, col(SubmissionDef.current).is_(True))
    ).all()
    found: dict[str, list[tuple[str, str]]] = {}
    for instance_id, name, sha in rows:
        if sha:
            found.setdefault(instance_id, []).append((name, sha))
    return found


def count(session: Session, xml_form_id: str) -> int:
    """How many submissions a form holds (for a progress bar)."""
    form = get_form(session, xml_form_id)
    return int(session.exec(select(func.count()).select_from(Submission).where(Submission.form_id == form.id)).one())
