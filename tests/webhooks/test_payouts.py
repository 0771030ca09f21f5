"""Payout events: any order, any duplicates, the payout's row is the newest event's state."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import select

import stripe_events as se
from donations.db import Database
from donations.models import EventStatus, Payout, StripeEvent
from stripe_events.versions import render
from webhooks.inbox import EventOutcome, receive_dict

T = se.START  # 2026-03-02T00:00:00Z


async def _payout_after(db: Database, events: list[dict[str, Any]]) -> tuple[Any, ...]:
    async with db.session() as session, session.begin():
        await session.exec(delete(Payout))
        await session.exec(delete(StripeEvent))
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome in (EventOutcome.processed, EventOutcome.duplicate), receipt.error
    async with db.session() as session:
        payout = (await session.exec(select(Payout))).one()
    return (
        payout.stripe_payout_id,
        payout.amount,
        payout.currency,
        payout.status,
        payout.arrival_date,
        payout.created,
        payout.reconciliation_status,
        payout.failure_code,
    )


@pytest.mark.asyncio
async def test_a_paid_payout_is_paid_and_reconciled_whatever_order_its_events_come_in(
    db: Database,
) -> None:
    record = se.payout(2897, "eur", T)
    events = record.events
    assert [e["type"] for e in events] == [
        "payout.created",
        "payout.updated",
        "payout.paid",
        "payout.reconciliation_completed",
    ]
    expected = (
        record.payout_id, 2897, "eur", "paid", date(2026, 3, 4),
        datetime(2026, 3, 2, tzinfo=UTC), "completed", None,
    )  # fmt: skip
    for order in itertools.permutations(events):
        assert await _payout_after(db, list(order)) == expected, [e["type"] for e in order]


@pytest.mark.asyncio
async def test_a_payout_that_failed_after_it_was_paid_stays_failed_with_duplicates_in_any_order(
    db: Database,
) -> None:
    record = se.payout(5000, "gbp", T, path=("pending", "in_transit", "paid", "failed"))
    events = record.events
    expected = (
        record.payout_id, 5000, "gbp", "failed", date(2026, 3, 4),
        datetime(2026, 3, 2, tzinfo=UTC), "completed", "account_closed",
    )  # fmt: skip
    # The failure first, last, and delivered twice among the others.
    orders = [events, events[::-1], [events[4], *events[:2], events[4], *events[2:], events[0]]]
    for order in orders:
        assert await _payout_after(db, order) == expected


@pytest.mark.asyncio
async def test_a_canceled_payout_stays_canceled_when_its_creation_comes_last(db: Database) -> None:
    record = se.payout(1200, "eur", T, path=("pending", "canceled"))
    created, canceled = record.events
    assert (await _payout_after(db, [canceled, created]))[3] == "canceled"


@pytest.mark.asyncio
async def test_the_balance_becoming_available_is_stored_as_ignored(db: Database) -> None:
    # As Stripe sends it: a Balance has no id (https://docs.stripe.com/api/balance/balance_object).
    balance = se.event(
        "balance.available",
        {"object": "balance", "available": [{"amount": 2897, "currency": "eur"}], "pending": []},
        created=T,
    )
    receipt = await receive_dict(db, render(balance))
    assert receipt.outcome is EventOutcome.ignored
    async with db.session() as session:
        stored = (await session.exec(select(StripeEvent))).one()
        assert (stored.type, stored.status) == ("balance.available", EventStatus.ignored)
        assert (await session.exec(select(Payout))).all() == []
