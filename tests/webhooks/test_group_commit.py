"""Group commit (webhooks/inbox.py): deliveries that arrive while a transaction is being
written share the next one, and one bad event in a group never costs the others."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlmodel import col, select

import stripe_events as se
from donations.db import Database
from donations.models import EventStatus, Payment, StripeEvent
from tests.webhooks.conflicts import import_payment_claiming
from webhooks import inbox
from webhooks.inbox import EventOutcome, Receipt, receive_dict

pytestmark = pytest.mark.asyncio

NOW = int(time.time())


@contextmanager
def counting_commits(db: Database) -> Iterator[list[int]]:
    """How many write transactions commit meanwhile (one entry per commit)."""
    commits: list[int] = []

    def on_commit(connection: Any) -> None:
        commits.append(1)

    sqlalchemy_event.listen(db.write_engine.sync_engine, "commit", on_commit)
    try:
        yield commits
    finally:
        sqlalchemy_event.remove(db.write_engine.sync_engine, "commit", on_commit)


async def deliver_at_once(db: Database, events: list[dict[str, Any]]) -> list[Receipt]:
    return list(await asyncio.gather(*(receive_dict(db, event) for event in events)))


def outcomes(receipts: list[Receipt]) -> list[EventOutcome]:
    return [receipt.outcome for receipt in receipts]


async def booked(db: Database) -> list[int]:
    """The amount of every payment in the ledger, smallest first."""
    amounts = select(Payment.amount).order_by(col(Payment.amount))
    async with db.session() as session:
        return list((await session.exec(amounts)).all())


def gifts(count: int) -> list[se.Gift]:
    return [
        se.one_off_gift(1000 + n, "eur", NOW - n, f"reader{n}@example.org") for n in range(count)
    ]


async def test_deliveries_waiting_for_the_writer_share_one_transaction(db: Database) -> None:
    events = [event for gift in gifts(10) for event in gift.events]
    with counting_commits(db) as commits:
        receipts = await deliver_at_once(db, events)
    assert outcomes(receipts) == [EventOutcome.processed] * 20
    # The first delivery finds the writer idle and is written alone; the other 19 queue
    # behind it and are written together.
    assert len(commits) == 2
    assert await booked(db) == [1000 + n for n in range(10)]


async def test_a_failing_event_in_a_group_fails_alone(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    first, good, bad, also_good = gifts(4)
    await import_payment_claiming(db, bad.charge_id)
    intent_succeeded = [gift.events[1] for gift in (first, good, bad, also_good)]
    with caplog.at_level(logging.INFO, logger="webhooks.inbox"):
        receipts = await deliver_at_once(db, intent_succeeded)
    assert outcomes(receipts) == [
        EventOutcome.processed,
        EventOutcome.processed,
        EventOutcome.failed,
        EventOutcome.processed,
    ]
    # The last three were tried as one group first: the bad one rolled it back.
    assert "group of 3 events rolled back (LedgerConflict); writing them one by one" in [
        record.getMessage() for record in caplog.records if record.name == "webhooks.inbox"
    ]
    async with db.session() as session:
        statuses = dict(
            (await session.exec(select(StripeEvent.id, StripeEvent.status))).all()  # type: ignore[arg-type]
        )
    assert await booked(db) == [100, 1000, 1001, 1003]
    assert statuses == {
        first.events[1]["id"]: EventStatus.processed,
        good.events[1]["id"]: EventStatus.processed,
        bad.events[1]["id"]: EventStatus.failed,
        also_good.events[1]["id"]: EventStatus.processed,
    }


async def test_a_duplicate_inside_one_group_is_answered_as_a_duplicate(db: Database) -> None:
    first, gift = gifts(2)
    paid = gift.events[1]
    with counting_commits(db) as commits:
        receipts = await deliver_at_once(db, [first.events[1], paid, paid, paid])
    assert outcomes(receipts) == [
        EventOutcome.processed,
        EventOutcome.processed,
        EventOutcome.duplicate,
        EventOutcome.duplicate,
    ]
    # The three deliveries of `paid` were one group: one transaction.
    assert len(commits) == 2
    assert await booked(db) == [1000, 1001]


async def test_a_cancelled_writer_still_writes_its_group_before_the_next_one_starts(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    writing = inbox._write_group
    started = asyncio.Event()
    at_once: list[int] = []
    active = 0

    async def watched(db: Database, group: list[Any]) -> None:
        nonlocal active
        active += 1
        at_once.append(active)
        started.set()
        try:
            await writing(db, group)
        finally:
            active -= 1

    monkeypatch.setattr(inbox, "_write_group", watched)
    events = [gift.events[1] for gift in gifts(5)]
    deliveries = [asyncio.create_task(receive_dict(db, event)) for event in events]
    await started.wait()
    # The first delivery is writing (alone); its client goes away.
    deliveries[0].cancel()
    receipts = await asyncio.gather(*deliveries[1:])
    assert outcomes(receipts) == [EventOutcome.processed] * 4
    with pytest.raises(asyncio.CancelledError):
        await deliveries[0]
    # One group at a time, the cancelled one included, and every event written.
    assert at_once == [1, 1]
    assert await booked(db) == [1000 + n for n in range(5)]
