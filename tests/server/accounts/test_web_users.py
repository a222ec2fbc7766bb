"""The first admin account: created once, password stored as an argon2 hash."""

from __future__ import annotations

from sqlmodel import Session, select

from server.accounts.web_users import ensure_admin, verify_password
from server.core.models import WebUser


def test_admin_is_created_once_with_an_argon2_hash(session: Session) -> None:
    password = ensure_admin(session=session)
    assert password is not None
    assert ensure_admin(session=session) is None
    (admin,) = session.exec(select(WebUser)).all()
    assert (admin.username, admin.role) == ("admin", "admin")
    assert admin.password_hash.startswith("$argon2id$")
    assert password not in admin.password_hash
    assert verify_password(admin, password)
    assert not verify_password(admin, password + "x")
