"""People who sign in to the coordinator pages (admin, coordinator, viewer): argon2 passwords, lockout after
repeated failures, an optional area, and API tokens for scripts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error
from sqlalchemy import update
from sqlmodel import Session, col, select

from server.core.errors import Conflict, Forbidden
from server.core.models import Audit, Place, WebUser, utcnow

ROLES = ("admin", "coordinator", "viewer")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def create_web_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: str,
    area_scheme: str | None = None,
    area_code: str | None = None,
    actor: str = "cli",
) -> WebUser:
    """Create a web user with an argon2-hashed password, optionally limited to an area (a unit of one structure)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if (area_scheme is None) != (area_code is None):
        raise ValueError("an area needs both a scheme (old or new) and a code")
    if (
        area_code is not None
        and session.exec(select(Place).where(Place.scheme == area_scheme, Place.code == area_code)).first() is None
    ):
        raise ValueError(f"no unit {area_code} in the {area_scheme} structure (run tgpl gazetteer load)")
    if session.exec(select(WebUser).where(WebUser.username == username)).first() is not None:
        raise Conflict(f"Tài khoản {username} đã có.", f"User {username} already exists.")
    user = WebUser(username=username, password_hash=PasswordHasher().hash(password), role=role,
                   area_scheme=area_scheme, area_code=area_code)  # fmt: skip
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
    except Argon2Error:
        return False


def sign_in(*, session: Session, username: str, password: str) -> WebUser:
    """The user, when the password is right and the account not locked.

    Each attempt is counted before the password is checked, in one atomic update, so parallel guesses cannot slip
    past the limit; the fifth failure locks the account for 15 minutes. The answer is the same for an unknown user,
    a wrong password and a locked account.
    """
    refused = Forbidden(
        "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang tạm khóa (15 phút sau 5 lần sai).",
        "Wrong username or password, or the account is locked (15 minutes after 5 failures).",
        code="403.2",
    )
    user = session.exec(select(WebUser).where(WebUser.username == username.strip())).first()
    now = utcnow()
    if user is None:
        PasswordHasher().hash(password)  # the same work as for a real account: no timing hint
        session.add(Audit(action="web_user.login_failed", actor="web", subject=f"username:{username.strip()[:64]}"))
        session.commit()
        raise refused
    attempts = session.execute(
        update(WebUser).where(col(WebUser.id) == user.id).values(failed_logins=col(WebUser.failed_logins) + 1)
        .returning(col(WebUser.failed_logins), col(WebUser.locked_until))
    ).one()  # fmt: skip
    session.commit()
    locked = _is_locked(attempts[1], now)
    if locked or attempts[0] > MAX_FAILURES or not verify_password(user, password):
        if attempts[0] >= MAX_FAILURES and not locked:
            session.execute(
                update(WebUser).where(col(WebUser.id) == user.id).values(locked_until=now + LOCKOUT, failed_logins=0)
            )
            session.add(Audit(action="web_user.lockout", actor="web", subject=f"web_user:{user.id}"))
        session.add(Audit(action="web_user.login_failed", actor="web", subject=f"web_user:{user.id}"))
        session.commit()
        raise refused
    session.execute(update(WebUser).where(col(WebUser.id) == user.id).values(failed_logins=0, locked_until=None))
    session.add(Audit(action="web_user.login", actor=f"web_user:{user.id}", subject=f"web_user:{user.id}"))
    session.commit()
    session.refresh(user)
    return user


def sign_out_everywhere(*, session: Session, user: WebUser) -> None:
    """End every session of a user (raises their session version); audited."""
    session.execute(
        update(WebUser).where(col(WebUser.id) == user.id).values(session_version=col(WebUser.session_version) + 1)
    )
    session.add(Audit(action="web_user.logout", actor=f"web_user:{user.id}", subject=f"web_user:{user.id}"))
    session.commit()


def new_api_token(*, session: Session, username: str, actor: str = "cli") -> str:
    """Give a user a new API token (shown once; the previous one stops working)."""
    user = session.exec(select(WebUser).where(WebUser.username == username)).first()
    if user is None:
        raise Forbidden(f"Không có tài khoản {username}.", f"No user {username}.")
    token = secrets.token_urlsafe(32)
    user.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    session.add(user)
    session.add(Audit(action="web_user.api_token", actor=actor, subject=f"web_user:{user.id}"))
    session.commit()
    return token


def user_by_api_token(*, session: Session, token: str) -> WebUser | None:
    """The user an API token belongs to."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    return session.exec(select(WebUser).where(WebUser.api_token_hash == digest)).first()


def _is_locked(until: datetime | None, now: datetime) -> bool:
    """Whether a lock lasts beyond now (SQLite hands datetimes back without their zone: they are UTC)."""
    if until is None:
        return False
    return (until if until.tzinfo else until.replace(tzinfo=UTC)) > now
