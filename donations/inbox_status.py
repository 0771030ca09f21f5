"""How the webhook inbox stands: what GET /metrics and `donations webhooks status` show.

    await unprocessed(session=)   -> {status: Backlog}  failed and pending events now; reads
                                    only those rows (the status index), for every scrape
    await by_status_and_type(session=) -> [TypeCount]  every stored event, counted
    await oldest_failed(session=) -> FailedEvent | None  the one to look at first

Never a payload: ids, types, times and the first line of the error, with any email in it
masked (a handler's error can quote the value it choked on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.logs import mask_emails
from donations.models import EventStatus, StripeEvent

inbox: Table = StripeEvent.__table__  # type: ignore[attr-defined]

# The statuses that need someone: a failed event waits for a fix and a replay; a pending one
# was stored by a process that died before it could say how it went.
UNPROCESSED = (EventStatus.failed, EventStatus.pending)
MAX_ERROR_LINE = 200


@dataclass(frozen=True)
class Backlog:
    count: int
    oldest_received_at: datetime | None


@dataclass(frozen=True)
class TypeCount:
    status: str
    type: str
    count: int


@dataclass(frozen=True)
class FailedEvent:
    id: str
    type: str
    received_at: datetime
    attempts: int
    error: str

    def age_seconds(self, now: datetime) -> int:
        return max(0, int((now - self.received_at).total_seconds()))


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def error_line(error: str | None) -> str:
    """The first line of a stored error, at most MAX_ERROR_LINE characters, emails masked
    as a***@example.org."""
    lines = (error or "").strip().splitlines()
    first = mask_emails(lines[0]) if lines else ""
    return first if len(first) <= MAX_ERROR_LINE else first[: MAX_ERROR_LINE - 1] + "…"


async def unprocessed(*, session: AsyncSession) -> dict[EventStatus, Backlog]:
    statement = (
        select(inbox.c.status, func.count(), func.min(inbox.c.received_at))
        .where(inbox.c.status.in_([status.value for status in UNPROCESSED]))
        .group_by(inbox.c.status)
    )
    connection = await session.connection()
    found = {
        status: (count, oldest) for status, count, oldest in await connection.execute(statement)
    }
    backlog = {}
    for status in UNPROCESSED:
        count, oldest = found.get(status.value, (0, None))
        backlog[status] = Backlog(int(count), _utc(oldest) if oldest is not None else None)
    return backlog


async def by_status_and_type(*, session: AsyncSession) -> list[TypeCount]:
    statement = (
        select(inbox.c.status, inbox.c.type, func.count())
        .group_by(inbox.c.status, inbox.c.type)
        .order_by(inbox.c.status, inbox.c.type)
    )
    connection = await session.connection()
    return [
        TypeCount(status, type_, int(count))
        for status, type_, count in await connection.execute(statement)
    ]


async def oldest_failed(*, session: AsyncSession) -> FailedEvent | None:
    statement = (
        select(inbox.c.id, inbox.c.type, inbox.c.received_at, inbox.c.attempts, inbox.c.last_error)
        .where(inbox.c.status == EventStatus.failed.value)
        .order_by(inbox.c.received_at, inbox.c.id)
        .limit(1)
    )
    connection = await session.connection()
    row = (await connection.execute(statement)).first()
    if row is None:
        return None
    event_id, type_, received_at, attempts, error = row
    return FailedEvent(event_id, type_, _utc(received_at), attempts, error_line(error))
