"""Stripe's fee on each payment, fetched after the fact (never on the webhook path).

    payments_lacking_fees(session)        -> [Lacking]: id, PaymentIntents, charges, paid_at
    await stored_fee(session, lacking)    -> Fee | None   from the balance transactions
                                                          `donations reconcile payouts` stored
    await fee_of(client, payment_intent)  -> Fee | None   (None: not settled yet)
    await fee_of_charge(client, charge)   -> Fee | None   a charge made without a PaymentIntent
    no_charge_fee(lacking, now) -> Fee | None   0 for a payment no charge paid (once its events
                                                have had NO_CHARGE_AFTER to arrive)
    total_fee(fees)                       -> Fee          one payment's, over its PaymentIntents
    record_fee(session, payment_id, fee)
    mark_unavailable(session, payment_id, note)   Stripe will never tell it: asked no more

The fee lives on the charge's balance transaction, which may not exist yet when the payment
event arrives: `payment_intents.retrieve(pi, expand=["latest_charge.balance_transaction"])`
(https://docs.stripe.com/expand/use-cases#stripe-fee-for-payment). Its currency is the
settlement currency, not necessarily the payment's. A membership payment's PaymentIntents are
those its invoice payments named (an invoice may be paid by several): its keys. A payment no
charge paid (its invoice settled from the customer's balance) has a fee of 0, not an unknown
one, so that one such payment does not leave a campaign's fees unknown for good. Nor does a payment Stripe
does not have at all (`resource_missing`: booked from another account's events, or from an
emulator that has since stopped, as after `donations demo`): it is marked `unavailable`, with
Stripe's answer, and counted apart (`fees_unavailable` in progress).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import stripe
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import BalanceTransaction, FeeStatus, Payment, PaymentKey
from donations.payouts.categories import CHARGES


@dataclass(frozen=True)
class Fee:
    amount: int
    currency: str


# Stripe's ids carry their object's prefix (https://docs.stripe.com/api/payment_intents/object).
PAYMENT_INTENT_PREFIX = "pi_"
SEVERAL_CURRENCIES = "the payment's PaymentIntents settled in several currencies: {currencies}"
# Long after every event that could name a payment's PaymentIntent or charge has come
# (Stripe retries a delivery for three days).
NO_CHARGE_AFTER = timedelta(days=4)


@dataclass(frozen=True)
class Lacking:
    """A payment without its fee, and what Stripe can tell it by."""

    payment_id: int
    currency: str
    paid_at: datetime
    payment_intents: list[str] = field(default_factory=list)
    charges: list[str] = field(default_factory=list)


async def payments_lacking_fees(session: AsyncSession) -> list[Lacking]:
    rows = await session.exec(
        select(Payment.id, Payment.currency, Payment.paid_at, PaymentKey.key)
        .outerjoin(PaymentKey, col(PaymentKey.payment_id) == col(Payment.id))
        .where(col(Payment.fee).is_(None), col(Payment.fee_status).is_(None))
        .order_by(col(Payment.id), col(PaymentKey.key))
    )
    lacking: dict[int, Lacking] = {}
    for payment_id, currency, paid_at, key in rows.all():
        if payment_id is None:
            continue
        entry = lacking.setdefault(payment_id, Lacking(payment_id, currency, paid_at))
        if key is not None:
            keys = entry.payment_intents if key.startswith(PAYMENT_INTENT_PREFIX) else entry.charges
            keys.append(key)
    return list(lacking.values())


def no_charge_fee(lacking: Lacking, now: datetime) -> Fee | None:
    """0 for a payment nothing was charged for; None while its events may still come."""
    if lacking.payment_intents or lacking.charges or now - lacking.paid_at < NO_CHARGE_AFTER:
        return None
    return Fee(amount=0, currency=lacking.currency)


def total_fee(fees: list[Fee]) -> Fee:
    """One payment's fee over its PaymentIntents, never added across currencies."""
    currencies = sorted({fee.currency for fee in fees})
    if len(currencies) != 1:
        raise ValueError(SEVERAL_CURRENCIES.format(currencies=", ".join(currencies)))
    return Fee(amount=sum(fee.amount for fee in fees), currency=currencies[0])


async def stored_fee(session: AsyncSession, lacking: Lacking) -> Fee | None:
    """The payment's fee from stored balance transactions, when every PaymentIntent of it (or,
    with none, every charge) has its charge's there; None sends the caller to Stripe."""
    keys = lacking.payment_intents or lacking.charges
    if not keys:
        return None
    column = (
        BalanceTransaction.source_payment_intent
        if lacking.payment_intents
        else BalanceTransaction.source
    )
    rows = await session.exec(
        select(column, BalanceTransaction.fee, BalanceTransaction.currency).where(
            col(BalanceTransaction.reporting_category).in_(CHARGES), col(column).in_(keys)
        )
    )
    found = {key: Fee(amount=fee, currency=currency) for key, fee, currency in rows.all()}
    if set(found) != set(keys):
        return None
    try:
        return total_fee(list(found.values()))
    except ValueError:
        return None  # several settlement currencies: Stripe's answer says so


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


async def fee_of_charge(client: stripe.StripeClient, charge: str) -> Fee | None:
    """The fee of a charge made without a PaymentIntent (an invoice payment of type charge)."""
    found = await client.v1.charges.retrieve_async(
        charge, params={"expand": ["balance_transaction"]}
    )
    balance = found.balance_transaction
    if not isinstance(balance, stripe.BalanceTransaction):
        return None
    return Fee(amount=balance.fee, currency=balance.currency)


async def record_fee(session: AsyncSession, payment_id: int, fee: Fee) -> None:
    await session.exec(
        update(Payment)
        .where(col(Payment.id) == payment_id)
        .values(fee=fee.amount, fee_currency=fee.currency)
    )


# Stripe's error code for an id it does not have: https://docs.stripe.com/error-codes#resource-missing
RESOURCE_MISSING = "resource_missing"


def never_available(error: stripe.StripeError) -> bool:
    """Whether Stripe's answer means it will never give this fee: it has no such object."""
    return isinstance(error, stripe.InvalidRequestError) and error.code == RESOURCE_MISSING


async def mark_unavailable(session: AsyncSession, payment_id: int, note: str) -> None:
    await session.exec(
        update(Payment)
        .where(col(Payment.id) == payment_id)
        .values(fee_status=FeeStatus.unavailable.value, fee_note=note[:500])
    )
