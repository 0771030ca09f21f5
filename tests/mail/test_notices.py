"""Which ledger changes queue which message, once, whatever the events' order or repeats."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlmodel import col, select

import stripe_events as se
from donations.db import Database
from donations.models import OutboxMessage
from stripe_events.versions import render
from webhooks.inbox import EventOutcome, receive_dict

pytestmark = pytest.mark.asyncio
T = se.START
Json = dict[str, Any]


async def deliver(db: Database, events: list[Json]) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome is not EventOutcome.failed, receipt.error


async def outbox(db: Database) -> list[tuple[str, str, str]]:
    """(kind, address, key) of every message queued, in order."""
    async with db.session() as session:
        rows = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return [(m.kind, m.to_address, m.key.split(":")[0]) for m in rows.all()]


async def only_context(db: Database, kind: str) -> dict[str, Any]:
    async with db.session() as session:
        rows = await session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind))
        [message] = rows.all()
        return dict(message.context)


async def test_a_gift_queues_one_receipt_whichever_event_comes_first_and_however_often(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "Ana@Example.org")
    events = gift.events
    await deliver(db, [events[-1], *events, events[0]])
    assert await outbox(db) == [("receipt", "ana@example.org", "receipt")]
    context = await only_context(db, "receipt")
    assert (context["amount"], context["currency"], context["description"]) == (
        2500, "eur", "A one-off contribution"
    )  # fmt: skip


async def test_a_membership_queues_a_welcome_and_a_receipt_for_each_payment_once(
    db: Database,
) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "bo@example.org")
    renewal = se.membership_renewal(member, T + 31 * se.DAY)
    signup, renewed = member.events, renewal.events
    paid = [e for e in renewed if e["type"] == "invoice.paid"]
    # The renewal's invoice.paid delivered three times (a retry, a replay, a backfill).
    await deliver(db, [*signup, *renewed, *paid, *paid])
    assert sorted(await outbox(db)) == [
        ("receipt", "bo@example.org", "receipt"),
        ("receipt", "bo@example.org", "receipt"),
        ("welcome", "bo@example.org", "welcome"),
    ]


async def test_a_failed_renewal_queues_one_note(db: Database) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "cy@example.org")
    failed = se.failed_renewal(member, T + 31 * se.DAY).events
    await deliver(db, [*member.events, *failed, failed[0]])
    kinds = [kind for kind, _, _ in await outbox(db)]
    assert sorted(kinds) == ["receipt", "renewal_failed", "welcome"]
    context = await only_context(db, "renewal_failed")
    assert (context["amount"], context["how_often"]) == (1000, "monthly")


async def test_a_cancellation_queues_one_confirmation(db: Database) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "di@example.org")
    ending = se.cancellation(member, T + 5 * se.DAY, at_period_end=True).events
    ended = se.membership_renewal(member, T + 31 * se.DAY).events
    await deliver(db, [*member.events, *ending, *ended])
    assert [k for k, _, _ in await outbox(db)].count("cancellation") == 1
    context = await only_context(db, "cancellation")
    assert context["ends_on"] is not None


async def test_a_refund_queues_one_notice(db: Database) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ed@example.org")
    refunded = se.refund(gift, 1000, T + se.DAY).events
    await deliver(db, [*gift.events, *refunded, *refunded])
    assert sorted(k for k, _, _ in await outbox(db)) == ["receipt", "refund"]
    assert (await only_context(db, "refund"))["amount"] == 1000


def upcoming(member: se.Membership, days: int) -> Json:
    paid = next(e for e in member.union if e["type"] == "invoice.paid")
    invoice = copy.deepcopy(paid["data"]["object"])
    invoice.pop("id")
    invoice.update(billing_reason="upcoming", status="draft")
    return render(se.event("invoice.upcoming", invoice, created=T + days * se.DAY))


async def test_an_annual_renewal_queues_one_reminder_and_a_monthly_none(db: Database) -> None:
    annual = se.membership_signup(12000, "eur", "year", T, "fa@example.org")
    monthly = se.membership_signup(1000, "eur", "month", T, "go@example.org")
    notice = upcoming(annual, 358)
    await deliver(db, [*annual.events, *monthly.events, notice, notice | {"id": "evt_again"}])
    await deliver(db, [upcoming(monthly, 24)])
    reminders = [m for m in await outbox(db) if m[0] == "renewal_reminder"]
    assert reminders == [("renewal_reminder", "fa@example.org", "renewal_reminder")]
    assert (await only_context(db, "renewal_reminder"))["how_often"] == "annual"
