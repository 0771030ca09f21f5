"""The ledger as plain data keyed by Stripe ids, to compare two databases, and its totals
worked out in SQL, to compare with `stripe_events.expected_totals`.

    await dump(db)    -> dict     every row that Stripe events write, without our own ids
    await totals(db)  -> Totals   (tests.support.stripe_events.Totals)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from donations.db import Database
from donations.models import (
    Checkout,
    Dispute,
    Membership,
    Payment,
    Refund,
    StripeCustomer,
    Supporter,
)
from tests.support.stripe_events import CurrencyTotals, Totals


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
    return {
        "supporters": sorted(emails.values(), key=str),
        "payments": _keyed(payments, "stripe_invoice_id", "stripe_payment_intent_id"),
        "memberships": _keyed(memberships, "stripe_subscription_id"),
        "refunds": _keyed(refunds, "stripe_refund_id"),
        "disputes": _keyed(disputes, "stripe_dispute_id"),
        "checkouts": _keyed(checkouts, "id"),
    }


async def totals(db: Database) -> Totals:
    by_currency: dict[str, CurrencyTotals] = {}
    async with db.engine.connect() as connection:
        payments = await connection.execute(
            select(Payment.currency, Payment.kind, func.count(), func.sum(Payment.amount)).group_by(
                Payment.currency, Payment.kind
            )
        )
        for currency, kind, count, amount in payments:
            entry = by_currency.setdefault(currency, CurrencyTotals())
            entry.gross += amount
            entry.payments += count
            if kind == "one_off":
                entry.one_off_count, entry.one_off_amount = count, amount
            else:
                entry.recurring_count, entry.recurring_amount = count, amount
        refunded = await connection.execute(
            select(Payment.currency, func.sum(Refund.amount))
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Refund.status == "succeeded")
            .group_by(Payment.currency)
        )
        for currency, amount in refunded:
            by_currency[currency].refunded = amount
        disputed = await connection.execute(
            select(Payment.currency, func.sum(Dispute.amount))
            .join(Payment, Payment.id == Dispute.payment_id)
            .where(Dispute.status != "won")
            .group_by(Payment.currency)
        )
        for currency, amount in disputed:
            by_currency[currency].disputed = amount
        supporters = await connection.scalar(
            select(func.count(func.distinct(Payment.supporter_id)))
        )
        members = dict(
            (
                await connection.execute(
                    select(Membership.status, func.count()).group_by(Membership.status)
                )
            ).all()
        )
        refunds = await connection.scalar(select(func.count()).select_from(Refund))
        disputes = await connection.scalar(select(func.count()).select_from(Dispute))
    return Totals(
        by_currency=by_currency,
        supporters=supporters or 0,
        active_members=members.get("active", 0) + members.get("trialing", 0),
        past_due_members=members.get("past_due", 0),
        refunds=refunds or 0,
        disputes=disputes or 0,
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
