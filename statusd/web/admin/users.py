"""Dashboard users: roles, argon2 password hashes, the password policy and every user change."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from statusd.db import utcnow
from statusd.models import User
from statusd.status import audit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
MAX_PASSWORD = 1024  # longer input is refused before hashing (no CPU burnt on megabytes)
# A few passwords every guesser tries first (breach lists are beyond a short set).
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "passw0rd", "1234567890", "0123456789",
    "12345678910", "qwertyuiop", "azertyuiop", "iloveyou12", "letmein123", "welcome123",
    "administrator", "changeme123", "statusd123", "qwerty12345", "1q2w3e4r5t",
})

HASHER = PasswordHasher()  # argon2id with the library's recommended cost


class Role(StrEnum):
    """Dashboard roles, least first: each role may do what the ones before it may."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """True when this role is at least `needed`."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


class UserError(ValueError):
    """A user change the store refuses, with a message fit to show."""


@dataclass(frozen=True, slots=True)
class Who:
    """The logged-in user, as endpoints and templates see them."""

    id: int
    username: str
    role: Role

    @property
    def actor(self) -> str:
        """The audit actor for this user's changes."""
        return f"admin:{self.username}"

    @property
    def can_operate(self) -> bool:
        """May change statuses, incidents, maintenance and alerts."""
        return self.role.allows(Role.OPERATOR)

    @property
    def is_admin(self) -> bool:
        """May manage users."""
        return self.role is Role.ADMIN


def who(user: User) -> Who:
    """The Who of a table row."""
    assert user.id is not None
    return Who(user.id, user.username, Role(user.role))


def normalise_username(name: str) -> str:
    """The stored form of a username (lower case), or UserError."""
    name = name.strip().lower()
    if not USERNAME.match(name):
        raise UserError("a username is 1 to 64 of a-z, 0-9 and . _ @ -, starting with a letter "
                        "or digit")
    return name


def parse_role(value: str) -> Role:
    """A role by name, or UserError."""
    try:
        return Role(value)
    except ValueError:
        raise UserError(f"unknown role {value!r} (admin, operator or viewer)") from None


def check_password(password: str, username: str, min_length: int) -> None:
    """Refuse empty, short, overlong, one-character or guessable passwords with UserError."""
    if not password:
        raise UserError("the password is empty")
    if len(password) < min_length:
        raise UserError(f"the password is too short: at least {min_length} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password is too long: at most {MAX_PASSWORD} characters")
    lowered = password.lower()
    if len(set(password)) < 4:
        raise UserError("the password is too simple: use more different characters")
    if len(username) >= 3 and username in lowered:
        raise UserError("the password must not contain the username")
    if lowered in COMMON_PASSWORDS:
        raise UserError("the password is one of the most common ones")


def hash_password(password: str) -> str:
    """An argon2id hash of password."""
    return HASHER.hash(password)


_dummy_lock = threading.Lock()
_dummy: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so timing does not tell."""
    with _dummy_lock:
        key = id(HASHER)  # tests swap in a cheaper hasher
        if key not in _dummy:
            _dummy[key] = HASHER.hash("statusd-dummy-password")
        return _dummy[key]


def verify_password(password_hash: str, password: str) -> bool:
    """True when password matches the hash."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(session: Session, username: str) -> User | None:
    """The user with this name (any case), or None."""
    try:
        name = normalise_username(username)
    except UserError:
        return None
    return session.exec(select(User).where(User.username == name)).first()


def require_user(session: Session, username: str) -> User:
    """The user with this name, or UserError."""
    user = find_user(session, username)
    if user is None:
        raise UserError(f"no user {username!r}")
    return user


def user_by_id(session: Session, user_id: int) -> User:
    """The user with this id, or UserError."""
    user = session.get(User, user_id)
    if user is None:
        raise UserError(f"no user {user_id}")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.exec(select(User).order_by(User.username)).all())


def authenticate(session: Session, username: str, password: str,
                 now: datetime | None = None) -> User | None:
    """The enabled user whose password this is (last login recorded), else None.

    Unknown and disabled users cost one hash verification too, so timing does not tell them apart.
    """
    user = find_user(session, username) if len(password) <= MAX_PASSWORD else None
    if user is None or user.disabled:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now or utcnow()
    session.add(user)
    audit(session, f"admin:{user.username}", "user.login", f"user:{user.username}",
          user.last_login_at)
    return user


def add_user(session: Session, username: str, password: str, role: str, *, actor: str,
             min_length: int, now: datetime | None = None) -> User:
    """Create a user; UserError for a taken or bad name, a bad role or a weak password."""
    now = now or utcnow()
    name = normalise_username(username)
    parsed = parse_role(role)
    if session.exec(select(User).where(User.username == name)).first() is not None:
        raise UserError(f"user {name!r} already exists")
    check_password(password, name, min_length)
    user = User(username=name, password_hash=hash_password(password), role=parsed.value,
                created_at=now)
    session.add(user)
    session.flush()
    audit(session, actor, "user.add", f"user:{name}", now, role=parsed.value)
    return user


def _active_admins(session: Session) -> int:
    rows = session.exec(select(User).where(User.role == Role.ADMIN.value,
                                           User.disabled == False)).all()  # noqa: E712
    return len(rows)


def set_password(session: Session, username: str, password: str, *, actor: str,
                 min_length: int, now: datetime | None = None) -> User:
    """Change a password; the user's open sessions end."""
    now = now or utcnow()
    user = require_user(session, username)
    check_password(password, user.username, min_length)
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    session.add(user)
    audit(session, actor, "user.password", f"user:{user.username}", now)
    return user


def set_role(session: Session, user: User, role: str, *, actor: str,
             now: datetime | None = None) -> bool:
    """Change a role (never the last enabled admin's); True if it changed."""
    now = now or utcnow()
    parsed = parse_role(role)
    if user.role == parsed.value:
        return False
    if user.role == Role.ADMIN.value and not user.disabled and _active_admins(session) <= 1:
        raise UserError(f"{user.username} is the last admin: make another admin first")
    old, user.role = user.role, parsed.value
    session.add(user)
    audit(session, actor, "user.role", f"user:{user.username}", now, old=old, new=parsed.value)
    return True


def set_disabled(session: Session, user: User, disabled: bool, *, actor: str,
                 now: datetime | None = None) -> bool:
    """Disable (sessions end at once) or enable a user; never the last admin; True if changed."""
    now = now or utcnow()
    if user.disabled == disabled:
        return False
    if disabled and user.role == Role.ADMIN.value and _active_admins(session) <= 1:
        raise UserError(f"{user.username} is the last admin: make another admin first")
    user.disabled = disabled
    if disabled:
        user.session_epoch += 1
    session.add(user)
    audit(session, actor, "user.disable" if disabled else "user.enable", f"user:{user.username}",
          now)
    return True
