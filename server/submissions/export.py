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
from exports.policy import CENTRAL, ExportPolicy
from server.core.models import (
    AppUser,
    Audit,
    FormVersion,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)
from server.core.storage import BlobStore
from server.places.areas import Reach, RecordPlace, record_event
from server.publishing.forms import current_version, get_form

BATCH = 500


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which submissions to export: event-date period (submission date for forms without facts), area, review."""

    start: date | None = None
    end: date | None = None
    reach: Reach | None = None  # the records of an area (server.places.areas); None = everywhere
    review_state: str | None = None  # received | hasIssues | approved | rejected | edited


def export_xform(session: Session, xml_form_id: str) -> bytes:
    """The XForm whose fields make the columns: the current version's."""
    version = current_version(session, get_form(session, xml_form_id))
    assert version is not None
    return version.xml


def export_submissions(
    session: Session,
    store: BlobStore,
    *,
    xml_form_id: str,
    filters: ExportFilter = ExportFilter(),
    actor: str = "cli",
    deidentified: bool = False,
) -> Iterator[ExportSubmission]:
    """The current version of every matching submission, newest first; the export itself is audited (whether it
    was de-identified too)."""
    form = get_form(session, xml_form_id)
    session.add(Audit(action="form.submission.export", actor=actor, subject=f"form:{xml_form_id}",
                      details=json.dumps({"filters": repr(filters), "deidentified": deidentified})))  # fmt: skip
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
    policy: ExportPolicy,
) -> Callable[[BinaryIO], ExportStats]:
    """The CSV zip export as a function of its output, reading in a session of its own: it may run in another
    thread while the response goes out, after the request's session has closed."""

    def write(out: BinaryIO) -> ExportStats:
        with Session(engine) as session:
            submissions = export_submissions(session, store, xml_form_id=xml_form_id, filters=filters, actor=actor,
                                             deidentified=policy != CENTRAL)  # fmt: skip
            return write_csv_zip(out, xform=xform, submissions=submissions, attachments=attachments, policy=policy)

    return write


def _row(
    session: Session, store: BlobStore, submission: Submission, names: dict[int | None, str], filters: ExportFilter
) -> ExportSubmission | None:
    state = submission.review_state or "received"
    if filters.review_state and state != filters.review_state:
        return None
    event, place = _event(session, submission)
    if (filters.start and event < filters.start) or (filters.end and event > filters.end):
        return None
    if filters.reach is not None and not filters.reach.admits(place):
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


def _event(session: Session, submission: Submission) -> tuple[date, RecordPlace | None]:
    """The record's event date (its upload date for forms without facts) and where it lies."""
    day, place = record_event(session, submission.id)  # type: ignore[arg-type]
    return day or submission.created_at.date(), place


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
