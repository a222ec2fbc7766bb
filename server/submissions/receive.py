"""Receiving submissions: the one writer of submission rows. A 201 is only promised after commit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import Table, and_, bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from forms.xform import local, read_xform
from server.accounts.app_users import require_form_access
from server.core.db import writer_turn
from server.core.errors import BadRequest, Conflict, NotFound
from server.core.models import (
    AppUser,
    Audit,
    Form,
    FormVersion,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
    utcnow,
)
from server.core.storage import BlobRef, BlobStore
from server.publishing.forms import get_form
from server.submissions import refusals as refusals
from server.submissions.facts import Owner, record_facts
from server.submissions.instance import CONTROL, Instance, binary_values, parse_instance


@dataclass(frozen=True, slots=True)
class Part:
    """One file part of a multipart submission: the part name is the attachment's file name."""

    name: str
    content_type: str | None
    stream: BinaryIO


@dataclass(frozen=True, slots=True)
class Received:
    """What happened to a submission POST; every outcome here is a success for the phone."""

    submission_id: int
    instance_id: str
    outcome: str  # created | duplicate | edited
    attachments_expected: int
    attachments_present: int

    @property
    def message_vi(self) -> str:
        """What the collaborator reads in Collect after sending."""
        missing = self.attachments_expected - self.attachments_present
        if missing:
            return f"Máy chủ đã nhận phiếu; còn chờ {missing} tệp đính kèm."
        return "Máy chủ đã nhận đầy đủ phiếu. Cảm ơn!"

    @property
    def message_en(self) -> str:
        """The English half of the message."""
        missing = self.attachments_expected - self.attachments_present
        if missing:
            return f"Submission received; {missing} attachment(s) still expected."
        return "Full submission upload was successful!"


def receive(
    *,
    session: Session,
    store: BlobStore,
    app_user: AppUser,
    xml: bytes,
    parts: Mapping[str, Part],
    device_id: str | None = None,
    user_agent: str | None = None,
) -> Received:
    """Store a submission (new, resend, split upload or edit) and commit before returning."""
    instance = parse_instance(xml)
    form, version = _form_version(session, instance)
    if version is None:
        raise NotFound(
            f"Máy chủ không có phiên bản {instance.version!r} của biểu mẫu {form.xml_form_id}. "
            "Hãy tải lại biểu mẫu (Get Blank Form).",
            f"Form {form.xml_form_id} has no version {instance.version!r}.",
            code="404.6",
        )
    if form.state != "open":
        raise Conflict(
            f"Biểu mẫu {form.xml_form_id} đã đóng, không nhận thêm phiếu.",
            f"Form {form.xml_form_id} is closed and no longer accepts submissions.",
            code="409.2",
        )
    require_form_access(session, app_user, form)
    root = _instance_root(session, version)
    if local(instance.root.tag) != root:
        raise BadRequest(
            f"Phiếu không khớp biểu mẫu {form.xml_form_id}: phần tử gốc là <{local(instance.root.tag)[:100]}>, "
            f"biểu mẫu dùng <{root}>. Hãy tải lại biểu mẫu.",
            f"The instance's root element <{local(instance.root.tag)[:100]}> is not form {form.xml_form_id}'s "
            f"<{root}>.",
            code="400.8",
        )
    new = _refuse_early(session, form, instance, hashlib.sha256(xml).hexdigest())
    expected = binary_values(instance.root, json.loads(version.binary_paths))
    # Blobs first (fsynced, content-addressed so a retry rewrites nothing), then one transaction.
    xml_ref = store.put_bytes(xml)
    files = {
        name: (store.put_stream(parts[name].stream), _clean(parts[name].content_type, 255))
        for name in expected
        if name in parts
    }
    context = _Context(
        form, version, instance, app_user, xml_ref, files, expected, _clean(device_id, 255), _clean(user_agent, 1000)
    )
    with writer_turn(session.get_bind()):
        try:
            # Seen as new a moment ago: insert at once; the unique instanceID catches one that arrived meanwhile.
            return _create(session, context) if new else _record(session, context)
        except IntegrityError:
            # Two copies of the same instance raced; the loser sees the winner's row on the second try.
            session.rollback()
            return _record(session, context)


# Statements built once: building a SELECT costs more than running it, and this runs for every submission.
FORM_VERSION = (
    select(Form, FormVersion)
    .outerjoin(
        FormVersion,
        and_(col(FormVersion.form_id) == col(Form.id), col(FormVersion.version) == bindparam("version")),
    )
    .where(col(Form.xml_form_id) == bindparam("form_id"))
    .options(defer(FormVersion.xml))  # type: ignore[arg-type]  # 50 kB of XForm the receiving path does not read
)
DEF_BY_INSTANCE = select(SubmissionDef).where(
    col(SubmissionDef.form_id) == bindparam("form_id"), col(SubmissionDef.instance_id) == bindparam("instance_id")
)


_ROOTS: dict[str, str] = {}  # sha256 of an XForm → its instance root element (the same bytes, the same root)


def _instance_root(session: Session, version: FormVersion) -> str:
    """The root element an instance of this version must have (read from the XForm once per process).

    Keyed by the XForm's hash, not the row id: one process may serve several databases (tests do)."""
    if version.sha256 not in _ROOTS:
        xform = session.exec(select(FormVersion.xml).where(FormVersion.id == version.id)).one()
        _ROOTS[version.sha256] = read_xform(xform).root
    return _ROOTS[version.sha256]


def _refuse_early(session: Session, form: Form, instance: Instance, xml_sha256: str) -> bool:
    """The refusals _record would make, decided before any blob is written so that a refused POST leaves nothing
    behind; whether the instance is new (neither stored nor an edit). _record decides again inside the transaction:
    this is only the common case, not a guarantee."""
    existing = _def_by_instance(session, form, instance.instance_id)
    if existing is not None:
        if existing.xml_sha256 != xml_sha256:
            raise refusals.other_xml()
        if not existing.current:
            raise refusals.replaced()
        return False
    if not instance.deprecated_id:
        return True
    old = _def_by_instance(session, form, instance.deprecated_id)
    if old is None:
        raise refusals.unknown_original(instance.deprecated_id)
    if not old.current:
        # Replaced since the first look: by this very edit, sent twice at once (a resend), or by another one.
        stored = _def_by_instance(session, form, instance.instance_id)
        if stored is None:
            raise refusals.already_edited()
        if stored.xml_sha256 != xml_sha256:
            raise refusals.other_xml()
    return False


def _form_version(session: Session, instance: Instance) -> tuple[Form, FormVersion | None]:
    """The form the instance names and its version (None when the server has no such version); NotFound."""
    row = session.exec(FORM_VERSION, params={"form_id": instance.form_id, "version": instance.version}).first()
    if row is None:
        get_form(session, instance.form_id)  # raises the NotFound every form lookup gives
        raise AssertionError("unreachable")
    return row[0], row[1]


def _clean(text: str | None, limit: int) -> str | None:
    """Client-supplied text made safe to store: no control characters (PostgreSQL refuses NUL), bounded."""
    if text is None:
        return None
    return CONTROL.sub("", text)[:limit] or None


@dataclass(frozen=True, slots=True)
class _Context:
    form: Form
    version: FormVersion
    instance: Instance
    app_user: AppUser
    xml: BlobRef
    files: dict[str, tuple[BlobRef, str | None]]
    expected: list[str]
    device_id: str | None
    user_agent: str | None


def _record(session: Session, c: _Context) -> Received:
    existing = _def_by_instance(session, c.form, c.instance.instance_id)
    if existing is not None:
        return _resend(session, c, existing)
    if c.instance.deprecated_id:
        return _edit(session, c)
    return _create(session, c)


SUBMISSION: Table = Submission.__table__  # type: ignore[attr-defined]
SUBMISSION_DEF: Table = SubmissionDef.__table__  # type: ignore[attr-defined]
ATTACHMENT: Table = SubmissionAttachment.__table__  # type: ignore[attr-defined]
AUDIT: Table = Audit.__table__  # type: ignore[attr-defined]


def _create(session: Session, c: _Context) -> Received:
    """A new submission: a handful of plain INSERTs and one commit (this is the path every phone takes)."""
    connection = session.connection()
    now = utcnow()
    submission_id: int = connection.execute(
        insert(SUBMISSION).returning(SUBMISSION.c.id),
        {"form_id": c.form.id, "instance_id": c.instance.instance_id, "app_user_id": c.app_user.id,
         "device_id": c.device_id, "review_state": None, "created_at": now},
    ).scalar_one()  # fmt: skip
    def_id: int = connection.execute(
        insert(SUBMISSION_DEF).returning(SUBMISSION_DEF.c.id), _def_values(c, submission_id, now)
    ).scalar_one()
    rows = _attachment_values(c, def_id, carried={})
    if rows:
        connection.execute(insert(ATTACHMENT), rows)
    owner = Owner(submission_id, def_id, c.app_user.id, c.instance.instance_id)
    record_facts(session=session, xml_form_id=c.form.xml_form_id, owner=owner, root=c.instance.root, new=True)
    connection.execute(insert(AUDIT), _audit_values(c, "submission.create", submission_id, None, now))
    session.commit()
    present = sum(1 for row in rows if row["sha256"] is not None)
    return Received(submission_id, c.instance.instance_id, "created", len(c.expected), present)


def _resend(session: Session, c: _Context, existing: SubmissionDef) -> Received:
    """Same instanceID again: identical XML fills in attachments (split upload, resend); other XML is refused."""
    if existing.xml_sha256 != c.xml.sha256:
        raise refusals.other_xml()
    if not existing.current:
        raise refusals.replaced()
    rows = _attachments(session, existing)
    changed = []
    for row in rows:
        blob = c.files.get(row.name)
        if blob is not None and row.sha256 != blob[0].sha256:
            row.sha256, row.size, row.content_type = blob[0].sha256, blob[0].size, blob[1]
            session.add(row)
            changed.append(row.name)
    submission = session.get(Submission, existing.submission_id)
    if changed:
        _audit(session, c, "submission.attachment.update", submission, {"attachments": changed})
    session.commit()
    present = sum(1 for row in rows if row.sha256)
    return Received(existing.submission_id, c.instance.instance_id, "duplicate", len(rows), present)


def _edit(session: Session, c: _Context) -> Received:
    """A deprecatedID makes this XML the new current version of an earlier submission."""
    old = _def_by_instance(session, c.form, c.instance.deprecated_id or "")
    if old is None:
        raise refusals.unknown_original(c.instance.deprecated_id or "")
    if not old.current:
        return _edited_meanwhile(session, c)
    submission = session.get(Submission, old.submission_id)
    assert submission is not None
    # Only one edit may replace a version: the conditional update loses the race against a concurrent edit.
    replaced = session.execute(
        update(SubmissionDef)
        .where(SubmissionDef.id == old.id, SubmissionDef.current == True)  # type: ignore[arg-type]  # noqa: E712
        .values(current=False)
    )
    if replaced.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return _edited_meanwhile(session, c)
    session.expire(old)
    carried = {row.name: row for row in _attachments(session, old) if row.sha256}
    connection = session.connection()
    now = utcnow()
    def_id: int = connection.execute(
        insert(SUBMISSION_DEF).returning(SUBMISSION_DEF.c.id),
        _def_values(c, submission.id, now),  # type: ignore[arg-type]
    ).scalar_one()
    rows = _attachment_values(c, def_id, carried=carried)
    if rows:
        connection.execute(insert(ATTACHMENT), rows)
    owner = Owner(submission.id, def_id, c.app_user.id, submission.instance_id)  # type: ignore[arg-type]
    record_facts(session=session, xml_form_id=c.form.xml_form_id, owner=owner, root=c.instance.root, new=False)
    submission.review_state = "edited"
    session.add(submission)
    details: dict[str, object] = {"deprecated_id": c.instance.deprecated_id}
    connection.execute(insert(AUDIT), _audit_values(c, "submission.update.version", submission.id, details, now))
    session.commit()
    present = sum(1 for row in rows if row["sha256"] is not None)
    return Received(submission.id, c.instance.instance_id, "edited", len(c.expected), present)  # type: ignore[arg-type]


def _edited_meanwhile(session: Session, c: _Context) -> Received:
    """The version this edit replaces is no longer current. When that is because this very edit was stored
    meanwhile (the same XML sent twice at once, to this server or another), it is a resend: 201. Otherwise
    another edit won, and this one is refused."""
    stored = _def_by_instance(session, c.form, c.instance.instance_id)
    if stored is not None:
        return _resend(session, c, stored)
    raise refusals.already_edited()


def _def_values(c: _Context, submission_id: int, now: datetime) -> dict[str, object]:
    return {
        "submission_id": submission_id,
        "form_id": c.form.id,
        "form_version_id": c.version.id,
        "instance_id": c.instance.instance_id,
        "deprecated_id": c.instance.deprecated_id,
        "instance_name": c.instance.instance_name,
        "xml_sha256": c.xml.sha256,
        "xml_size": c.xml.size,
        "current": True,
        "app_user_id": c.app_user.id,
        "device_id": c.device_id,
        "user_agent": c.user_agent,
        "created_at": now,
    }


def _attachment_values(
    c: _Context, def_id: int, *, carried: Mapping[str, SubmissionAttachment]
) -> list[dict[str, object]]:
    """One row per file the XML names: sent now, carried over from the edited version, or still missing."""
    rows: list[dict[str, object]] = []
    for name in c.expected:
        row: dict[str, object] = {"submission_def_id": def_id, "name": name, "sha256": None, "size": None,
                                  "content_type": None}  # fmt: skip
        if name in c.files:
            ref, content_type = c.files[name]
            row.update(sha256=ref.sha256, size=ref.size, content_type=content_type)
        elif name in carried:
            old = carried[name]
            row.update(sha256=old.sha256, size=old.size, content_type=old.content_type)
        rows.append(row)
    return rows


def _audit_values(
    c: _Context, action: str, submission_id: int | None, details: dict[str, object] | None, now: datetime
) -> dict[str, object]:
    return {
        "at": now,
        "action": action,
        "actor": f"app_user:{c.app_user.id}",
        "subject": f"submission:{submission_id if submission_id is not None else '?'}",
        "details": json.dumps({"instance_id": c.instance.instance_id, **(details or {})}),
    }


def _audit(
    session: Session,
    c: _Context,
    action: str,
    submission: Submission | None,
    details: dict[str, object] | None = None,
) -> None:
    session.connection().execute(
        insert(AUDIT), _audit_values(c, action, submission.id if submission else None, details, utcnow())
    )


def _def_by_instance(session: Session, form: Form, instance_id: str) -> SubmissionDef | None:
    return session.exec(DEF_BY_INSTANCE, params={"form_id": form.id, "instance_id": instance_id}).first()


def _attachments(session: Session, submission_def: SubmissionDef) -> list[SubmissionAttachment]:
    return list(
        session.exec(
            select(SubmissionAttachment)
            .where(SubmissionAttachment.submission_def_id == submission_def.id)
            .order_by(SubmissionAttachment.id)  # type: ignore[arg-type]
        ).all()
    )
