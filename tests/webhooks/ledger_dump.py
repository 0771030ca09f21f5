"""The ledger as plain data keyed by Stripe ids, to compare two databases, and its totals
as the reports give them, to compare with `stripe_events.expected_totals` (worked out from
the scenario's own story).

    await dump(db)    -> dict     every row that Stripe events write, without our own ids
    await totals(db)  -> Totals   (stripe_events.Totals), from the product's reports
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from donations.db import Database
from donations.models import (
    Campaign,
    ChargeRefundTotal,
    Checkout,
    Coupon,
    Discount,
    Dispute,
    Membership,
    Payment,
    PaymentKey,
    Refund,
    StripeCustomer,
    Supporter,
)
from donations.reports.progress import campaign_progress
from stripe_events import CurrencyTotals, Totals


async def dump(db: Database) -> dict[str, Any]:
    async with db.engine.connect() as connection:
        emails = await _supporters(connection)
        payments = await _rows(connection, Payment, exclude={"id", "created_at"})
        payment_key = {
            row["id"]: row["stripe_invoice_id"] or row["stripe_payment_intent_id"]
            for row in await _rows(connection, Payment, exclude=set())
        }
        memberships = await _rows(connection, Membership, exclude={"created_at"})
        membership_key = {row["id"]: row["stripe_subscription_id"] for row in memberships}
        for row in payments:
            row["supporter_id"] = emails.get(row["supporter_id"])
            row["membership_id"] = membership_key.get(row["membership_id"])
        for row in memberships:
            del row["id"]
            row["supporter_id"] = emails.get(row["supporter_id"])
        refunds = await _rows(connection, Refund, exclude={"id", "created_at"})
        disputes = await _rows(connection, Dispute, exclude={"id", "created_at"})
        for row in refunds + disputes:
            row["payment_id"] = payment_key.get(row["payment_id"])
        checkouts = await _rows(connection, Checkout, exclude={"updated_at"})
        for row in checkouts:
            row["supporter_id"] = emails.get(row["supporter_id"])
        keys = {
            row["key"]: payment_key.get(row["payment_id"])
            for row in await _rows(connection, PaymentKey, exclude=set())
        }
        charge_totals = await _rows(connection, ChargeRefundTotal, exclude=set())
        discounts = await _rows(connection, Discount, exclude=set())
        coupons = await _rows(connection, Coupon, exclude=set())
    return {
        "supporters": sorted(emails.values(), key=str),
        "payments": _keyed(payments, "stripe_invoice_id", "stripe_payment_intent_id"),
        "memberships": _keyed(memberships, "stripe_subscription_id"),
        "refunds": _keyed(refunds, "stripe_refund_id"),
        "disputes": _keyed(disputes, "stripe_dispute_id"),
        "checkouts": _keyed(checkouts, "id"),
        "payment_keys": keys,
        "charge_refund_totals": _keyed(charge_totals, "charge"),
        "discounts": _keyed(discounts, "id"),
        "coupons": _keyed(coupons, "id"),
    }


async def totals(db: Database, *, now: int | None = None) -> Totals:
    """The figures as the product's reports give them: progress of an all-time campaign in
    each currency, and members now (MRR as of `now`, default this moment)."""
    moment = datetime.now(UTC) if now is None else datetime.fromtimestamp(now, UTC)
    by_currency: dict[str, CurrencyTotals] = {}
    mrr: dict[str, int] = {}
    async with db.session() as session:
        connection = await session.connection()
        currencies = {row[0] for row in await connection.execute(select(Payment.currency))}
        currencies |= {row[0] for row in await connection.execute(select(Membership.currency))}
        # Progress counts the members of its campaign's currency: every currency's, added up.
        active = past_due = paused = 0
        for currency in sorted(currencies):
            progress = await campaign_progress(
                session=session, campaign=_all_time(currency), timezone="UTC", now=moment
            )
            figures = progress.totals
            if figures.payments:
                by_currency[currency] = CurrencyTotals(
                    gross=figures.gross,
                    refunded=figures.refunded,
                    disputed=figures.disputed,
                    payments=figures.payments,
                    one_off_count=figures.one_off.count,
                    one_off_amount=figures.one_off.amount,
                    recurring_count=figures.recurring.count,
                    recurring_amount=figures.recurring.amount,
                )
            members = progress.members
            active, past_due, paused = (
                active + members.active,
                past_due + members.past_due,
                paused + members.paused,
            )
            if members.mrr:
                mrr[currency] = members.mrr
        supporters = await connection.scalar(
            select(func.count(func.distinct(Payment.supporter_id)))
        )
    return Totals(
        by_currency=by_currency,
        supporters=supporters or 0,
        active_members=active,
        past_due_members=past_due,
        paused_members=paused,
        mrr=mrr,
    )


def _all_time(currency: str) -> Campaign:
    return Campaign(
        slug=f"all-{currency}",
        name="All time",
        currency=currency,
        target=1,
        starts_on=date(2000, 1, 1),
        ends_on=date(2100, 12, 31),
    )


async def _supporters(connection: AsyncConnection) -> dict[int, Any]:
    """Each supporter by who they are: their email, else their Stripe customers."""
    customers: dict[int, list[str]] = {}
    for customer, supporter in await connection.execute(
        select(StripeCustomer.id, StripeCustomer.supporter_id)
    ):
        customers.setdefault(supporter, []).append(customer)
    names = {}
    for supporter_id, email in await connection.execute(select(Supporter.id, Supporter.email)):
        names[supporter_id] = email or ",".join(sorted(customers.get(supporter_id, [])))
    return names


async def _rows(
    connection: AsyncConnection, model: Any, *, exclude: set[str]
) -> list[dict[str, Any]]:
    result = await connection.execute(select(model.__table__))
    return [{k: v for k, v in row._mapping.items() if k not in exclude} for row in result]


def _keyed(rows: list[dict[str, Any]], *keys: str) -> dict[str, dict[str, Any]]:
    return {next(str(row[k]) for k in keys if row[k]): row for row in rows}


async def count(db: Database, model: Any) -> int:
    async with db.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(model)) or 0)
