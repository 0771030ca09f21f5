"""Money: payments received, and the refunds and disputes that take some of it back."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field

# The tables our foreign keys name, mapped whenever ours are (see donations/models/__init__.py).
import donations.models.memberships
import donations.models.supporters  # noqa: F401
from donations.models.base import (
    METADATA_VALUE_LENGTH,
    Table,
    currency_check,
    epoch_field,
    money_field,
    non_negative,
    one_of,
    utcnow,
)
from donations.models.choices import ChoiceColumns


class PaymentKind(StrEnum):
    one_off = "one_off"
    recurring = "recurring"


class FeeStatus(StrEnum):
    unavailable = "unavailable"


class Payment(ChoiceColumns, table=True):
    """One per PaymentIntent (one-off) or per paid invoice (membership).

    `amount` is what moved through Stripe: for an invoice, what it says was paid less what was
    paid outside Stripe (`paid_off_stripe`, known from its invoice payments)."""

    __table_args__ = (
        currency_check("payment"),
        non_negative("payment", "amount"),
        non_negative("payment", "fee"),
        non_negative("payment", "paid_off_stripe"),
        one_of("payment", "kind", PaymentKind),
        one_of("payment", "fee_status", FeeStatus),
        Index("ix_payment_currency_paid_at", "currency", "paid_at"),
        # The cash view and progress take a paid_at range across every currency.
        Index("ix_payment_paid_at", "paid_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    amount: int = money_field()
    paid_off_stripe: int = money_field(default=0)
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
    checkout_id: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    source: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH, index=True)
    # Stripe's fee from the balance transaction, in `fee_currency` (the settlement currency);
    # unknown until `donations reconcile fees` has fetched it; 0 for a payment with no charge.
    fee: int | None = money_field(nullable=True)
    fee_currency: str | None = Field(default=None, max_length=3)
    # The card's brand (`visa`, `mastercard`, … as Stripe spells it) and last four digits,
    # when a charge event carried them (receipts show them); null for other payment methods.
    card_brand: str | None = Field(default=None, max_length=32)
    card_last4: str | None = Field(default=None, max_length=4)
    # `unavailable`: Stripe will never tell this payment's fee (it does not have the payment:
    # another account, or test data since deleted); `fee_note` says what Stripe answered.
    # `reconcile fees` asks no more, and progress counts such payments in `fees_unavailable`.
    fee_status: str | None = Field(default=None, max_length=16)
    fee_note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class ChargeCard(Table, table=True):
    """The card a charge was paid with, as `charge.succeeded` (or an expanded charge) said:
    kept by charge id because the charge's event may come before its payment is booked; the
    payment takes it when it learns the charge or its PaymentIntent (webhooks/cards.py)."""

    __tablename__ = "charge_card"

    charge: str = Field(primary_key=True, max_length=255)
    payment_intent: str | None = Field(default=None, max_length=255, index=True)
    brand: str = Field(max_length=32)
    last4: str = Field(max_length=4)


class RefundStatus(StrEnum):
    pending = "pending"
    requires_action = "requires_action"
    succeeded = "succeeded"
    failed = "failed"
    canceled = "canceled"


class Refund(Table, table=True):
    """One per Stripe refund id; only `succeeded` ones count.

    A charge's `amount_refunded` beyond the refunds we know by id is kept as one `unitemised`
    row per charge (webhooks/handlers/refunds.py), so that it too counts exactly once."""

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
    amount: int = money_field()
    currency: str = Field(max_length=3)
    status: str = Field(max_length=24)
    refunded_at: datetime = Field(index=True)
    # Some event showed it succeeded: if it then fails or is canceled, the cash view takes it
    # back at `reversed_at` (the time of the event that said so).
    once_succeeded: bool = False
    reversed_at: datetime | None = Field(default=None, index=True)
    unitemised: bool = False
    state_event_created: int = epoch_field()
    state_event_rank: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class DisputeStatus(StrEnum):
    """Stripe's dispute statuses (https://docs.stripe.com/api/disputes/object#dispute_object-status).

    Inquiries (`warning_*`) and `prevented` disputes never withdraw funds; a chargeback does,
    and keeps them through an appeal (`appeal_*`) until it is won."""

    warning_needs_response = "warning_needs_response"
    warning_under_review = "warning_under_review"
    warning_closed = "warning_closed"
    needs_response = "needs_response"
    under_review = "under_review"
    appeal_needs_response = "appeal_needs_response"
    appeal_under_review = "appeal_under_review"
    won = "won"
    lost = "lost"
    prevented = "prevented"


class Dispute(Table, table=True):
    """One per Stripe dispute id. It counts against net while Stripe holds the funds:
    from `withdrawn_at` until `reinstated_at`, less what came back then (docs/accounting.md,
    "Disputes")."""

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
    amount: int = money_field()
    currency: str = Field(max_length=3)
    status: str = Field(max_length=32)
    disputed_at: datetime = Field(index=True)
    withdrawn_at: datetime | None = Field(default=None, index=True)
    reinstated_at: datetime | None = Field(default=None, index=True)
    # How much of `amount` came back at `reinstated_at`: all of it when won, only the part
    # refunded before when a dispute of a partly refunded payment is lost ("partially won");
    # null with `reinstated_at` set (rows from before it was kept): all of it.
    reinstated_amount: int | None = money_field(nullable=True)
    state_event_created: int = epoch_field()
    state_event_rank: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class PaymentKey(Table, table=True):
    """Every PaymentIntent and charge id that belongs to a payment: refunds and disputes name
    these, and an invoice may be paid by several PaymentIntents."""

    __tablename__ = "payment_key"

    key: str = Field(primary_key=True, max_length=255)
    payment_id: int = Field(foreign_key="payment.id", index=True, ondelete="CASCADE")


class ChargeRefundTotal(Table, table=True):
    """The newest `amount_refunded` a `charge.refunded` event reported for a charge: the
    running total of its refunds at `as_of` (the event's time)."""

    __tablename__ = "charge_refund_total"

    charge: str = Field(primary_key=True, max_length=255)
    payment_intent: str | None = Field(default=None, max_length=255)
    currency: str = Field(max_length=3)
    amount_refunded: int = money_field()
    as_of: int = epoch_field()
