"""Every Checkout Session we create, or learn of: the funnel."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

# The tables our foreign keys name, mapped whenever ours are (see donations/models/__init__.py).
import donations.models.supporters  # noqa: F401
from donations.frequency import Frequency
from donations.models.base import (
    METADATA_VALUE_LENGTH,
    currency_check,
    money_field,
    non_negative,
    one_of,
    utcnow,
)
from donations.models.choices import ChoiceColumns


class CheckoutStatus(StrEnum):
    created = "created"  # row written, Stripe not yet answered
    open = "open"  # session created, reader on Stripe's page
    complete = "complete"  # reader finished checkout
    expired = "expired"  # reader left; Stripe expired the session
    failed = "failed"  # Stripe refused to create it, or a delayed payment failed


class Checkout(ChoiceColumns, table=True):
    __table_args__ = (
        currency_check("checkout"),
        non_negative("checkout", "amount"),
        one_of("checkout", "status", CheckoutStatus),
        one_of("checkout", "frequency", Frequency),
    )

    # Ours, put in the session's metadata; also the root of Stripe's idempotency key.
    id: str = Field(primary_key=True, max_length=METADATA_VALUE_LENGTH)
    stripe_session_id: str | None = Field(default=None, max_length=255, unique=True)
    idempotency_key: str | None = Field(default=None, max_length=255, unique=True)
    amount: int = money_field()
    currency: str = Field(max_length=3)
    frequency: str = Field(max_length=16)
    email: str | None = Field(default=None, max_length=254)
    source: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    status: str = Field(default=CheckoutStatus.created, max_length=16, index=True)
    failure_reason: str | None = Field(default=None, max_length=500)
    stripe_customer_id: str | None = Field(default=None, max_length=255)
    supporter_id: int | None = Field(
        default=None, foreign_key="supporter.id", ondelete="SET NULL", index=True
    )
    # False for sessions that did not start on our pages (a Payment Link, a migration).
    started_here: bool = True
    # Some event said the session's payment_status was "paid": a completed session without it
    # is a delayed method (a bank debit) still on its way. Only ever turns true.
    paid: bool = False
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
