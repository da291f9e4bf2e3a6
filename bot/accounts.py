"""Accounts of the web UIs: users and roles, password hashing, lock-out, sessions.

Passwords are hashed with scrypt (memory-hard, in the standard library, so no
dependency), each with its own salt, and checked in constant time. Ten wrong
passwords in a row lock the account for `LOCKOUT`: slow enough to stop guessing,
short enough that a forgetful editor is not shut out for the day. A sign-in gives
the browser a random token; the database keeps only its SHA-256 and a CSRF token
bound to that session.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.store import Store
from bot.store.models import UserRow, WebSessionRow

ROLES = ("admin", "editor", "agent")
# What each role may do; an admin may do everything.
PERMISSIONS = {
    "admin": frozenset({"users", "articles", "insights", "tickets"}),
    "editor": frozenset({"articles", "insights"}),
    "agent": frozenset({"tickets"}),
}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # scrypt would hash a megabyte; nobody types one
MAX_FAILURES = 10
LOCKOUT = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=8)
SESSION_MAX = timedelta(days=7)

# scrypt parameters: n=2^15 with r=8 takes 32 MiB and about 60 ms here (OWASP's minimum
# is 2^17 with r=8 p=1 at 128 MiB; this machine has little memory to spare per request).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAXMEM = 64 * 1024 * 1024


class AccountError(ValueError):
    """A username, role or password that cannot be used; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    @property
    def name(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in attempt: a user and session token, or why not."""

    user: User | None = None
    token: str | None = None
    error: str | None = None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    data = password.encode("utf-8", "surrogatepass")[:MAX_PASSWORD]
    return hashlib.scrypt(data, salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=32)


# A hash to check against when the username is unknown, so a guess at a username
# takes as long as a guess at a password and reveals nothing.
_DUMMY_HASH = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"


def check_new_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")
    if password.casefold() == username.casefold():
        raise AccountError("the password must not be the username")


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.display_name, row.role)


def add_user(
    session: Session, username: str, password: str, role: str, display_name: str = ""
) -> User:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError(
            "the username must be 2-64 characters: lowercase letters, digits, . _ @ or -"
        )
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}, got {role!r}")
    check_new_password(password, username)
    if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise AccountError(f"a user named {username!r} exists already")
    row = UserRow(
        username=username,
        display_name=" ".join(display_name.split())[:200],
        role=role,
        password_hash=hash_password(password),
        failed_logins=0,
        disabled=False,
    )
    session.add(row)
    session.flush()
    return _user(row)


def set_password(session: Session, username: str, password: str) -> None:
    row = session.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
    if row is None:
        raise AccountError(f"no user named {username!r}")
    check_new_password(password, row.username)
    row.password_hash = hash_password(password)
    row.failed_logins, row.locked_until = 0, None
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))


def list_users(session: Session) -> list[tuple[User, UserRow]]:
    rows = session.scalars(select(UserRow).order_by(UserRow.username)).all()
    return [(_user(row), row) for row in rows]


def user_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)


FAILED = (
    "Wrong username or password, or the account is locked: after 10 failed sign-ins "
    "in a row it is, for 15 minutes."
)
# scrypt takes ~60 ms of a core and 32 MiB: at most two at once (this machine's cores),
# so a flood of sign-ins waits in line instead of starving the chat turns.
_HASHING = threading.BoundedSemaphore(2)


def sign_in(store: Store, username: str, password: str, now: datetime) -> SignIn:
    """Check a password. After `MAX_FAILURES` wrong ones in a row every password, the
    right one too, is refused until `LOCKOUT` has passed.

    Every failure reads the same and costs the same scrypt, so neither the message nor
    the time tells an unknown user from a locked one. The hash is checked between two
    short transactions, never inside one: on SQLite a transaction holds the database's
    write lock, and a sign-in must not hold up every conversation for 60 ms.
    """
    name = username.strip().lower()
    with store.transaction() as tx:
        row = tx.session.scalar(select(UserRow).where(UserRow.username == name))
        known = row is not None and not row.disabled
        user_id, stored = (row.id, row.password_hash) if known and row else (0, _DUMMY_HASH)
    with _HASHING:
        correct = verify_password(password, stored)
    if not known:
        return SignIn(error=FAILED)
    with store.transaction() as tx:
        row = tx.session.get(UserRow, user_id, with_for_update=True)
        if row is None or row.disabled or (row.locked_until is not None and row.locked_until > now):
            return SignIn(error=FAILED)
        if not correct:
            row.failed_logins += 1
            if row.failed_logins >= MAX_FAILURES:
                row.locked_until, row.failed_logins = now + LOCKOUT, 0
            return SignIn(error=FAILED)
        row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
        return SignIn(user=_user(row), token=start_session(tx.session, row.id, now))


def unlock(session: Session, username: str) -> None:
    """An admin's act: the account may sign in again at once."""
    row = session.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
    if row is None:
        raise AccountError(f"no user named {username!r}")
    row.failed_logins, row.locked_until = 0, None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(session: Session, user_id: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        WebSessionRow(
            token_hash=_token_hash(token),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_MAX,
        )
    )
    # Sign-ins are rare: the moment to sweep away sessions that have run out.
    session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
    return token


@dataclass(frozen=True)
class ActiveSession:
    user: User
    csrf_token: str


def resume_session(session: Session, token: str, now: datetime) -> ActiveSession | None:
    """The signed-in user of a cookie's token, or None when it is unknown, idle for
    longer than `SESSION_IDLE`, past `SESSION_MAX`, or the account is disabled."""
    if not token or len(token) > 100:
        return None
    found = session.execute(
        select(WebSessionRow, UserRow)
        .join(UserRow, UserRow.id == WebSessionRow.user_id)
        .where(WebSessionRow.token_hash == _token_hash(token))
    ).first()
    if found is None:
        return None
    web_session, row = found
    if (
        row.disabled
        or web_session.expires_at < now
        or web_session.last_seen_at + SESSION_IDLE < now
    ):
        session.delete(web_session)
        return None
    if now - web_session.last_seen_at > timedelta(minutes=1):  # not a write per request
        web_session.last_seen_at = now
    return ActiveSession(_user(row), web_session.csrf_token)


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == _token_hash(token)))
