"""People who sign in to the coordinator pages; passwords are argon2 hashes."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from sqlmodel import Session, select

from server.models import Audit, WebUser

ROLES = ("admin", "coordinator", "viewer")


def create_web_user(*, session: Session, username: str, password: str, role: str, actor: str = "cli") -> WebUser:
    """Create a web user with an argon2-hashed password."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    user = WebUser(username=username, password_hash=PasswordHasher().hash(password), role=role)
    session.add(user)
    session.flush()
    session.add(Audit(action="web_user.create", actor=actor, subject=f"web_user:{user.id}"))
    session.commit()
    session.refresh(user)
    return user


def ensure_admin(*, session: Session, username: str = "admin") -> str | None:
    """Create the first admin when there is none; returns its random password (shown once) or None."""
    if session.exec(select(WebUser).where(WebUser.role == "admin")).first() is not None:
        return None
    password = secrets.token_urlsafe(12)
    create_web_user(session=session, username=username, password=password, role="admin")
    return password


def verify_password(user: WebUser, password: str) -> bool:
    """Whether password matches the user's stored hash."""
    try:
        return PasswordHasher().verify(user.password_hash, password)
    except Exception:  # argon2 raises VerifyMismatchError, InvalidHashError...
        return False
