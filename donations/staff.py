"""Finance staff: logins for /admin, their passwords, and the audit trail.

Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommended
profile), at least MIN_PASSWORD_LENGTH characters and not one of the commonly used passwords
zxcvbn ships. Failed logins are throttled per name and client address, and per address
(donations.throttle); no number of failures locks a login. Every login, failed login,
throttled attempt, export, supporter page viewed and change to the staff is a row in
audit_log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import throttle
from donations.db import Database
from donations.models import AuditLog, StaffUser, utcnow

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
NAME_LENGTH = 64

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so that a wrong name costs as long as a
    wrong password and response times do not tell which names exist. Made on first use: a
    hash takes a third of a second, which every CLI command would otherwise pay at import."""
    return _hasher.hash("not a real password, never matches")


@cache
def _common_passwords() -> frozenset[str]:
    """zxcvbn's 30,000 most used passwords (lower case, from leaked password dumps). Loaded
    on first use: only `staff add` and `staff passwd` need it."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


_EMPTY_NAME = "the staff name must not be empty"
_LONG_NAME = f"the staff name must be at most {NAME_LENGTH} characters"
_COLON = "the staff name must not contain ':' (HTTP Basic separates name and password with it)"
_EMPTY_PASSWORD = "the password must not be empty"
_SHORT_PASSWORD = f"the password must be at least {MIN_PASSWORD_LENGTH} characters"
_COMMON_PASSWORD = "the password is one of the most commonly used passwords; choose another"
_TAKEN = "a staff user named {name!r} already exists"
_UNKNOWN = "no staff user named {name!r}"


class StaffError(ValueError):
    """Bad staff input; the message is one line for the person who typed it."""


class Action(StrEnum):
    login = "login"
    login_failed = "login_failed"
    # Refused unchecked: the client must wait (donations.throttle).
    login_throttled = "login_throttled"
    export = "export"
    # A supporter's page in /admin: the detail is their supporter id, never their email.
    supporter_viewed = "supporter_viewed"
    # Changes to the staff; the actor is who made them, the detail the staff name.
    staff_added = "staff_added"
    staff_password_changed = "staff_password_changed"
    staff_removed = "staff_removed"
    staff_unlocked = "staff_unlocked"
    # A supporter's account (donations/account): the actor is `supporter:<id>`.
    account_link_sent = "account_link_sent"
    account_signed_in = "account_signed_in"
    account_signed_out = "account_signed_out"
    account_amount_changed = "account_amount_changed"
    account_paused = "account_paused"
    account_resumed = "account_resumed"
    account_cancelled = "account_cancelled"
    account_card_requested = "account_card_requested"
    account_card_changed = "account_card_changed"


class LoginOutcome(StrEnum):
    ok = "ok"
    wrong = "wrong"  # unknown name or wrong password: the same answer for both
    throttled = "throttled"  # too many failures: wait retry_after, password not checked


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    retry_after: timedelta | None = None
    # On success, the stored hash the password matched: a remembered login stays good
    # while it is still the stored one (see `credential`).
    credential: str | None = None


@dataclass(frozen=True)
class StaffListing:
    name: str
    created_at: datetime
    last_login_at: datetime | None
    # Addresses it has failed logins from (forgotten after a day, or by `unlock`).
    failing_addresses: int


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
    if password.lower() in _common_passwords():
        raise StaffError(_COMMON_PASSWORD)


async def _hash(password: str) -> str:
    # argon2 takes tens of milliseconds of CPU: off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def add_staff(*, session: AsyncSession, name: str, password: str, actor: str) -> StaffUser:
    """Add a staff user; `actor` (who adds them) goes in the audit row."""
    check_new_staff(name, password)
    user = StaffUser(name=name, password_hash=await _hash(password))
    session.add(user)
    audit(session=session, actor=actor, action=Action.staff_added, detail=name, at=user.created_at)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise StaffError(_TAKEN.format(name=name)) from None
    return user


async def change_password(
    *, session: AsyncSession, name: str, password: str, actor: str, now: datetime
) -> None:
    """Set a new password. Its failures against the old one are forgotten, so its owner
    need not wait; a login remembered with the old one ends (see `credential`)."""
    check_password(password)
    password_hash = await _hash(password)
    changed = await session.exec(
        update(StaffUser).where(col(StaffUser.name) == name).values(password_hash=password_hash)
    )
    if changed.rowcount == 0:
        await session.rollback()
        raise StaffError(_UNKNOWN.format(name=name))
    await throttle.clear_name(session=session, name=name)
    audit(session=session, actor=actor, action=Action.staff_password_changed, detail=name, at=now)
    await session.commit()


async def remove_staff(*, session: AsyncSession, name: str, actor: str, now: datetime) -> None:
    removed = await session.exec(delete(StaffUser).where(col(StaffUser.name) == name))
    if removed.rowcount == 0:
        await session.rollback()
        raise StaffError(_UNKNOWN.format(name=name))
    audit(session=session, actor=actor, action=Action.staff_removed, detail=name, at=now)
    await session.commit()


async def unlock_staff(*, session: AsyncSession, name: str, actor: str, now: datetime) -> int:
    """Forget a staff user's failed logins from every address; returns how many addresses
    had some."""
    if await _password_hash(session, name) is None:
        raise StaffError(_UNKNOWN.format(name=name))
    cleared = await throttle.clear_name(session=session, name=name)
    audit(session=session, actor=actor, action=Action.staff_unlocked, detail=name, at=now)
    await session.commit()
    return cleared


async def list_staff(*, session: AsyncSession, now: datetime) -> list[StaffListing]:
    users = (await session.exec(select(StaffUser).order_by(col(StaffUser.name)))).all()
    return [
        StaffListing(
            name=user.name,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            failing_addresses=await throttle.addresses_with_failures(
                session=session, name=user.name, now=now
            ),
        )
        for user in users
    ]


async def credential(*, session: AsyncSession, name: str) -> str | None:
    """The stored hash of a staff user's password, None once removed: what a remembered
    login compares with, so that `passwd` and `remove` end it in every process."""
    return await _password_hash(session, name)


async def _password_hash(session: AsyncSession, name: str) -> str | None:
    return (
        await session.exec(select(StaffUser.password_hash).where(StaffUser.name == name))
    ).first()


def _check(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; against the dummy hash for an unknown name. The dummy
    is made on the first attempt whatever its name, so making it tells nothing either."""
    stand_in = _dummy_hash()
    return _verify(password_hash or stand_in, password)


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
    *,
    db: Database,
    name: str,
    password: str,
    client_ip: str | None,
    clock: Callable[[], datetime] = utcnow,
) -> LoginResult:
    """Check a name and password unless the client must wait, and audit the attempt.

    Known and unknown names take the same steps (a dummy hash stands in for a missing one),
    so neither the answer nor its timing tells them apart. `clock` is read for the attempt
    and again for its answer, from which a wrong one's waits run."""
    now = clock()
    async with db.writing_session() as session:
        password_hash = await _password_hash(session, name)
        wait = await throttle.claim(session=session, name=name, client_ip=client_ip, now=now)
        if wait is not None:
            audit(
                session=session,
                actor=name,
                action=Action.login_throttled,
                client_ip=client_ip,
                at=now,
            )
    # The transaction is over: no row lock (nor SQLite's write lock) is held while hashing.
    if wait is not None:
        logger.info("staff login throttled", extra={"ip": client_ip})
        return LoginResult(LoginOutcome.throttled, retry_after=wait)
    # argon2 takes tens of milliseconds of CPU: off the event loop.
    matches = await asyncio.to_thread(_check, password_hash, password)
    ok = password_hash is not None and matches
    async with db.writing_session() as session:
        if ok:
            await throttle.forgive(session=session, name=name, client_ip=client_ip)
            await session.exec(
                update(StaffUser).where(col(StaffUser.name) == name).values(last_login_at=now)
            )
        else:
            await throttle.answered(session=session, name=name, client_ip=client_ip, at=clock())
        audit(
            session=session,
            actor=name,
            action=Action.login if ok else Action.login_failed,
            client_ip=client_ip,
            at=now,
        )
    if not ok:
        logger.info("staff login failed", extra={"ip": client_ip})
        return LoginResult(LoginOutcome.wrong)
    return LoginResult(LoginOutcome.ok, credential=password_hash)
