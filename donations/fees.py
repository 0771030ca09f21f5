"""Stripe's fee on each payment, fetched after the fact (never on the webhook path).

    payments_lacking_fees(session)        -> [(payment id, PaymentIntent id | None)]
    await fee_of(client, payment_intent)  -> Fee | None   (None: not settled yet)
    record_fee(session, payment_id, fee)

The fee lives on the charge's balance transaction, which may not exist yet when the payment
event arrives: `payment_intents.retrieve(pi, expand=["latest_charge.balance_transaction"])`
(https://docs.stripe.com/expand/use-cases#stripe-fee-for-payment). Its currency is the
settlement currency, not necessarily the payment's. A membership payment's PaymentIntent is
the one `invoice_payment.paid` linked to its invoice.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Payment


@dataclass(frozen=True)
class Fee:
    amount: int
    currency: str


async def payments_lacking_fees(session: AsyncSession) -> list[tuple[int, str | None]]:
    rows = await session.exec(
        select(Payment.id, Payment.stripe_payment_intent_id)
        .where(col(Payment.fee).is_(None))
        .order_by(col(Payment.id))
    )
    return [(payment_id, intent) for payment_id, intent in rows.all() if payment_id is not None]


async def fee_of(client: stripe.StripeClient, payment_intent: str) -> Fee | None:
    intent = await client.v1.payment_intents.retrieve_async(
        payment_intent, params={"expand": ["latest_charge.balance_transaction"]}
    )
    charge = intent.latest_charge
    if not isinstance(charge, stripe.Charge):
        return None
    balance = charge.balance_transaction
    if not isinstance(balance, stripe.BalanceTransaction):
        return None
    return Fee(amount=balance.fee, currency=balance.currency)


async def record_fee(session: AsyncSession, payment_id: int, fee: Fee) -> None:
    await session.exec(
        update(Payment)
        .where(col(Payment.id) == payment_id)
        .values(fee=fee.amount, fee_currency=fee.currency)
    )
