"""Each payout explained from what it paid out, matched to the ledger; every mismatch listed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

import stripe_events as se
from donations.db import Database
from donations.payouts.explained import NOT_FETCHED, PayoutRow, payout_items, payout_rows
from donations.payouts.mismatches import Mismatch, mismatches
from donations.payouts.transactions import UnreadableTransaction, transaction_row
from stripe_events.objects import event
from stripe_events.versions import render
from tests.payouts.factories import (
    PaidOut,
    T,
    a_month_of_payouts,
    charge_of,
    payout,
    receive,
    refund_of,
    store,
)

HOUR = 3600
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.mark.asyncio
async def test_each_payout_is_explained_to_the_cent_by_column_and_currency(db: Database) -> None:
    month = await a_month_of_payouts(db)
    async with db.session() as session:
        rows = await payout_rows(session=session, first_day=MARCH[0], last_day=MARCH[1])
    # Net: 2437 + 960 + 1551 - 500 - 3100 + 2930 - 200 - 100.
    assert rows == [
        PayoutRow(
            payout=month.eur.id, status="paid", arrival_date=date(2026, 3, 7), currency="eur",
            amount=3978, one_off=4100, recurring=1000, refunds=-500, disputes=-1600,
            # Every fee (63 + 40 + 49 + 1500 + 70) and Stripe's fee charged apart (200).
            fees=-1922,
            # The charge the ledger does not hold, and the adjustment.
            other=2900,
            transactions=8, unbooked=1, fetched=True, automatic=True,
        ),
        PayoutRow(
            payout=month.gbp.id, status="paid", arrival_date=date(2026, 3, 7), currency="gbp",
            amount=1157, one_off=1200, recurring=0, refunds=0, disputes=0, fees=-43, other=0,
            transactions=1, unbooked=0, fetched=True, automatic=True,
        ),
        PayoutRow(
            payout=month.unfetched.payout_id, status="paid", arrival_date=date(2026, 3, 8),
            currency="eur", amount=5000, one_off=0, recurring=0, refunds=0, disputes=0, fees=0,
            other=0, transactions=0, unbooked=0, fetched=False, automatic=True,
        ),
    ]  # fmt: skip
    eur, gbp, unfetched = rows
    assert (eur.gifts, eur.total, eur.difference, eur.explained) == (5100, 3978, 0, True)
    assert eur.note == "1 not in the ledger"
    assert (gbp.difference, gbp.explained, gbp.note) == (0, True, "")
    assert (unfetched.difference, unfetched.explained, unfetched.note) == (5000, False, NOT_FETCHED)


@pytest.mark.asyncio
async def test_an_unbooked_charge_a_payout_never_fetched_and_a_gift_never_paid_out_are_mismatches(
    db: Database,
) -> None:
    month = await a_month_of_payouts(db)
    async with db.session() as session:
        rows = await payout_rows(session=session, first_day=MARCH[0], last_day=MARCH[1])
        found = await mismatches(
            session=session, rows=rows, first_day=MARCH[0], last_day=MARCH[1], timezone="UTC",
            now=datetime.fromtimestamp(T + 20 * se.DAY, UTC), within_days=7,
        )  # fmt: skip
    assert found == [
        Mismatch(
            kind="unexplained", stripe_id=month.unfetched.payout_id,
            payout=month.unfetched.payout_id, at="2026-03-08", currency="eur", amount=5000,
            note=f"payout {month.unfetched.payout_id}: {NOT_FETCHED}",
        ),
        Mismatch(
            kind="not_in_ledger", stripe_id=month.unbooked_charge, payout=month.eur.id,
            at="2026-03-02T04:00:00Z", currency="eur", amount=3000,
            note=f"A charge paid out by {month.eur.id} that the ledger does not hold",
        ),
        Mismatch(
            kind="not_paid_out", stripe_id=month.unpaid_gift.payment_intent_id, payout=None,
            at="2026-03-03T00:00:00Z", currency="eur", amount=700,
            note="a payment in no payout after 7 days",
        ),
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_a_gift_is_not_a_mismatch_before_the_usual_delay_has_passed(db: Database) -> None:
    await a_month_of_payouts(db)
    async with db.session() as session:
        rows = await payout_rows(session=session, first_day=MARCH[0], last_day=MARCH[1])
        found = await mismatches(
            session=session, rows=rows, first_day=MARCH[0], last_day=MARCH[1], timezone="UTC",
            now=datetime.fromtimestamp(T + 7 * se.DAY, UTC), within_days=7,
        )  # fmt: skip
    # Paid a day after the start, six days ago: Stripe may still pay it out.
    assert [m.kind for m in found] == ["unexplained", "not_in_ledger"]


@pytest.mark.asyncio
async def test_a_payout_is_explained_line_by_line_with_the_ledger_row_of_each(
    db: Database,
) -> None:
    month = await a_month_of_payouts(db)
    async with db.session() as session:
        items = await payout_items(session=session, payout=month.gbp.id)
    charge, own = items
    assert (charge.type, charge.column, charge.currency, charge.amount, charge.fee, charge.net) == (
        "charge", "one_off", "gbp", 1200, 43, 1157,
    )  # fmt: skip
    assert charge.ledger is not None and charge.ledger.endswith("(one_off)")
    assert (own.type, own.column, own.source, own.ledger, own.net) == (
        "payout", "payout", month.gbp.id, None, -1157,
    )  # fmt: skip


@pytest.mark.asyncio
async def test_a_refund_known_only_by_the_charges_running_total_is_matched_by_its_charge(
    db: Database,
) -> None:
    gift = se.one_off_gift(4000, "eur", T, "gil@example.org")
    # Since 2022-11-15 charge.refunded names no refund: the ledger keeps it unitemised.
    refund = se.refund(gift, 1000, T + HOUR, itemised=False)
    await receive(db, gift.events + refund.events)
    paid_out = payout([charge_of(gift), refund_of(refund)], T + 3 * se.DAY)
    await receive(db, paid_out.record.events)
    assert await store(db, paid_out) is True
    async with db.session() as session:
        [row] = await payout_rows(session=session, first_day=MARCH[0], last_day=MARCH[1])
    assert (row.one_off, row.refunds, row.other, row.unbooked, row.difference) == (
        4000, -1000, 0, 0, 0,
    )  # fmt: skip


@pytest.mark.asyncio
async def test_a_payout_whose_transactions_do_not_add_up_says_by_how_much(db: Database) -> None:
    gift = se.one_off_gift(2000, "eur", T, "hal@example.org")
    await receive(db, gift.events)
    paid_out = payout([charge_of(gift)], T + 3 * se.DAY)
    # Stripe still reconciling: the list is missing the charge, only its own transaction.
    short = PaidOut(paid_out.record, paid_out.transactions[1:])
    await receive(db, paid_out.record.events)
    assert await store(db, short) is False
    async with db.session() as session:
        [row] = await payout_rows(session=session, first_day=MARCH[0], last_day=MARCH[1])
    assert (row.amount, row.total, row.difference, row.explained) == (1945, 0, 1945, False)
    assert row.note == "its transactions add up to 0, not its amount"
    # Fetched again, whole: explained.
    assert await store(db, paid_out) is True


def test_a_balance_transaction_stripe_would_never_send_is_refused_by_field() -> None:
    gift = se.one_off_gift(2000, "eur", T, "ida@example.org")
    broken = charge_of(gift)
    broken["amount"] = "20.00"
    with pytest.raises(UnreadableTransaction) as raised:
        transaction_row(broken, "po_1")
    assert str(raised.value) == f"balance transaction {broken['id']}: amount is '20.00'"


def test_a_source_given_as_an_id_keeps_its_charge_when_it_is_one() -> None:
    gift = se.one_off_gift(2000, "eur", T, "jo@example.org")
    plain = charge_of(gift)
    plain["source"] = gift.charge_id
    row = transaction_row(plain, "po_1")
    assert (row["source"], row["source_charge"], row["source_payment_intent"]) == (
        gift.charge_id, gift.charge_id, None,
    )  # fmt: skip


@pytest.mark.asyncio
async def test_events_of_a_payout_arriving_after_its_transactions_change_nothing_fetched(
    db: Database,
) -> None:
    gift = se.one_off_gift(2000, "eur", T, "kai@example.org")
    await receive(db, gift.events)
    paid_out = payout([charge_of(gift)], T + 3 * se.DAY)
    created = paid_out.record.events[0]
    await receive(db, [created])
    assert await store(db, paid_out) is True
    # The rest of its life arrives later, and payout.paid again under another event id.
    later = paid_out.record.events[1:]
    paid = later[1]["data"]["object"]
    again = render(event("payout.paid", dict(paid), created=later[1]["created"]))
    await receive(db, [*later, again])
    async with db.session() as session:
        [row] = await payout_rows(session=session, first_day=MARCH[0], last_day=MARCH[1])
    assert (row.status, row.explained, row.transactions) == ("paid", True, 1)
