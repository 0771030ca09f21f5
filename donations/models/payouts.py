"""Payouts: the money Stripe sends to the newsroom's bank, and the balance transactions each
one paid out (docs/accounting.md, "Payouts and journals")."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field

from donations.models.base import (
    STRIPE_ID_LENGTH,
    Table,
    currency_check,
    epoch_field,
    money_field,
    one_of,
    utcnow,
)


class PayoutStatus(StrEnum):
    """Stripe's payout statuses (https://docs.stripe.com/api/payouts/object#payout_object-status):
    `pending` until submitted to the bank, then `in_transit`, then `paid`; `failed` or
    `canceled` when the money came back to the Stripe balance."""

    pending = "pending"
    in_transit = "in_transit"
    paid = "paid"
    failed = "failed"
    canceled = "canceled"


class Payout(Table, table=True):
    """One per Stripe payout id, in the state of the newest event about it.

    `transactions_complete`: the balance transactions `donations reconcile payouts` stored for
    it add up to its amount, so the payout is explained item by item."""

    __table_args__ = (currency_check("payout"), one_of("payout", "status", PayoutStatus))

    id: int | None = Field(default=None, primary_key=True)
    stripe_payout_id: str = Field(max_length=STRIPE_ID_LENGTH, unique=True)
    # Positive: money to the bank (Stripe may debit the bank for a negative balance).
    amount: int = money_field()
    currency: str = Field(max_length=3)
    status: str = Field(max_length=16)
    # Stripe's `arrival_date` is a day, sent as its 00:00 UTC.
    arrival_date: date = Field(index=True)
    # Stripe's own time of the payout (`created`).
    created: datetime
    automatic: bool = True
    reconciliation_status: str | None = Field(default=None, max_length=32)
    failure_code: str | None = Field(default=None, max_length=64)
    transactions_fetched_at: datetime | None = None
    transactions_complete: bool = False
    state_event_created: int = epoch_field()
    state_event_rank: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class BalanceTransaction(Table, table=True):
    """One movement of the Stripe balance, as `GET /v1/balance_transactions?payout=` listed it
    (https://docs.stripe.com/api/balance_transactions/object): amounts in the settlement
    currency, signed (money in is positive), `net = amount - fee`.

    `source` is the object that moved the money (a charge, refund, dispute, the payout
    itself); `source_charge` and `source_payment_intent` are the charge and PaymentIntent it
    belongs to, which match it to the ledger's payment when its own id is not a key we hold."""

    __tablename__ = "balance_transaction"
    __table_args__ = (currency_check("balance_transaction"),)

    id: int | None = Field(default=None, primary_key=True)
    stripe_balance_transaction_id: str = Field(max_length=STRIPE_ID_LENGTH, unique=True)
    stripe_payout_id: str = Field(max_length=STRIPE_ID_LENGTH, index=True)
    type: str = Field(max_length=64)
    reporting_category: str = Field(max_length=64)
    amount: int = money_field()
    fee: int = money_field()
    net: int = money_field()
    currency: str = Field(max_length=3)
    source: str | None = Field(default=None, max_length=STRIPE_ID_LENGTH, index=True)
    source_charge: str | None = Field(default=None, max_length=STRIPE_ID_LENGTH, index=True)
    source_payment_intent: str | None = Field(default=None, max_length=STRIPE_ID_LENGTH, index=True)
    # Stripe's `created`: when the money moved.
    happened_at: datetime
    fetched_at: datetime = Field(default_factory=utcnow)
