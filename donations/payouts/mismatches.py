"""Where Stripe's payouts and the ledger disagree, listed, never hidden.

    kind           what                                               the likely cause
    unexplained    a payout whose stored transactions do not add up   `donations reconcile payouts`
                   to its amount                                      not run yet; a manual payout
    not_in_ledger  a charge, refund or dispute a payout paid out      missed events (`donations
                   that the ledger does not hold                      webhooks backfill`), or money
                                                                      from another integration
    not_paid_out   a payment, refund or dispute older than            a missed payout event
                   PAYOUT_WITHIN_DAYS that no stored payout paid out  (`donations webhooks
                                                                      backfill`), or payouts not
                                                                      reconciled yet

    await mismatches(session=, rows=, first_day=, last_day=, timezone=, now=, within_days=)

The first two look at the payouts arriving in the days asked for; the third at the ledger's
movements in those days (in REPORT_TIMEZONE) that are old enough to have been paid out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, literal, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.payouts.categories import DISPUTES, REFUNDS
from donations.payouts.explained import (
    UNBOOKED_ITEM,
    PayoutRow,
    bt,
    dispute,
    in_payouts_arriving,
    items_statement,
    payment,
    payment_key,
    refund,
)
from donations.reports import counting
from donations.reports.windows import iso_utc, report_zone, window

COLUMNS = ("kind", "stripe_id", "payout", "at", "currency", "amount", "note")
MONEY_COLUMNS = frozenset({"amount"})

NOT_IN_LEDGER = "{column} paid out by {payout} that the ledger does not hold"
NOT_PAID_OUT = "{what} in no payout after {days} days"
UNEXPLAINED = "payout {payout}: {note}"
# Stripe's reporting category, in words.
WHAT = {"charge": "a charge", "refund": "a refund", "refund_failure": "a refund's failure",
        "dispute": "a dispute's withdrawal", "dispute_reversal": "a dispute's reinstatement"}  # fmt: skip


@dataclass(frozen=True)
class Mismatch:
    kind: str
    stripe_id: str
    payout: str | None
    at: str
    currency: str
    # What it is off by: the difference of a payout, or the amount of the item or ledger row.
    amount: int
    note: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def mismatches(
    *,
    session: AsyncSession,
    rows: list[PayoutRow],
    first_day: date,
    last_day: date,
    timezone: str,
    now: datetime,
    within_days: int,
) -> list[Mismatch]:
    found = [
        Mismatch(
            kind="unexplained",
            stripe_id=row.payout,
            payout=row.payout,
            at=row.arrival_date.isoformat(),
            currency=row.currency,
            amount=row.difference,
            note=UNEXPLAINED.format(payout=row.payout, note=row.note),
        )
        for row in rows
        if not row.explained
    ]
    connection = await counting.connection(session)
    unbooked = items_statement(in_payouts_arriving(first_day, last_day), UNBOOKED_ITEM).order_by(
        bt.c.happened_at, bt.c.stripe_balance_transaction_id
    )
    for item in (await connection.execute(unbooked)).mappings():
        what = WHAT.get(item["reporting_category"], item["reporting_category"])
        found.append(
            Mismatch(
                kind="not_in_ledger",
                stripe_id=item["source"] or item["stripe_balance_transaction_id"],
                payout=item["stripe_payout_id"],
                at=iso_utc(item["happened_at"]),
                currency=item["currency"],
                amount=item["amount"],
                note=NOT_IN_LEDGER.format(
                    column=what[0].upper() + what[1:], payout=item["stripe_payout_id"]
                ),
            )
        )
    span = window(first_day, last_day, report_zone(timezone))
    cutoff = now - timedelta(days=within_days)
    unpaid: list[Mismatch] = []
    for statement in _not_paid_out(span.start, min(span.end, cutoff)):
        for row in (await connection.execute(statement)).mappings():
            unpaid.append(
                Mismatch(
                    kind="not_paid_out",
                    stripe_id=row["stripe_id"],
                    payout=None,
                    at=iso_utc(row["at"]),
                    currency=row["currency"],
                    amount=row["amount"],
                    note=NOT_PAID_OUT.format(what=row["what"], days=within_days),
                )
            )
    return found + sorted(unpaid, key=lambda m: (m.at, m.stripe_id))


def _not_paid_out(start: datetime, end: datetime) -> list[Select[Any]]:
    """Payments, refunds and disputes that moved money from `start` to `end` and that no
    stored balance transaction paid out."""
    key_paid_out = exists().where(
        payment_key.c.payment_id == payment.c.id,
        or_(bt.c.source == payment_key.c.key, bt.c.source_payment_intent == payment_key.c.key),
    )
    refund_paid_out = exists().where(
        bt.c.reporting_category.in_(REFUNDS),
        or_(
            bt.c.source == refund.c.stripe_refund_id,
            refund.c.unitemised & (bt.c.source_charge == refund.c.stripe_charge_id),
        ),
    )
    dispute_paid_out = exists().where(
        bt.c.reporting_category.in_(DISPUTES), bt.c.source == dispute.c.stripe_dispute_id
    )
    in_span = _between(start, end)
    return [
        select(
            payment.c.paid_at.label("at"),
            func.coalesce(payment.c.stripe_invoice_id, payment.c.stripe_payment_intent_id).label(
                "stripe_id"
            ),
            payment.c.currency,
            payment.c.amount,
            literal("a payment").label("what"),
        ).where(payment.c.amount > 0, in_span(payment.c.paid_at), ~key_paid_out),
        select(
            refund.c.refunded_at.label("at"),
            refund.c.stripe_refund_id.label("stripe_id"),
            refund.c.currency,
            refund.c.amount,
            literal("a refund").label("what"),
        ).where(counting.ONCE_COUNTED_REFUND, in_span(refund.c.refunded_at), ~refund_paid_out),
        select(
            dispute.c.withdrawn_at.label("at"),
            dispute.c.stripe_dispute_id.label("stripe_id"),
            dispute.c.currency,
            dispute.c.amount,
            literal("a dispute's withdrawal").label("what"),
        ).where(counting.WITHDRAWN_DISPUTE, in_span(dispute.c.withdrawn_at), ~dispute_paid_out),
    ]


def _between(start: datetime, end: datetime) -> Any:
    def in_span(column: Any) -> ColumnElement[bool]:
        return counting.between(column, start, end)

    return in_span
