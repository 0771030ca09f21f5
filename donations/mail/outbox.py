"""The outbox: a message to a reader is a row first, written in the transaction of the ledger
change that caused it, and delivered after that transaction commits (donations/mail/worker.py).

    await queue(session, kind=, to=, key=, supporter_id=, payment_id=, membership_id=,
                context=, happened_at=) -> bool
        Add a message unless one with `key` exists: True if this call added it. `session` is
        the AsyncSession of the caller's transaction (a webhook handler's, a command's); the
        row commits or rolls back with it, so a message exists exactly when its cause does.
        - kind: what the message is (kinds.py lists the ones with templates; another module
          may add its own kind with templates `mail/<kind>.subject.txt`, `.txt`, `.html`).
        - to: the reader's address.
        - key: unique across all messages; built by the caller from what makes the message
          one of a kind ("receipt:<payment id>", "statement:<supporter id>:2026"). A
          duplicated, replayed or backfilled event, or a rerun, queues nothing twice.
        - supporter_id, payment_id, membership_id: what it is about (erasure finds a person's
          messages by supporter; templates read the payment and membership at delivery).
        - context: free-form JSON-able values for the template (amounts in minor units with
          their currency, ids, dates as ISO text).
        - happened_at: when its cause happened (the event's time): a message queued more
          than MAIL_MAX_EVENT_AGE_HOURS after it is never sent (a backfill of last month
          sends last month's receipts neither again nor late). None: not checked.
        - not_before: not sent before then (default: at once). Whatever not_before says, the
          worker waits MAIL_SETTLE_SECONDS after queueing: a receipt waits for the card's
          event that may come just after the payment's.

    await queue_to_supporter(session, kind=, key=, supporter_id=, ...) -> bool
        The same, to the supporter's address as the supporter row has it: nothing if it has
        none (an erased supporter). One statement (INSERT ... SELECT), where reading the
        address first and then queueing would take two round trips.

    due(session, now, limit, settle) -> [OutboxMessage]      (worker.py uses these)
    claim(session, message, now, lease) -> bool
    finish(session, message_id, status, at=, subject=, error=, next_at=)

    await empty(connection, ids, note=, where=) -> int
        The personal fields of these messages emptied: address, context and subject go,
        `note` takes the error's place, and one still queued is skipped, never sent. The row
        stays (id, key, kind, status, times): the mail counts still count it, its key still
        refuses a second message, and its Message-ID is what it was. Erasure
        (donations/erasure.py) and the purge of sent messages (donations/sent_mail.py).

Nothing here sends: worker.deliver_due(db, settings) does, with retries and backoff.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import MailStatus, OutboxMessage, Supporter, utcnow
from donations.sql import column_param, dialect, execute, insert_for, insert_ignoring_conflicts

MAX_KEY = 255
MAX_KIND = 32
MAX_ERROR = 2000
BAD_KEY = f"an outbox key is 1 to {MAX_KEY} characters"
BAD_KIND = f"an outbox kind is 1 to {MAX_KIND} characters"
NO_ADDRESS = "an outbox message needs an address to send it to"


async def queue(
    session: AsyncSession,
    *,
    kind: str,
    to: str,
    key: str,
    supporter_id: int | None = None,
    payment_id: int | None = None,
    membership_id: int | None = None,
    context: Mapping[str, object] | None = None,
    happened_at: datetime | None = None,
    not_before: datetime | None = None,
) -> bool:
    _check(kind, key)
    if not to.strip():
        raise ValueError(NO_ADDRESS)
    row = _row(kind, key, payment_id, membership_id, context, happened_at, not_before)
    row.update(to_address=to.strip(), supporter_id=supporter_id)
    return await insert_ignoring_conflicts(session, OutboxMessage, row)


async def queue_to_supporter(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    supporter_id: int,
    payment_id: int | None = None,
    membership_id: int | None = None,
    context: Mapping[str, object] | None = None,
    happened_at: datetime | None = None,
    not_before: datetime | None = None,
) -> bool:
    _check(kind, key)
    row = _row(kind, key, payment_id, membership_id, context, happened_at, not_before)
    row["supporter_id"] = supporter_id
    result = await execute(session, _to_supporter(dialect(session)), row)
    return bool(result.rowcount)


def _check(kind: str, key: str) -> None:
    if not 0 < len(key) <= MAX_KEY:
        raise ValueError(BAD_KEY)
    if not 0 < len(kind) <= MAX_KIND:
        raise ValueError(BAD_KIND)


def _row(
    kind: str,
    key: str,
    payment_id: int | None,
    membership_id: int | None,
    context: Mapping[str, object] | None,
    happened_at: datetime | None,
    not_before: datetime | None,
) -> dict[str, Any]:
    """A new message's columns but its address and supporter."""
    now = utcnow()
    return {
        "key": key,
        "kind": kind,
        "payment_id": payment_id,
        "membership_id": membership_id,
        "context": dict(context or {}),
        "status": MailStatus.queued.value,
        "happened_at": happened_at,
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }


_ROW_COLUMNS = (
    "key", "kind", "payment_id", "membership_id", "context", "status", "happened_at",
    "attempts", "next_attempt_at", "created_at",
)  # fmt: skip


@cache
def _to_supporter(dialect_name: str) -> Any:
    """INSERT INTO outbox (...) SELECT <the message>, supporter.email, supporter.id FROM
    supporter WHERE it has an email ... ON CONFLICT DO NOTHING. Supporters' addresses are
    stored normalised (donations/supporters.py: stripped, lower-cased, never empty)."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    # Typed: a parameter in a SELECT list has no column to take its conversion (the
    # context's JSON, a datetime in UTC) from.
    message = [column_param(table.c[name]) for name in _ROW_COLUMNS]
    columns: list[Any] = [*message, col(Supporter.email), col(Supporter.id)]
    the_supporter = select(*columns).where(
        col(Supporter.id) == bindparam("supporter_id"), col(Supporter.email).is_not(None)
    )
    return (
        insert_for(dialect_name)(table)
        .from_select([*_ROW_COLUMNS, "to_address", "supporter_id"], the_supporter)
        .on_conflict_do_nothing()
    )


_DUE = (
    select(OutboxMessage)
    .where(
        col(OutboxMessage.status) == MailStatus.queued.value,
        col(OutboxMessage.next_attempt_at) <= bindparam("now"),
        col(OutboxMessage.created_at) <= bindparam("settled"),
    )
    .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
    .limit(bindparam("limit"))
)

# Taking a message for one attempt: whoever moves its time on first has it (another worker
# process, or cron, sees it as not due until the lease ends).
_CLAIM = (
    update(OutboxMessage)
    .where(
        col(OutboxMessage.id) == bindparam("message"),
        col(OutboxMessage.status) == MailStatus.queued.value,
        col(OutboxMessage.next_attempt_at) == bindparam("was_due"),
    )
    .values(next_attempt_at=bindparam("lease_end"), attempts=OutboxMessage.attempts + 1)
)
_FINISH = (
    update(OutboxMessage)
    .where(col(OutboxMessage.id) == bindparam("message"))
    .values(
        status=bindparam("status"),
        sent_at=bindparam("sent_at"),
        last_error=bindparam("error"),
        subject=bindparam("subject"),
        next_attempt_at=bindparam("next_at"),
    )
)


async def due(
    session: AsyncSession, now: datetime, limit: int, settle: timedelta = timedelta(0)
) -> list[OutboxMessage]:
    """Messages due at `now` and queued at least `settle` before it, oldest due first."""
    params = {"now": now, "settled": now - settle, "limit": limit}
    result = await session.exec(_DUE, params=params)
    return list(result.all())


async def claim(
    session: AsyncSession, message: OutboxMessage, now: datetime, lease: timedelta
) -> bool:
    params = {"message": message.id, "was_due": message.next_attempt_at, "lease_end": now + lease}
    return bool((await execute(session, _CLAIM, params)).rowcount)


async def finish(
    session: AsyncSession,
    message_id: int,
    status: MailStatus,
    *,
    at: datetime,
    subject: str | None = None,
    error: str | None = None,
    next_at: datetime | None = None,
) -> None:
    params = {
        "message": message_id,
        "status": status.value,
        "sent_at": at if status is MailStatus.sent else None,
        "error": None if error is None else error[:MAX_ERROR],
        "subject": subject,
        "next_at": next_at or at,
    }
    await execute(session, _FINISH, params)


async def empty(
    connection: AsyncConnection,
    ids: Collection[int],
    *,
    note: str,
    where: ColumnElement[bool] | None = None,
) -> int:
    """Empty the address, context and subject of the messages `ids` (those of them for which
    `where` still holds); how many rows changed. `note` is what staff read in place of the
    error (/admin/mail): why the address is blank."""
    if not ids:
        return 0
    chosen = [col(OutboxMessage.id).in_(ids)] + ([] if where is None else [where])
    result = await connection.execute(
        update(OutboxMessage)
        .where(*chosen)
        .values(
            to_address="",
            context={},
            subject=None,
            last_error=note,
            # Whatever the worker has yet to send would go to nobody: it is never sent.
            status=case(
                (col(OutboxMessage.status) == MailStatus.queued.value, MailStatus.skipped.value),
                else_=col(OutboxMessage.status),
            ),
        )
    )
    return int(result.rowcount)
