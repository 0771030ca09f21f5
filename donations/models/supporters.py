"""A supporter is one person, whatever number of Stripe customers they paid through."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from donations.models.base import Table, utcnow


class Supporter(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Lower-cased: a reader who types Ana@Example.org once and ana@example.org later is one person.
    email: str | None = Field(default=None, max_length=254, unique=True)
    name: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    # Set by `donations supporters erase`: personal data gone, amounts kept.
    erased_at: datetime | None = None


class StripeCustomer(Table, table=True):
    """Checkout creates a new Stripe customer per one-off gift; all map to one supporter."""

    __tablename__ = "stripe_customer"

    id: str = Field(primary_key=True, max_length=255)
    supporter_id: int = Field(foreign_key="supporter.id", index=True, ondelete="CASCADE")
