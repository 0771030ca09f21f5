"""What Stripe events say about how a membership invoice's money was paid.

Since API 2025-03-31 (basil) an invoice names neither its PaymentIntent nor its charge: they
come in `invoice_payment.paid`, and a PaymentIntent's charge in `payment_intent.succeeded`,
in any order and possibly before the payment row exists (webhooks/links.py).
"""

from __future__ import annotations

from sqlmodel import Field

from donations.models.base import Table, money_field


class StripeLink(Table, table=True):
    """One per Stripe object that told us a relation: an invoice payment (`inpay_`) or a
    succeeded PaymentIntent (`pi_`)."""

    __tablename__ = "stripe_link"

    id: str = Field(primary_key=True, max_length=255)
    invoice: str | None = Field(default=None, max_length=255, index=True)
    payment_intent: str | None = Field(default=None, max_length=255, index=True)
    charge: str | None = Field(default=None, max_length=255)
    # An invoice payment's type (payment_intent, charge, payment_record) and amount paid: a
    # payment_record is money paid outside Stripe, which the invoice's payment does not count.
    payment_type: str | None = Field(default=None, max_length=32)
    amount: int | None = money_field(nullable=True)
