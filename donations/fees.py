"""Stripe's fee on each payment, fetched after the fact (never on the webhook path).

    payments_lacking_fees(session)        -> [(payment id, [PaymentIntent ids])]
    await fee_of(client, payment_intent)  -> Fee | None   (None: not settled yet)
    total_fee(fees)                       -> Fee          one payment's, over its PaymentIntents
    record_fee(session, payment_id, fee)

The fee lives on the charge's balance transaction, which may not exist yet when the payment
event arrives: `payment_intents.retrieve(pi, expand=["latest_charge.balance_transaction"])`
(https://docs.stripe.com/expand/use-cases#stripe-fee-for-payment). Its currency is the
settlement currency, not necessarily the payment's. A membership payment's PaymentIntents are
those its invoice payments named (an invoice may be paid by several): its keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Payment, PaymentKey


@dataclass(frozen=True)
class Fee:
    amount: int
    currency: str


# Stripe's ids carry their object's prefix (https://docs.stripe.com/api/payment_intents/object).
PAYMENT_INTENT_PREFIX = "pi_"
SEVERAL_CURRENCIES = "the payment's PaymentIntents settled in several currencies: {currencies}"


async def payments_lacking_fees(session: AsyncSession) -> list[tuple[int, list[str]]]:
    rows = await session.exec(
        select(Payment.id, PaymentKey.key)
        .outerjoin(
            PaymentKey,
            (col(PaymentKey.payment_id) == col(Payment.id))
            & col(PaymentKey.key).startswith(PAYMENT_INTENT_PREFIX, autoescape=True),
        )
        .where(col(Payment.fee).is_(None))
        .order_by(col(Payment.id), col(PaymentKey.key))
    )
    lacking: dict[int, list[str]] = {}
    for payment_id, key in rows.all():
        if payment_id is not None:
            intents = lacking.setdefault(payment_id, [])
            if key is not None:
                intents.append(key)
    return list(lacking.items())


def total_fee(fees: list[Fee]) -> Fee:
    """One payment's fee over its PaymentIntents, never added across currencies."""
    currencies = sorted({fee.currency for fee in fees})
    if len(currencies) != 1:
        raise ValueError(SEVERAL_CURRENCIES.format(currencies=", ".join(currencies)))
    return Fee(amount=sum(fee.amount for fee in fees), currency=currencies[0])


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
