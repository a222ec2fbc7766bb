"""Publishing forms: immutable versions of XForm bytes with their media, open/closed state, sensitivity."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from forms.xform import read_xform
from server.core.errors import Conflict, FormInvalid, NotFound
from server.core.models import Audit, Form, FormMedia, FormVersion
from server.core.storage import BlobStore
from server.places.media import DATASETS, render

SAFE_MEDIA_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")
SENSITIVE_BY_DEFAULT = frozenset({"tgpl_person"})  # people's records: sensitive from their first publish


@dataclass(frozen=True, slots=True)
class Published:
    """The outcome of a publish: which version is now current, and whether anything changed."""

    form_id: str
    version: str
    title: str
    md5: str
    media: tuple[str, ...]
    changed: bool


@dataclass(frozen=True, slots=True)
class FormSummary:
    """A form as listed to people and phones: its current version and state."""

    form: Form
    current: FormVersion
    media: tuple[FormMedia, ...]


def publish_xform(
    *, session: Session, store: BlobStore, xform: bytes, media: Mapping[str, bytes], actor: str = "cli"
) -> Published:
    """Store a new immutable version of a form, or do nothing when this exact version is already there."""
    info = read_xform(xform)
    generated = {name: DATASETS[name] for name in info.media if name not in media and name in DATASETS}
    missing = [name for name in info.media if name not in media and name not in generated]
    if missing:
        names = ", ".join(missing)
        raise FormInvalid(
            f"Biểu mẫu cần tệp đính kèm chưa được cung cấp: {names}",
            f"The form references media files that were not supplied: {names}",
        )
    for name in media:
        if not SAFE_MEDIA_NAME.match(name) or name in {".", ".."}:
            raise FormInvalid(f"Tên tệp không hợp lệ: {name!r}", f"Invalid media file name: {name!r}")
    sha = hashlib.sha256(xform).hexdigest()
    form = session.exec(select(Form).where(Form.xml_form_id == info.form_id)).first()
    if form is None:
        form = Form(xml_form_id=info.form_id, sensitive=info.form_id in SENSITIVE_BY_DEFAULT)
        session.add(form)
        session.flush()
    existing = session.exec(
        select(FormVersion).where(FormVersion.form_id == form.id, FormVersion.version == info.version)
    ).first()
    if existing is not None:
        stored = {m.filename: m.dataset or m.sha256 for m in _media_of(session, existing)}
        wanted = {**{name: hashlib.sha256(data).hexdigest() for name, data in media.items()}, **generated}
        if existing.sha256 == sha and stored == wanted:
            session.rollback()
            return Published(info.form_id, info.version, existing.title, existing.md5, tuple(stored), False)
        session.rollback()
        raise Conflict(
            f"Biểu mẫu {info.form_id} phiên bản {info.version!r} đã được xuất bản với nội dung khác. "
            "Hãy tăng số phiên bản (version) trong trang settings.",
            f"Form {info.form_id} version {info.version!r} was already published with different content. "
            "Raise the version in the settings sheet.",
        )
    media_refs = {name: store.put_bytes(data) for name, data in sorted(media.items())}  # only for a new version
    version = FormVersion(
        form_id=form.id,  # type: ignore[arg-type]
        version=info.version,
        title=info.title,
        xml=xform,
        md5=hashlib.md5(xform).hexdigest(),  # noqa: S324 - OpenRosa form hashes are md5
        sha256=sha,
        binary_paths=json.dumps(list(info.binary_paths)),
    )
    session.add(version)
    session.flush()
    for name, ref in media_refs.items():
        session.add(
            FormMedia(
                form_version_id=version.id,  # type: ignore[arg-type]
                filename=name,
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                sha256=ref.sha256,
                md5=ref.md5,
                size=ref.size,
            )
        )
    for name, dataset in generated.items():
        session.add(
            FormMedia(
                form_version_id=version.id,  # type: ignore[arg-type]
                filename=name,
                content_type="text/csv",
                sha256="",
                md5="",
                size=0,
                dataset=dataset,
            )
        )
    session.add(
        Audit(
            action="form.publish",
            actor=actor,
            subject=f"form:{info.form_id}",
            details=json.dumps({"version": info.version, "md5": version.md5}),
        )
    )
    session.commit()
    return Published(info.form_id, info.version, info.title, version.md5, (*media_refs, *generated), True)


def current_version(session: Session, form: Form) -> FormVersion | None:
    """The version phones get: the one published last."""
    return session.exec(
        select(FormVersion).where(FormVersion.form_id == form.id).order_by(FormVersion.id.desc())  # type: ignore[union-attr]
    ).first()


def _media_of(session: Session, version: FormVersion) -> Sequence[FormMedia]:
    return session.exec(
        select(FormMedia).where(FormMedia.form_version_id == version.id).order_by(FormMedia.filename)
    ).all()


def list_forms(session: Session, *, open_only: bool = False, form_ids: set[int] | None = None) -> list[FormSummary]:
    """Forms with their current version, ordered by title (as Central orders its form list)."""
    latest = (
        select(FormVersion.form_id, func.max(FormVersion.id).label("version_id"))
        .group_by(FormVersion.form_id)  # type: ignore[arg-type]
        .subquery()
    )
    query = (
        select(Form, FormVersion)
        .join(latest, latest.c.form_id == Form.id)
        .join(
            FormVersion,
            FormVersion.id == latest.c.version_id,  # type: ignore[arg-type]
        )
    )
    query = query.options(defer(FormVersion.xml))  # type: ignore[arg-type]  # a list needs no XForm bodies
    if open_only:
        query = query.where(Form.state == "open")
    if form_ids is not None:
        query = query.where(Form.id.in_(form_ids))  # type: ignore[union-attr]
    rows = session.exec(query).all()
    media: dict[int | None, list[FormMedia]] = {version.id: [] for _form, version in rows}
    if media:  # one query for the media of every listed version, not one per form
        for item in session.exec(
            select(FormMedia)
            .where(col(FormMedia.form_version_id).in_(list(media)))
            .order_by(col(FormMedia.form_version_id), col(FormMedia.filename))
        ).all():
            media[item.form_version_id].append(item)
    summaries = [FormSummary(form, version, tuple(media[version.id])) for form, version in rows]
    return sorted(summaries, key=lambda s: (s.current.title.casefold(), s.form.xml_form_id))


def get_form(session: Session, xml_form_id: str) -> Form:
    """A form by its id, or NotFound."""
    form = session.exec(select(Form).where(Form.xml_form_id == xml_form_id)).first()
    if form is None:
        raise NotFound(
            f"Không tìm thấy biểu mẫu {xml_form_id!r} trên máy chủ.", f"Form {xml_form_id!r} does not exist."
        )
    return form


def set_state(*, session: Session, xml_form_id: str, state: str, actor: str = "cli") -> Form:
    """Open or close a form; a closed form is not listed and refuses submissions."""
    if state not in {"open", "closed"}:
        raise ValueError(state)
    form = get_form(session, xml_form_id)
    form.state = state
    session.add(form)
    session.add(Audit(action=f"form.{state}", actor=actor, subject=f"form:{xml_form_id}"))
    session.commit()
    session.refresh(form)
    return form


def set_sensitive(*, session: Session, xml_form_id: str, sensitive: bool, actor: str = "cli") -> Form:
    """Mark a form sensitive (viewers get its aggregates only, no rows in any format) or not; audited."""
    form = get_form(session, xml_form_id)
    form.sensitive = sensitive
    session.add(form)
    action = "form.sensitive.on" if sensitive else "form.sensitive.off"
    session.add(Audit(action=action, actor=actor, subject=f"form:{xml_form_id}"))
    session.commit()
    session.refresh(form)
    return form


def media_content(session: Session, store: BlobStore, media: FormMedia) -> tuple[bytes, str]:
    """The bytes phones download for a media file and their md5: stored, or generated now from the gazetteer."""
    if media.dataset:
        data = render(session, media.dataset)
        return data, hashlib.md5(data).hexdigest()  # noqa: S324 - OpenRosa media hashes are md5
    return store.read(media.sha256), media.md5
