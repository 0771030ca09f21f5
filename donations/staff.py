"""Finance staff: logins for /admin, the limit on failed attempts, and the audit trail.

Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommended
profile). After MAX_FAILED_LOGINS wrong passwords in a row an account is locked for
LOCKOUT; while locked, even the right password is refused. Every login, failed login,
refused (locked) login and export is a row in audit_log.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import AuditLog, StaffUser

logger = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
NAME_LENGTH = 64

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so that a wrong name costs as long as a
    wrong password and response times do not tell which names exist. Made on first use: a
    hash takes a third of a second, which every CLI command would otherwise pay at import."""
    return _hasher.hash("not a real password, never matches")


_EMPTY_NAME = "the staff name must not be empty"
_LONG_NAME = f"the staff name must be at most {NAME_LENGTH} characters"
_COLON = "the staff name must not contain ':' (HTTP Basic separates name and password with it)"
_EMPTY_PASSWORD = "the password must not be empty"
_SHORT_PASSWORD = f"the password must be at least {MIN_PASSWORD_LENGTH} characters"
_TAKEN = "a staff user named {name!r} already exists"


class StaffError(ValueError):
    """Bad staff input; the message is one line for the person who typed it."""


class Action(StrEnum):
    login = "login"
    login_failed = "login_failed"
    login_locked = "login_locked"
    export = "export"


class Outcome(StrEnum):
    ok = "ok"
    wrong = "wrong"  # unknown name or wrong password: the same answer for both
    locked = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    locked_until: datetime | None = None


def check_new_staff(name: str, password: str) -> None:
    check_staff_name(name)
    check_password(password)


def check_staff_name(name: str) -> None:
    if not name.strip():
        raise StaffError(_EMPTY_NAME)
    if len(name) > NAME_LENGTH:
        raise StaffError(_LONG_NAME)
    # https://www.rfc-editor.org/rfc/rfc7617#section-2: a user-id containing a colon
    # cannot be sent.
    if ":" in name:
        raise StaffError(_COLON)


def check_password(password: str) -> None:
    if not password:
        raise StaffError(_EMPTY_PASSWORD)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(_SHORT_PASSWORD)


async def add_staff(*, session: AsyncSession, name: str, password: str) -> StaffUser:
    check_new_staff(name, password)
    user = StaffUser(name=name, password_hash=await asyncio.to_thread(_hasher.hash, password))
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise StaffError(_TAKEN.format(name=name)) from None
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def audit(
    *,
    session: AsyncSession,
    actor: str,
    action: Action,
    detail: str | None = None,
    client_ip: str | None = None,
    at: datetime,
) -> None:
    """Add an audit row to the session's transaction (the caller commits)."""
    session.add(
        AuditLog(
            at=at, actor=actor[:NAME_LENGTH], action=action, detail=detail, client_ip=client_ip
        )
    )


async def log_in(
    *, session: AsyncSession, name: str, password: str, client_ip: str | None, now: datetime
) -> LoginResult:
    """Check a name and password, count failures, lock after too many, audit the attempt."""
    user = (await session.exec(select(StaffUser).where(StaffUser.name == name))).first()
    # Read what is needed now: the rollback below expires the loaded row.
    user_id = user.id if user is not None else None
    password_hash = user.password_hash if user is not None else _dummy_hash()
    locked_until = user.locked_until if user is not None else None
    await session.rollback()  # no transaction (nor SQLite write lock) held while hashing
    if locked_until is not None and locked_until > now:
        audit(session=session, actor=name, action=Action.login_locked, client_ip=client_ip, at=now)
        await session.commit()
        return LoginResult(Outcome.locked, locked_until)
    # argon2 takes tens of milliseconds of CPU: off the event loop.
    matches = await asyncio.to_thread(_verify, password_hash, password)
    if user_id is None or not matches:
        result = await _count_failure(session=session, user_id=user_id, now=now)
        audit(
            session=session,
            actor=name,
            action=Action.login_failed,
            detail="now locked" if result.outcome is Outcome.locked else None,
            client_ip=client_ip,
            at=now,
        )
        await session.commit()
        logger.info("staff login failed", extra={"staff": name[:NAME_LENGTH], "ip": client_ip})
        return result
    await session.exec(
        update(StaffUser)
        .where(col(StaffUser.id) == user_id)
        .values(failed_logins=0, locked_until=None, last_login_at=now)
    )
    audit(session=session, actor=name, action=Action.login, client_ip=client_ip, at=now)
    await session.commit()
    return LoginResult(Outcome.ok)


async def _count_failure(
    *, session: AsyncSession, user_id: int | None, now: datetime
) -> LoginResult:
    if user_id is None:
        return LoginResult(Outcome.wrong)
    # Counted in SQL, so two concurrent wrong guesses are two failures, not one.
    await session.exec(
        update(StaffUser)
        .where(col(StaffUser.id) == user_id)
        .values(failed_logins=col(StaffUser.failed_logins) + 1)
    )
    failures = (
        await session.exec(select(StaffUser.failed_logins).where(StaffUser.id == user_id))
    ).one()
    if failures < MAX_FAILED_LOGINS:
        return LoginResult(Outcome.wrong)
    until = now + LOCKOUT
    await session.exec(
        update(StaffUser)
        .where(col(StaffUser.id) == user_id)
        .values(failed_logins=0, locked_until=until)
    )
    return LoginResult(Outcome.locked, until)
