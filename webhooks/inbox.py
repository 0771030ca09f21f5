"""The inbox: every verified event is stored once in `stripe_event`, then processed.

    receive(db, event, payload, livemode=)  -> Receipt   store and process one delivery
    receive_dict(db, body, livemode=)       -> Receipt   the same from a parsed event dict
                                                         (benchmarks, backfill)
    reprocess(db, event_id)                 -> Receipt   run a stored event again (replay)

Receipt.outcome is one of:
    processed  the ledger reflects the event (this delivery did it)
    duplicate  already processed or ignored by an earlier delivery: nothing done
    ignored    stored only: a type no handler reads, the other mode's event (live/test), a
               connected account's event, or an object that moved no money we count
               (`stripe_event.note` says which)
    failed     a handler raised: nothing it wrote is kept; the event is stored as failed
               with the error, for Stripe's retry or `donations webhooks replay`

Deliveries are written in groups (group commit): while one transaction is being written,
the deliveries that arrive queue in memory, and the next transaction writes all of them, one
after another, then commits once; each waits for that commit before it is answered, so a 200
always means "stored". A crash leaves either all of a group or none of it (Stripe redelivers
what was not answered). If any event of a group fails, the group is rolled back and its events
are written one transaction each, so one bad event never costs the others.

Writing is serialized per database: across processes by SQLite's `BEGIN IMMEDIATE`
(donations/db.py) or PostgreSQL's transaction-level advisory lock, and first within a process
by the queue, so that a process's own concurrent deliveries wait their turn in memory rather
than in SQLite's busy handler (which sleeps up to 100 ms between tries) or on the advisory lock
holding a pooled connection each. A payment's events (session, PaymentIntent, invoice, invoice
payment, refunds, disputes) and a supporter's (every customer and email of one person) meet in
rows that no single row lock covers; serializing them makes any interleaving of deliveries,
across processes, equal to some order of them, and handlers already give the same ledger for
every order. Deadlocks, serialization failures and unique violations from writers outside the
lock are retried; any other constraint violation (NOT NULL, CHECK, foreign key) is a bug that
would fail the same way every time, so the event fails at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import webhooks.handlers  # noqa: F401  (registers every handler)
from donations import prepared
from donations.db import Database
from donations.models import EventStatus, StripeEvent, utcnow
from donations.sql import (
    dialect,
    execute,
    insert_ignoring_conflicts,
    insert_many_ignoring_conflicts,
)
from webhooks import fields, metrics
from webhooks.events import Event, event_from_dict, parse_event
from webhooks.registry import WITHOUT_ID, Handler, handler_for

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock's key for "the ledger is being written from a Stripe event".
LEDGER_LOCK = 0x5354524950450001
ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 0.05
MAX_ERROR_LENGTH = 2000
# SQLSTATEs worth another try: serialization failure, deadlock, unique violation.
RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}
# SQLite's extended result codes for a unique violation (a primary key is one too):
# https://www.sqlite.org/rescode.html#constraint_unique
SQLITE_UNIQUE_VIOLATIONS = {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}
NOT_STORED = "event {id} is not in the inbox"
NO_ID = "has no id"

# The most deliveries one transaction writes: enough to amortize a commit, few enough that
# the first of them is not kept waiting long.
MAX_GROUP = 64

_LEDGER_LOCK = select(func.pg_advisory_xact_lock(LEDGER_LOCK))


class EventOutcome(StrEnum):
    processed = "processed"
    duplicate = "duplicate"
    ignored = "ignored"
    failed = "failed"


@dataclass(frozen=True)
class Receipt:
    outcome: EventOutcome
    error: str | None = None
    # Failed because the event carries a field in a shape Stripe never sent (fields.Unreadable):
    # the sender's mistake, not ours.
    unreadable: bool = False


@dataclass(frozen=True)
class _Delivery:
    event: Event
    payload: str
    # None: stored as ignored, never processed.
    handler: Handler | None
    receipt: asyncio.Future[Receipt]
    # Why it is stored as ignored, when finance should know (a connected account's event).
    note: str | None = None


@dataclass
class _Queue:
    """The deliveries of one Database waiting to be written, on one event loop."""

    loop: asyncio.AbstractEventLoop
    waiting: deque[_Delivery] = field(default_factory=deque)
    # Held while a group is being written; asyncio.Lock is first come, first served.
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)


_queues: weakref.WeakKeyDictionary[Database, _Queue] = weakref.WeakKeyDictionary()


CONNECTED_ACCOUNT = "from connected account {account}: not the newsroom's money"


async def receive(db: Database, event: Event, payload: str, *, livemode: bool) -> Receipt:
    started = time.perf_counter()
    handler = handler_for(event.type)
    note = None
    if event.livemode != livemode:
        handler = None
    if event.account is not None:
        # https://docs.stripe.com/connect/webhooks: the account's own payments, not ours.
        handler, note = None, CONNECTED_ACCOUNT.format(account=event.account)
    receipt = await _write(db, event, payload, handler, note)
    # One line per delivery, never the payload: ids and types only.
    elapsed_ms = (time.perf_counter() - started) * 1000
    metrics.delivered(event.type, receipt.outcome, elapsed_ms / 1000)
    logger.info("stripe event %s %s %s %.1f ms", event.id, event.type, receipt.outcome, elapsed_ms)
    return receipt


async def receive_dict(db: Database, body: dict[str, Any], *, livemode: bool = False) -> Receipt:
    return await receive(db, event_from_dict(body), json.dumps(body), livemode=livemode)


async def reprocess(db: Database, event_id: str) -> Receipt:
    async with db.session() as session:
        payload = (
            await execute(session, select(StripeEvent.payload).where(StripeEvent.id == event_id))
        ).scalar()
    if payload is None:
        raise LookupError(NOT_STORED.format(id=event_id))
    event = parse_event(payload)
    handler = handler_for(event.type)
    if handler is None or event.account is not None:
        return Receipt(EventOutcome.ignored)
    return await _write(db, event, payload, handler)


async def _write(
    db: Database, event: Event, payload: str, handler: Handler | None, note: str | None = None
) -> Receipt:
    """Queue the delivery; the first in line writes everything queued, in one transaction."""
    queue = _queue(db)
    delivery = _Delivery(event, payload, handler, queue.loop.create_future(), note)
    queue.waiting.append(delivery)
    while not delivery.receipt.done():
        await queue.writing.acquire()
        if delivery.receipt.done():
            queue.writing.release()
            break
        count = min(len(queue.waiting), MAX_GROUP)
        group = [queue.waiting.popleft() for _ in range(count)]
        # Shielded: if the request that happens to write is cancelled (its client went
        # away), the group is still written and every other delivery in it answered. The
        # lock goes with the write, not with this request, so no second group starts meanwhile.
        writing = asyncio.ensure_future(_write_group(db, group))
        writing.add_done_callback(lambda _: queue.writing.release())
        try:
            await asyncio.shield(writing)
        except BaseException:
            # This request raises what the write raised; its own receipt holds the same error,
            # retrieved here so that asyncio does not log it again as never retrieved.
            if delivery.receipt.done() and not delivery.receipt.cancelled():
                delivery.receipt.exception()
            raise
    return delivery.receipt.result()


async def _write_group(db: Database, group: list[_Delivery]) -> None:
    try:
        if len(group) == 1 or not await _wrote_together(db, group):
            # Each answered as soon as it is written, not when the last one is.
            for delivery in group:
                delivery.receipt.set_result(await _write_alone(db, delivery))
    except BaseException as error:
        # Never leave a delivery waiting for an answer that will not come.
        for delivery in group:
            if not delivery.receipt.done():
                delivery.receipt.set_exception(error)
        raise


async def _wrote_together(db: Database, group: list[_Delivery]) -> bool:
    """Write the group in one transaction and answer each delivery; False, with nothing
    answered, if the transaction rolled back (an event failed, or the database said no)."""
    try:
        receipts = await _write_in_one_transaction(db, group)
    except Exception as error:
        logger.info(
            "group of %d events rolled back (%s); writing them one by one",
            len(group),
            type(error).__name__,
        )
        return False
    for delivery, receipt in zip(group, receipts, strict=True):
        delivery.receipt.set_result(receipt)
    return True


async def _write_in_one_transaction(db: Database, group: list[_Delivery]) -> list[Receipt]:
    async with db.writing_session() as session:
        await _serialize(session)
        # The group's statements, run hundreds of times a second, skip SQLAlchemy's
        # per-statement work (donations/prepared.py).
        prepared.on_driver(session)
        return await _store_and_apply(session, group)


async def _write_alone(db: Database, delivery: _Delivery) -> Receipt:
    event, payload = delivery.event, delivery.payload
    for attempt in range(1, ATTEMPTS + 1):
        try:
            [receipt] = await _write_in_one_transaction(db, [delivery])
            return receipt
        except DBAPIError as error:
            if attempt == ATTEMPTS or not _retryable(error):
                return await _fail(db, event, payload, error)
            logger.info("retrying event", extra={"event": event.id, "attempt": attempt})
            await asyncio.sleep(RETRY_PAUSE_SECONDS * attempt)
        except Exception as error:
            return await _fail(db, event, payload, error)
    raise AssertionError("unreachable: the last attempt returns")


async def _store_and_apply(session: AsyncSession, group: list[_Delivery]) -> list[Receipt]:
    """Store the group's events in the inbox, then run each new one's handler in order,
    all inside the caller's transaction."""
    # One INSERT for the whole group (a round trip per event would be a fifth of the work).
    # Stored as processed (or ignored) at once: if a handler raises, the transaction, these
    # rows with it, is rolled back.
    rows: dict[str, dict[str, Any]] = {}
    for delivery in group:
        rows.setdefault(delivery.event.id, _inbox_row(delivery))
    inserted = await insert_many_ignoring_conflicts(session, StripeEvent, list(rows.values()))
    receipts = []
    for delivery in group:
        is_new = delivery.event.id in inserted
        # A second delivery of one event within the group finds it already done.
        inserted.discard(delivery.event.id)
        receipts.append(await _apply(session, delivery, is_new=is_new))
    return receipts


async def _apply(session: AsyncSession, delivery: _Delivery, *, is_new: bool) -> Receipt:
    event, handler = delivery.event, delivery.handler
    if handler is None:
        return Receipt(EventOutcome.ignored if is_new else EventOutcome.duplicate)
    if is_new:
        note = await _run(handler, session, event)
        if note is None:
            return Receipt(EventOutcome.processed)
        await execute(session, _NOTED, {"event": event.id, "note": note})
        return Receipt(EventOutcome.ignored)
    # Met before: done already, or failed (or left pending by a crash) and worth a retry.
    stored = select(StripeEvent.status).where(StripeEvent.id == event.id)
    status = (await execute(session, stored)).scalar_one()
    if status in (EventStatus.processed, EventStatus.ignored):
        return Receipt(EventOutcome.duplicate)
    note = await _run(handler, session, event)
    await execute(
        session,
        update(StripeEvent)
        .where(col(StripeEvent.id) == event.id)
        .values(
            status=(EventStatus.processed if note is None else EventStatus.ignored).value,
            attempts=StripeEvent.attempts + 1,
            last_error=None,
            note=note,
            processed_at=utcnow(),
        ),
    )
    return Receipt(EventOutcome.processed if note is None else EventOutcome.ignored)


async def _run(handler: Handler, session: AsyncSession, event: Event) -> str | None:
    # Every object a handler reads has an id, but for the few Stripe sends without one (an
    # upcoming invoice); events about others without one (the balance) are stored as ignored.
    obj = event.object
    if event.type not in WITHOUT_ID:
        fields.require(isinstance(obj.get("id"), str) and bool(obj["id"]), obj, NO_ID)
    return await handler(session=session, event=event)


# A handler's note: the event stays in the inbox as ignored, saying why.
_NOTED = (
    update(StripeEvent)
    .where(col(StripeEvent.id) == bindparam("event"))
    .values(status=EventStatus.ignored.value, note=bindparam("note"))
)


def _inbox_row(delivery: _Delivery) -> dict[str, Any]:
    if delivery.handler is None:
        row = _row(
            delivery.event, delivery.payload, status=EventStatus.ignored, processed_at=utcnow()
        )
        row["note"] = delivery.note
        return row
    row = _row(
        delivery.event, delivery.payload, status=EventStatus.processed, processed_at=utcnow()
    )
    row["attempts"] = 1
    return row


async def _fail(db: Database, event: Event, payload: str, error: Exception) -> Receipt:
    """Keep the event as failed with the error, in a transaction of its own (the handler's
    was rolled back). An earlier or concurrent success is never overwritten."""
    message = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    logger.warning(
        "event failed",
        extra={"event": event.id, "type": event.type, "error": type(error).__name__},
    )
    async with db.writing_session() as session:
        row = _row(event, payload, status=EventStatus.failed)
        row.update(attempts=1, last_error=message)
        if not await insert_ignoring_conflicts(session, StripeEvent, row):
            await execute(
                session,
                update(StripeEvent)
                .where(
                    col(StripeEvent.id) == event.id,
                    col(StripeEvent.status) != EventStatus.processed,
                )
                .values(
                    status=EventStatus.failed.value,
                    attempts=StripeEvent.attempts + 1,
                    last_error=message,
                ),
            )
    return Receipt(EventOutcome.failed, message, unreadable=isinstance(error, fields.Unreadable))


def _queue(db: Database) -> _Queue:
    loop = asyncio.get_running_loop()
    queue = _queues.get(db)
    if queue is None or queue.loop is not loop:
        queue = _queues[db] = _Queue(loop)
    return queue


async def _serialize(session: AsyncSession) -> None:
    if dialect(session) == "postgresql":
        await execute(session, _LEDGER_LOCK)


def _retryable(error: DBAPIError) -> bool:
    """A deadlock, a serialization failure, SQLite's lock, or a unique violation: another
    writer created the row this transaction meant to, and on the next try it is there to be
    found. Any other constraint violation fails the same way on every try."""
    original = error.orig
    # asyncpg through SQLAlchemy's adapter names it sqlstate, psycopg pgcode.
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return (
        state in RETRYABLE_SQLSTATES
        or _sqlite_unique_violation(original)
        or "database is locked" in str(original)
    )


def _sqlite_unique_violation(original: Exception | None) -> bool:
    # SQLite has no SQLSTATE; sqlite3's errors (aiosqlite raises them unwrapped) carry the
    # extended result code's name (Python 3.11+).
    return getattr(original, "sqlite_errorname", None) in SQLITE_UNIQUE_VIOLATIONS


def _row(
    event: Event,
    payload: str,
    *,
    status: EventStatus = EventStatus.pending,
    processed_at: Any = None,
) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "livemode": event.livemode,
        "api_version": event.api_version,
        "created": event.created,
        "payload": payload,
        "status": status.value,
        "attempts": 0,
        "processed_at": processed_at,
        "received_at": utcnow(),
        "note": None,
    }
