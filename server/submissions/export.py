"""Reading the current versions of a form's submissions for export, newest first, in batches (constant memory)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO, cast

import sqlalchemy
from sqlalchemy import Engine, and_, func, tuple_
from sqlmodel import Session, col, select

from exports import ExportStats, ExportSubmission, write_csv_zip
from exports.csv_zip import Attachments
from exports.policy import CENTRAL, ExportPolicy
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
from server.places.areas import Reach, RecordPlace
from server.publishing.forms import current_version, get_form

BATCH = 1000


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
    was de-identified too).

    Read in pages of BATCH by keyset (created_at, id), two statements a page whatever its size: one brings each
    submission with its current version, its edit count and its facts' event date and place, the other the
    page's attachment counts. The XML of a page is read from the blob store by a thread while the previous page
    is being written, so the export does not wait on the disk."""
    form = get_form(session, xml_form_id)
    session.add(Audit(action="form.submission.export", actor=actor, subject=f"form:{xml_form_id}",
                      details=json.dumps({"filters": repr(filters), "deidentified": deidentified})))  # fmt: skip
    session.commit()
    names = dict(session.exec(select(AppUser.id, AppUser.name)).all())
    versions = dict(
        session.exec(select(FormVersion.id, FormVersion.version).where(FormVersion.form_id == form.id)).all()
    )
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as reader:
        waiting: tuple[list[Any], dict[int, tuple[int, int]], Future[list[bytes]]] | None = None
        for page in _pages(session, form.id, filters):  # type: ignore[arg-type]
            counts = _attachment_counts(session, [row.def_id for row in page])
            reading = (page, counts, reader.submit(_read_all, store, [row.xml_sha256 for row in page]))
            if waiting is not None:
                yield from _page_submissions(waiting, names, versions)  # the previous page, read meanwhile
            waiting = reading
        if waiting is not None:
            yield from _page_submissions(waiting, names, versions)


def _read_all(store: BlobStore, hashes: list[str]) -> list[bytes]:
    """A page's XML, read in order (in the reader thread: the disk waits while the previous page is written)."""
    return [store.read(sha) for sha in hashes]


def _page_submissions(
    page: tuple[list[Any], dict[int, tuple[int, int]], Future[list[bytes]]],
    names: dict[int | None, str],
    versions: dict[int | None, str],
) -> Iterator[ExportSubmission]:
    rows, counts, read = page
    for row, xml in zip(rows, read.result(), strict=True):
        yield _submission(row, xml, names, versions, counts.get(row.def_id, (0, 0)))


def _pages(session: Session, form_id: int, filters: ExportFilter) -> Iterator[list[Any]]:
    """The matching submissions' rows, a page at a time, newest first."""
    edits = (
        select(func.count())
        .where(col(SubmissionDef.submission_id) == col(Submission.id))
        .correlate(Submission)
        .scalar_subquery()
    )
    query = (
        sqlalchemy.select(
            col(Submission.id), col(Submission.instance_id), col(Submission.created_at),
            col(Submission.app_user_id), col(Submission.device_id), col(Submission.review_state),
            col(SubmissionDef.id).label("def_id"), col(SubmissionDef.xml_sha256), col(SubmissionDef.form_version_id),
            edits.label("versions"),
            func.coalesce(SessionFact.session_date, PersonFact.intake_date).label("event"),
            func.coalesce(SessionFact.commune_code, PersonFact.commune_code).label("commune_code"),
            func.coalesce(SessionFact.old_commune_code, PersonFact.old_commune_code).label("old_commune_code"),
            func.coalesce(SessionFact.old_district_code, PersonFact.old_district_code).label("old_district_code"),
            (col(SessionFact.submission_id).is_not(None) | col(PersonFact.submission_id).is_not(None)).label("placed"),
        )
        .join(SubmissionDef, and_(col(SubmissionDef.submission_id) == col(Submission.id), col(SubmissionDef.current)))
        .outerjoin(SessionFact, col(SessionFact.submission_id) == col(Submission.id))
        .outerjoin(PersonFact, col(PersonFact.submission_id) == col(Submission.id))
        .where(col(Submission.form_id) == form_id)
        .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
        .limit(BATCH)
    )  # fmt: skip
    if filters.review_state:
        query = query.where(func.coalesce(col(Submission.review_state), "received") == filters.review_state)
    after: tuple[Any, int] | None = None
    while True:
        page_query = query
        if after is not None:
            # a row value: a range of the (form_id, created_at, id) index, not a sort of the form's rows per page
            page_query = query.where(tuple_(col(Submission.created_at), col(Submission.id)) < tuple_(*after))
        rows = session.execute(page_query).all()
        if not rows:
            return
        after = (rows[-1].created_at, rows[-1].id)
        kept = [row for row in rows if _wanted(row, filters)]
        if kept:
            yield kept
        if len(rows) < BATCH:  # the last page: no need to ask for an empty one
            return


def _wanted(row: Any, filters: ExportFilter) -> bool:
    """Whether a row passes the period and area filters (the review filter is in the query)."""
    if filters.start or filters.end:
        event = row.event or row.created_at.date()  # the upload date for forms without facts
        if (filters.start and event < filters.start) or (filters.end and event > filters.end):
            return False
    if filters.reach is None:
        return True
    place = RecordPlace(row.commune_code, row.old_commune_code, row.old_district_code) if row.placed else None
    return filters.reach.admits(place)


def _attachment_counts(session: Session, def_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per submission version of a page: (attachments present, attachments expected)."""
    query = (
        sqlalchemy.select(
            col(SubmissionAttachment.submission_def_id), func.count(col(SubmissionAttachment.sha256)), func.count()
        )
        .where(col(SubmissionAttachment.submission_def_id).in_(def_ids))
        .group_by(col(SubmissionAttachment.submission_def_id))
    )
    rows = cast(list[tuple[int, int, int]], session.execute(query).all())
    return {def_id: (present, expected) for def_id, present, expected in rows}


def _submission(
    row: Any, xml: bytes, names: dict[int | None, str], versions: dict[int | None, str],
    files: tuple[int, int],
) -> ExportSubmission:  # fmt: skip
    present, expected = files
    return ExportSubmission(
        instance_id=row.instance_id,
        submission_date=row.created_at,
        submitter_id=row.app_user_id,
        submitter_name=names.get(row.app_user_id),
        attachments_present=present,
        attachments_expected=expected,
        status=None,
        review_state=row.review_state,
        device_id=row.device_id,
        edits=row.versions - 1,
        form_version=versions.get(row.form_version_id, ""),
        xml=xml,
    )


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
