"""A supporter's account: emailed sign-in links, the sessions they open, and the changes a
supporter asked Stripe for (donations/account, docs/account.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text
from sqlmodel import Field

# The tables our foreign keys name, mapped whenever ours are (see donations/models/__init__.py).
import donations.models.memberships
import donations.models.supporters  # noqa: F401
from donations.models.base import Table, one_of, utcnow


class SignInLink(Table, table=True):
    """One emailed link. Only the SHA-256 of its token is kept: a copy of this table opens
    no account. Used once (`used_at`), and only until `expires_at`."""

    __tablename__ = "sign_in_link"

    token_hash: str = Field(primary_key=True, max_length=64)
    supporter_id: int = Field(foreign_key="supporter.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    used_at: datetime | None = None


class AccountSession(Table, table=True):
    """A signed-in browser. The cookie carries a signed random key; this row, its SHA-256.
    Signing out (or the time running out) ends it on the server, not only in the browser."""

    __tablename__ = "account_session"

    key_hash: str = Field(primary_key=True, max_length=64)
    supporter_id: int = Field(foreign_key="supporter.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    ended_at: datetime | None = None


class ChangeKind(StrEnum):
    amount = "amount"  # a new amount and/or interval, from the next renewal
    pause = "pause"
    resume = "resume"
    cancel = "cancel"
    card = "card"  # a new card, saved through Checkout in setup mode


class AccountChange(Table, table=True):
    """A change a supporter asked for on one membership. Stripe's answer comes back by webhook
    into `membership`; until it shows what was asked, the account page says "pending"."""

    __tablename__ = "account_change"
    __table_args__ = (one_of("account_change", "kind", ChangeKind),)

    id: int | None = Field(default=None, primary_key=True)
    supporter_id: int = Field(foreign_key="supporter.id", index=True, ondelete="CASCADE")
    membership_id: int = Field(foreign_key="membership.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    # What the membership should show once Stripe's event is booked, as JSON: {"amount": 1500,
    # "interval": "month"}, {"paused": true}, {"cancel_at_period_end": true}.
    wanted: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    # A card change: the setup-mode Checkout Session, then the payment method it saved.
    stripe_session_id: str | None = Field(default=None, max_length=255, unique=True)
    payment_method: str | None = Field(default=None, max_length=255)
    requested_at: datetime = Field(default_factory=utcnow)
    # When the setup session's checkout.session.completed was booked: the card is saved. The
    # change is done once `payment_method` is also set (made the subscription's default).
    saved_at: datetime | None = None
