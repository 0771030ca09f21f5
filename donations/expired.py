"""Rows that stop doing anything once their time is up, deleted a day after that.

    due_expired(db, now=)                                -> Expired (what would go)
    delete_expired(db, now=, batch_size=)                -> Expired (what went)

`donations privacy purge` (donations/retention.py) runs this after redacting stored events:

    sign_in_link     a link opens nothing once used (`used_at`) or past `expires_at`
                     (donations/account/sign_in.py, `redeem`); it names the supporter
    account_session  a session signs nobody in once ended (`ended_at`, signing out) or past
                     `expires_at` (`signed_in`); it names the supporter
    login_throttle   a counter counts nothing a day after its last failure
                     (donations/throttle.py, FORGOTTEN); its key is a digest of the client's
                     address, which a guess at every IPv4 address reverses

A link or a session goes once it ended more than GRACE ago: a day answers the support
questions about one ("did my link work?", "was I still signed in?"), and the audit log keeps
the lasting record of each link sent, sign-in and sign-out (actor `supporter:<id>`). A
throttle counter goes once forgotten, as each failed login already prunes a few (the audit
log keeps every failed login). Nothing still valid is deleted: every condition below is one
the code that reads the row already refuses.

`account_change` stays: it has no end, holds no words of the reader's, and the account page
reads a membership's latest request to say "pending".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlmodel import col

from donations.db import Database
from donations.models import AccountSession, LoginThrottle, SignInLink
from donations.throttle import FORGOTTEN

GRACE = timedelta(days=1)
# Rows per transaction: a few milliseconds of write lock each.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Expired:
    sign_in_links: int
    account_sessions: int
    login_throttles: int


def _links_over(now: datetime) -> ColumnElement[bool]:
    ended = now - GRACE
    return or_(col(SignInLink.expires_at) < ended, col(SignInLink.used_at) < ended)


def _sessions_over(now: datetime) -> ColumnElement[bool]:
    ended = now - GRACE
    return or_(col(AccountSession.expires_at) < ended, col(AccountSession.ended_at) < ended)


def _throttles_over(now: datetime) -> ColumnElement[bool]:
    # What the throttle's own pruning deletes: it counts such a row as no failures at all.
    return col(LoginThrottle.last_failure_at) < now - FORGOTTEN


def _tables(now: datetime) -> tuple[tuple[Any, ColumnElement[bool]], ...]:
    """(primary key column, what makes a row over), in Expired's order."""
    return (
        (col(SignInLink.token_hash), _links_over(now)),
        (col(AccountSession.key_hash), _sessions_over(now)),
        (col(LoginThrottle.key), _throttles_over(now)),
    )


async def due_expired(db: Database, *, now: datetime) -> Expired:
    """How many rows `delete_expired` would delete now."""
    counts = []
    async with db.engine.connect() as connection:
        for key, over in _tables(now):
            count = await connection.scalar(select(func.count()).select_from(key.table).where(over))
            counts.append(int(count or 0))
    return Expired(*counts)


async def delete_expired(db: Database, *, now: datetime, batch_size: int = BATCH_SIZE) -> Expired:
    """Delete what is over, `batch_size` rows per short transaction."""
    counts = []
    for key, over in _tables(now):
        deleted = 0
        while True:
            batch = await _delete_batch(db, key, over, batch_size)
            deleted += batch
            if batch < batch_size:
                break
        counts.append(deleted)
    return Expired(*counts)


async def _delete_batch(db: Database, key: Any, over: ColumnElement[bool], size: int) -> int:
    # Rows a sign-in or a login attempt holds are skipped, never waited for (PostgreSQL); the
    # condition is asked again of the rows deleted, so one that attempt renewed stays.
    chosen = select(key).where(over).limit(size).with_for_update(skip_locked=True)
    async with db.writing() as connection:
        result = await connection.execute(delete(key.table).where(key.in_(chosen), over))
    return int(result.rowcount)
