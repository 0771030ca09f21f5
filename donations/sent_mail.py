"""Messages past retention give up the reader's address and what they said.

    due_sent(reader, cutoff=, now=)                            -> Emptied (what would be)
    empty_sent(db, reader, cutoff=, now=, mail_dir=, batch_size=) -> Emptied (what was)

`reader` is the same database opened for reads that take no write lock (retention.reading).

`donations privacy purge` (donations/retention.py) runs this after the stored events and the
expired rows. Once a message is done with (sent, failed for good, or skipped), its address and
context (the reader's name, an amount, a sign-in link) serve nothing but a look at it at
/admin/mail, and a failed one's error may quote the address:

    sign_in      a day after it was sent, or made if it was never sent (GRACE, as for the
                 link's own row in donations/expired.py): the link in it opens nothing after
                 ACCOUNT_LINK_MINUTES, a day at most
    every other  once sent, or made if it was never sent, before the cutoff
                 (PRIVACY_RETENTION_DAYS ago): staff have had that long to read a failure

They are emptied as erasure empties a reader's (outbox.empty): address, context and subject
go, the note says why. The row stays, with its id, key, kind, status and times: /admin/mail
still counts it, its key still refuses to queue the same message twice, and its Message-ID
(the id and the key) is what it was. Its .eml file (MAIL_DIR, development) goes once the
batch has committed.

Never a `queued` message: whatever the worker may still send (due, its lease running, or
failed and waiting to be tried again) keeps its address.

Each batch is chosen without a write lock, then emptied in a short transaction of its own,
which asks each row again whether it is due (one erased meanwhile is not counted twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import col

from donations.account.letters import KIND as SIGN_IN
from donations.db import Database
from donations.expired import GRACE
from donations.mail import outbox
from donations.mail.delivery import remove_mail_files
from donations.models import MailStatus, OutboxMessage

# Messages per transaction: a few milliseconds of write lock each.
BATCH_SIZE = 500
PAST_RETENTION = "sent long enough ago: address and content emptied by the privacy purge"


@dataclass(frozen=True)
class Emptied:
    sent_messages: int  # every kind but sign-in, done with before the cutoff
    sign_in_messages: int  # done with over a day ago


def _done_before(moment: datetime) -> ColumnElement[bool]:
    """Sent, failed for good or skipped before `moment`, and not emptied yet (an erased
    message has no address either: it is not emptied again)."""
    status = col(OutboxMessage.status)
    return and_(
        col(OutboxMessage.to_address) != "",
        or_(
            and_(status == MailStatus.sent.value, col(OutboxMessage.sent_at) < moment),
            and_(
                status.in_((MailStatus.failed.value, MailStatus.skipped.value)),
                col(OutboxMessage.created_at) < moment,
            ),
        ),
    )


def _over(cutoff: datetime, now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(a message past retention, a sign-in message past its day), in Emptied's order."""
    sign_in = col(OutboxMessage.kind) == SIGN_IN
    return (
        and_(~sign_in, _done_before(cutoff)),
        and_(sign_in, _done_before(now - GRACE)),
    )


async def due_sent(reader: Database, *, cutoff: datetime, now: datetime) -> Emptied:
    """How many messages `empty_sent` would empty now."""
    counts = []
    async with reader.engine.connect() as connection:
        for over in _over(cutoff, now):
            count = await connection.scalar(
                select(func.count()).select_from(OutboxMessage).where(over)
            )
            counts.append(int(count or 0))
    return Emptied(*counts)


async def empty_sent(
    db: Database,
    reader: Database,
    *,
    cutoff: datetime,
    now: datetime,
    mail_dir: Path | None = None,
    batch_size: int = BATCH_SIZE,
) -> Emptied:
    """Empty what is due, `batch_size` messages per short transaction, oldest id first; their
    .eml files in `mail_dir` go after each batch. Batches are chosen through `reader`."""
    counts = []
    for over in _over(cutoff, now):
        emptied, after = 0, 0
        while True:
            ids = await _next_batch(reader, over, after, batch_size)
            if not ids:
                break
            after = ids[-1]
            async with db.writing() as connection:
                emptied += await outbox.empty(connection, ids, note=PAST_RETENTION, where=over)
            if mail_dir is not None:
                remove_mail_files(mail_dir, ids)
        counts.append(emptied)
    return Emptied(*counts)


async def _next_batch(
    reader: Database, over: ColumnElement[bool], after: int, size: int
) -> list[int]:
    # No index of ours serves `over`: the batches walk the primary key, once a run, past the
    # messages emptied before (the outbox grows by one row a message, a daily walk is cheap).
    async with reader.engine.connect() as connection:
        rows = await connection.execute(
            select(col(OutboxMessage.id))
            .where(over, col(OutboxMessage.id) > after)
            .order_by(col(OutboxMessage.id))
            .limit(size)
        )
        return [message_id for message_id in rows.scalars() if message_id is not None]
