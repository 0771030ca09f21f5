"""Money: payments received, and the refunds and disputes that take some of it back."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from donations.models.base import currency_check, non_negative, one_of, utcnow


class PaymentKind(StrEnum):
    one_off = "one_off"
    recurring = "recurring"


class Payment(SQLModel, table=True):
    """One per PaymentIntent (one-off) or per paid invoice (membership)."""

    __table_args__ = (
        currency_check("payment"),
        non_negative("payment", "amount"),
        non_negative("payment", "fee"),
        one_of("payment", "kind", PaymentKind),
        Index("ix_payment_currency_paid_at", "currency", "paid_at"),
        # The cash view and progress take a paid_at range across every currency.
        Index("ix_payment_paid_at", "paid_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    amount: int
    currency: str = Field(max_length=3)
    paid_at: datetime
    stripe_payment_intent_id: str | None = Field(default=None, max_length=255, unique=True)
    stripe_invoice_id: str | None = Field(default=None, max_length=255, unique=True)
    stripe_charge_id: str | None = Field(default=None, max_length=255, unique=True)
    stripe_customer_id: str | None = Field(default=None, max_length=255)
    supporter_id: int | None = Field(
        default=None, foreign_key="supporter.id", index=True, ondelete="SET NULL"
    )
    membership_id: int | None = Field(
        default=None, foreign_key="membership.id", index=True, ondelete="SET NULL"
    )
    checkout_id: str | None = Field(default=None, max_length=40)
    source: str | None = Field(default=None, max_length=200, index=True)
    # Stripe's fee from the balance transaction, in `fee_currency` (the settlement currency);
    # unknown until `donations reconcile fees` has fetched it.
    fee: int | None = None
    fee_currency: str | None = Field(default=None, max_length=3)
    created_at: datetime = Field(default_factory=utcnow)


class RefundStatus(StrEnum):
    pending = "pending"
    requires_action = "requires_action"
    succeeded = "succeeded"
    failed = "failed"
    canceled = "canceled"


class Refund(SQLModel, table=True):
    """One per Stripe refund id; only `succeeded` ones count."""

    __table_args__ = (
        currency_check("refund"),
        non_negative("refund", "amount"),
        one_of("refund", "status", RefundStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    stripe_refund_id: str = Field(max_length=255, unique=True)
    stripe_charge_id: str | None = Field(default=None, max_length=255, index=True)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=255, index=True)
    # Null until the payment it refunds is in the ledger (events come in any order).
    payment_id: int | None = Field(
        default=None, foreign_key="payment.id", index=True, ondelete="CASCADE"
    )
    amount: int
    currency: str = Field(max_length=3)
    status: str = Field(max_length=24)
    refunded_at: datetime = Field(index=True)
    state_event_created: int = 0
    state_event_rank: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class DisputeStatus(StrEnum):
    warning_needs_response = "warning_needs_response"
    warning_under_review = "warning_under_review"
    warning_closed = "warning_closed"
    needs_response = "needs_response"
    under_review = "under_review"
    won = "won"
    lost = "lost"
    prevented = "prevented"


class Dispute(SQLModel, table=True):
    """One per Stripe dispute id; counts against net unless won."""

    __table_args__ = (
        currency_check("dispute"),
        non_negative("dispute", "amount"),
        one_of("dispute", "status", DisputeStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    stripe_dispute_id: str = Field(max_length=255, unique=True)
    stripe_charge_id: str | None = Field(default=None, max_length=255, index=True)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=255, index=True)
    payment_id: int | None = Field(
        default=None, foreign_key="payment.id", index=True, ondelete="CASCADE"
    )
    amount: int
    currency: str = Field(max_length=3)
    status: str = Field(max_length=32)
    disputed_at: datetime = Field(index=True)
    state_event_created: int = 0
    state_event_rank: int = 0
    created_at: datetime = Field(default_factory=utcnow)
