"""Retention: a stored Stripe event gives up its personal fields once it is old enough.

    due(db, cutoff=)                                    -> events to look at
    purge(db, cutoff=, now=, actor=, dry_run=, progress=, mail_dir=) -> Purged
    reading(db)                                         the database, for lock-free reads

The inbox keeps every event so that it can be processed again (`donations webhooks replay`,
a restore); once it is booked, the reader's name, address and phone in it serve nothing.
`donations privacy purge` (cron) redacts the events Stripe created before the cutoff
(PRIVACY_RETENTION_DAYS ago):

    processed, ignored   payload redacted (donations/privacy.py, keeping the email of a
                         completed Checkout Session that names no customer: the only key to
                         its supporter on a replay) and redacted_at set, so no run reads it again
    failed, pending      payload kept whole for the replay still to come; the error text loses
                         the event's personal values and every email address

Each batch is read, redacted in memory, then written in a short transaction of its own, so
webhook deliveries never wait long for the write lock. Rows are written only if still as
read (a replay or an erasure in between wins).

The same run then deletes the sign-in links, account sessions and login throttle counters
that ended more than a day ago (donations/expired.py), and empties the address and context of
the messages sent, failed or skipped before the cutoff, and of sign-in messages a day after
(donations/sent_mail.py), deleting their .eml files in `mail_dir`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlmodel import col

from donations.db import Database
from donations.expired import Expired, delete_expired, due_expired
from donations.models import AuditLog, EventStatus, StripeEvent
from donations.privacy import personal_values, redact_event, redact_text
from donations.sent_mail import Emptied, due_sent, empty_sent

logger = logging.getLogger(__name__)

PURGE_ACTION = "privacy_purged"
# Events per transaction: a few milliseconds of write lock each.
BATCH_SIZE = 500
BOOKED = (EventStatus.processed.value, EventStatus.ignored.value)

_UNREDACTED = col(StripeEvent.redacted_at).is_(None)
# Spelled out rather than IN (...): an expanding IN cannot run as executemany.
_IS_BOOKED = or_(*(col(StripeEvent.status) == status for status in BOOKED))
# Guarded: the row is still unredacted and booked, as when it was read.
_REDACT_PAYLOAD = (
    update(StripeEvent)
    .where(
        col(StripeEvent.id) == bindparam("event_id"),
        _UNREDACTED,
        _IS_BOOKED,
    )
    .values(payload=bindparam("payload"), redacted_at=bindparam("at"))
)
_MARK_REDACTED = (
    update(StripeEvent)
    .where(
        col(StripeEvent.id) == bindparam("event_id"),
        _UNREDACTED,
        _IS_BOOKED,
    )
    .values(redacted_at=bindparam("at"))
)
_SCRUB_ERROR = (
    update(StripeEvent)
    .where(
        col(StripeEvent.id) == bindparam("event_id"),
        col(StripeEvent.last_error) == bindparam("was"),
    )
    .values(last_error=bindparam("error"))
)


@dataclass(frozen=True)
class Purged:
    events: int  # payloads that lost personal fields (or would, on a dry run)
    errors: int  # error texts scrubbed (or that would be)
    expired: Expired  # rows deleted once over (or that would be)
    mail: Emptied  # sent messages emptied (or that would be)


class _Stored(NamedTuple):
    id: str
    created: int
    status: str
    payload: str
    last_error: str | None


@dataclass
class _Changes:
    """What one batch will write."""

    payloads: list[dict[str, Any]]  # redacted payloads
    marks: list[dict[str, Any]]  # booked events with nothing personal: only marked
    errors: list[dict[str, Any]]  # scrubbed error texts

    @property
    def empty(self) -> bool:
        return not (self.payloads or self.marks or self.errors)


@asynccontextmanager
async def reading(db: Database) -> AsyncIterator[Database]:
    """The same database, for reads that take no write lock: SQLite's `BEGIN IMMEDIATE`
    (donations/db.py) would hold it for as long as a batch takes to read."""
    reader = Database(db.url, writes=False)
    try:
        yield reader
    finally:
        await reader.dispose()


async def due(db: Database, *, cutoff: datetime) -> int:
    """How many stored events older than `cutoff` have not been redacted yet."""
    async with reading(db) as reader, reader.engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(StripeEvent).where(*_older(cutoff))
        )
    return int(count or 0)


async def purge(
    db: Database,
    *,
    cutoff: datetime,
    now: datetime,
    actor: str,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    mail_dir: Path | None = None,
) -> Purged:
    """Redact what is due, batch by batch, then delete what expired and empty the messages
    sent long enough ago (their files in `mail_dir` too); on a real run, one audit row with
    the counts."""
    events = errors = 0
    after: tuple[int, str] | None = None
    async with reading(db) as reader:
        while True:
            batch = await _next_batch(reader, cutoff, after, batch_size)
            if not batch:
                break
            after = (batch[-1].created, batch[-1].id)
            changes = _redact(batch)
            events += len(changes.payloads)
            errors += len(changes.errors)
            if not dry_run and not changes.empty:
                await _write(db, changes, now)
            if progress is not None:
                progress(len(batch))
        if dry_run:
            return Purged(
                events,
                errors,
                await due_expired(reader, now=now),
                await due_sent(reader, cutoff=cutoff, now=now),
            )
        expired = await delete_expired(db, now=now, batch_size=batch_size)
        mail = await empty_sent(
            db, reader, cutoff=cutoff, now=now, mail_dir=mail_dir, batch_size=batch_size
        )
    counts = {**dataclasses.asdict(expired), **dataclasses.asdict(mail)}
    detail = json.dumps({"stored_events": events, "stored_errors": errors, **counts})
    async with db.writing() as connection:
        await connection.execute(
            insert(AuditLog).values(at=now, actor=actor[:64], action=PURGE_ACTION, detail=detail)
        )
    logger.info("personal fields purged", extra={"events": events, "errors": errors, **counts})
    return Purged(events, errors, expired, mail)


def _older(cutoff: datetime) -> tuple[Any, ...]:
    return (_UNREDACTED, col(StripeEvent.created) < int(cutoff.timestamp()))


async def _next_batch(
    db: Database, cutoff: datetime, after: tuple[int, str] | None, size: int
) -> list[_Stored]:
    """The next `size` unredacted events older than `cutoff`, after `after` (created, id):
    oldest first, through the index of unredacted events."""
    conditions = list(_older(cutoff))
    if after is not None:
        created, event_id = after
        conditions.append(
            or_(
                col(StripeEvent.created) > created,
                and_(col(StripeEvent.created) == created, col(StripeEvent.id) > event_id),
            )
        )
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            select(
                col(StripeEvent.id),
                col(StripeEvent.created),
                col(StripeEvent.status),
                col(StripeEvent.payload),
                col(StripeEvent.last_error),
            )
            .where(*conditions)
            .order_by(col(StripeEvent.created), col(StripeEvent.id))
            .limit(size)
        )
        return [_Stored(*row) for row in rows]


def _redact(batch: list[_Stored]) -> _Changes:
    """What to write for a batch, worked out before the write lock is taken."""
    changes = _Changes([], [], [])
    for stored in batch:
        try:
            event = json.loads(stored.payload)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            continue
        if stored.status in BOOKED:
            redacted = redact_event(event, keep_identity=True)
            if redacted == event:
                # Marked all the same: the next run need not read it again.
                changes.marks.append({"event_id": stored.id})
            else:
                changes.payloads.append({"event_id": stored.id, "payload": json.dumps(redacted)})
        if stored.last_error:
            error = redact_text(stored.last_error, personal_values(event), all_emails=True)
            if error != stored.last_error:
                changes.errors.append(
                    {"event_id": stored.id, "was": stored.last_error, "error": error}
                )
    return changes


async def _write(db: Database, changes: _Changes, now: datetime) -> None:
    async with db.writing() as connection:
        if changes.payloads:
            await connection.execute(
                _REDACT_PAYLOAD, [{**row, "at": now} for row in changes.payloads]
            )
        if changes.marks:
            await connection.execute(_MARK_REDACTED, [{**row, "at": now} for row in changes.marks])
        if changes.errors:
            await connection.execute(_SCRUB_ERROR, changes.errors)
