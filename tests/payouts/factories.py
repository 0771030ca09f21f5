"""Payouts for tests: Stripe's balance transactions of real happenings (stripe_events), stored
as `donations reconcile payouts` stores them, and the payout events that name them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stripe_events as se
from donations.db import Database
from donations.payouts.transactions import store_transactions, transaction_row
from stripe_emulator.shapes import shape
from webhooks.inbox import EventOutcome, receive_dict

Json = dict[str, Any]
T = se.START  # 2026-03-02T00:00:00Z
HOUR = 3600
FETCHED_AT = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def fee_of(amount: int) -> int:
    """The emulator's fee rule, 1.5% + 25, for amounts that round without a tie."""
    return round(amount * 15 / 1000) + 25


def txn(
    amount: int,
    currency: str,
    created: int,
    *,
    category: str,
    type: str,
    source: Json | str,
    fee: int = 0,
) -> Json:
    """A BalanceTransaction as GET /v1/balance_transactions?expand[]=data.source lists it."""
    return shape(
        "balance_transaction",
        id=se.new_id("txn"),
        amount=amount,
        currency=currency,
        created=created,
        available_on=created + 2 * se.DAY,
        fee=fee,
        fee_details=[],
        net=amount - fee,
        reporting_category=category,
        type=type,
        source=source,
        status="available",
    )


def charge_of(paid: se.Paid, part: int = 0) -> Json:
    payment_intent, charge, amount = paid.parts[part]
    source = shape("charge", id=charge, amount=amount, currency=paid.currency)
    source["payment_intent"] = payment_intent
    return txn(
        amount, paid.currency, paid.paid_at, category="charge", type="charge", source=source,
        fee=fee_of(amount),
    )  # fmt: skip


def refund_of(record: se.RefundRecord) -> Json:
    source = shape("refund", id=record.refund_id, amount=record.amount, currency=record.currency)
    source.update(charge=record.charge_id, payment_intent=record.payment_intent_id)
    return txn(
        -record.amount, record.currency, record.at, category="refund", type="refund", source=source
    )


def withdrawal_of(record: se.DisputeRecord, dispute_fee: int = 1500) -> Json:
    source = shape("dispute", id=record.dispute_id, amount=record.amount)
    source.update(charge=record.charge_id, currency=record.currency)
    return txn(
        -record.amount, record.currency, record.at, category="dispute", type="adjustment",
        source=source, fee=dispute_fee,
    )  # fmt: skip


@dataclass
class PaidOut:
    """A payout: its events, and the balance transactions it paid out (its own among them)."""

    record: se.PayoutRecord
    transactions: list[Json] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.record.payout_id


def payout(
    items: list[Json], created: int, *, path: tuple[str, ...] = ("pending", "in_transit", "paid")
) -> PaidOut:
    """A payout of `items` (one currency): its amount is the sum of their net."""
    currency = items[0]["currency"]
    amount = sum(item["net"] for item in items)
    record = se.payout(amount, currency, created, path=path)
    own = txn(-amount, currency, created, category="payout", type="payout", source=record.payout_id)
    return PaidOut(record, [*items, own])


async def receive(db: Database, events: list[Json]) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome in (EventOutcome.processed, EventOutcome.duplicate), receipt.error


async def store(db: Database, paid_out: PaidOut) -> bool:
    rows = [transaction_row(t, paid_out.id) for t in paid_out.transactions]
    async with db.session() as session, session.begin():
        return await store_transactions(session, paid_out.id, rows, now=FETCHED_AT)


@dataclass
class Month:
    eur: PaidOut
    gbp: PaidOut
    unfetched: se.PayoutRecord
    unbooked_charge: str
    unpaid_gift: se.Gift


async def a_month_of_payouts(db: Database) -> Month:
    """Gifts, a membership, a refund, a dispute, a charge the ledger never heard of, a Stripe
    fee and an adjustment, paid out in euros; a gift in pounds paid out apart; a payout whose
    transactions were never fetched; a gift no payout holds."""
    gift = se.one_off_gift(2500, "eur", T + HOUR, "ana@example.org")
    member = se.membership_signup(1000, "eur", "month", T + 2 * HOUR, "bo@example.org")
    disputed = se.one_off_gift(1600, "eur", T + 3 * HOUR, "cy@example.org")
    stranger = se.one_off_gift(3000, "eur", T + 4 * HOUR, "di@example.org")  # never delivered
    pounds = se.one_off_gift(1200, "gbp", T + 5 * HOUR, "ed@example.org")
    unpaid = se.one_off_gift(700, "eur", T + se.DAY, "fa@example.org")
    refund = se.refund(gift, 500, T + se.DAY)
    dispute = se.dispute(disputed, T + se.DAY)
    await receive(
        db,
        gift.events + member.events + disputed.events + pounds.events + unpaid.events
        + refund.events + dispute.events,
    )  # fmt: skip
    eur = payout(
        [
            charge_of(gift),  # 2500, fee 63
            charge_of(member.payments[0]),  # 1000, fee 40
            charge_of(disputed),  # 1600, fee 49
            refund_of(refund),  # -500
            withdrawal_of(dispute),  # -1600, fee 1500
            charge_of(stranger),  # 3000, fee 70
            txn(-200, "eur", T + se.DAY, category="fee", type="stripe_fee", source=None),
            txn(-100, "eur", T + se.DAY, category="other_adjustment", type="adjustment",
                source=None),
        ],
        T + 3 * se.DAY,
    )  # fmt: skip
    gbp = payout([charge_of(pounds)], T + 3 * se.DAY)
    unfetched = se.payout(5000, "eur", T + 4 * se.DAY)
    await receive(db, eur.record.events + gbp.record.events + unfetched.events)
    assert await store(db, eur) is True
    assert await store(db, gbp) is True
    return Month(eur, gbp, unfetched, stranger.charge_id, unpaid)
