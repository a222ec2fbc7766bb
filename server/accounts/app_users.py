"""App users: collaborators' devices, each with a secret token in its OpenRosa URL (stored only hashed)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from server.core.errors import Forbidden, NotFound
from server.core.models import AppUser, AppUserForm, Audit, Form, Submission, utcnow
from server.publishing.forms import get_form

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{64}$")


@dataclass(frozen=True, slots=True)
class AppUserRow:
    """An app user as listed: never the token, which only its creator saw."""

    id: int
    name: str
    forms: tuple[str, ...]  # empty: every open form
    revoked: bool
    submissions: int


def hash_token(token: str) -> str:
    """The stored form of a token (sha256: tokens carry 384 random bits, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def create_app_user(
    *, session: Session, name: str, form_ids: Sequence[str] = (), actor: str = "cli"
) -> tuple[AppUser, str]:
    """Create an app user, optionally limited to some forms; returns it with its token (shown once)."""
    name = name.strip()
    if not name:
        raise ValueError("an app user needs a name")
    forms = [get_form(session, form_id) for form_id in form_ids]
    token = secrets.token_urlsafe(48)  # 64 characters of A-Z a-z 0-9 - _
    user = AppUser(name=name, token_hash=hash_token(token))
    session.add(user)
    session.flush()
    for form in forms:
        session.add(AppUserForm(app_user_id=user.id, form_id=form.id))  # type: ignore[arg-type]
    session.add(
        Audit(
            action="app_user.create",
            actor=actor,
            subject=f"app_user:{user.id}",
            details=json.dumps({"name": name, "forms": list(form_ids)}, ensure_ascii=False),
        )
    )
    session.commit()
    session.refresh(user)
    return user, token


# Built once: every phone request authenticates.
BY_TOKEN = select(AppUser).where(col(AppUser.token_hash) == bindparam("token_hash"))
FORMS_OF_USER = select(AppUserForm.form_id).where(col(AppUserForm.app_user_id) == bindparam("user"))


def authenticate(*, session: Session, token: str) -> AppUser:
    """The app user owning this token; Forbidden when it is malformed, unknown or revoked."""
    user = None
    if TOKEN_PATTERN.match(token):
        user = session.exec(BY_TOKEN, params={"token_hash": hash_token(token)}).first()
    if user is None or user.revoked_at is not None:
        raise Forbidden(
            "Mã truy cập của máy này không hợp lệ hoặc đã bị thu hồi. Hãy xin điều phối viên mã QR mới.",
            "This device's access key is unknown or revoked. Ask your coordinator for a new QR code.",
        )
    return user


def allowed_form_ids(session: Session, user: AppUser) -> set[int] | None:
    """The form row ids this app user is limited to, or None when it may use every form."""
    ids = set(session.exec(FORMS_OF_USER, params={"user": user.id}).all())
    return ids or None


def require_form_access(session: Session, user: AppUser, form: Form) -> None:
    """Forbidden unless the app user may use this form."""
    allowed = allowed_form_ids(session, user)
    if allowed is not None and form.id not in allowed:
        raise Forbidden(
            f"Máy này không được giao biểu mẫu {form.xml_form_id}.",
            f"This device is not allowed to use form {form.xml_form_id}.",
        )


def revoke(*, session: Session, app_user_id: int, actor: str = "cli") -> AppUser:
    """Revoke an app user's token: its next request gets 403."""
    user = session.get(AppUser, app_user_id)
    if user is None:
        raise NotFound(f"Không có người dùng ứng dụng số {app_user_id}.", f"No app user {app_user_id}.")
    if user.revoked_at is None:
        user.revoked_at = utcnow()
        session.add(user)
        session.add(Audit(action="app_user.revoke", actor=actor, subject=f"app_user:{app_user_id}"))
        session.commit()
        session.refresh(user)
    return user


def list_app_users(session: Session) -> list[AppUserRow]:
    """Every app user with its form limits and how many submissions it sent."""
    counts = dict(
        session.exec(
            select(Submission.app_user_id, func.count()).group_by(Submission.app_user_id)  # type: ignore[arg-type]
        ).all()
    )
    limits: dict[int, list[str]] = {}
    for user_id, xml_form_id in session.exec(
        select(AppUserForm.app_user_id, Form.xml_form_id).join(Form, Form.id == AppUserForm.form_id)  # type: ignore[arg-type]
    ).all():
        limits.setdefault(user_id, []).append(xml_form_id)
    return [
        AppUserRow(
            id=user.id,  # type: ignore[arg-type]
            name=user.name,
            forms=tuple(sorted(limits.get(user.id, []))),  # type: ignore[arg-type]
            revoked=user.revoked_at is not None,
            submissions=counts.get(user.id, 0),
        )
        for user in session.exec(select(AppUser).order_by(AppUser.id)).all()  # type: ignore[arg-type]
    ]
