"""A membership is one Stripe subscription: its amount, interval and latest known state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Text
from sqlmodel import Field

# The tables our foreign keys name, mapped whenever ours are (see donations/models/__init__.py).
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


class MembershipStatus(StrEnum):
    """Stripe's subscription statuses (https://docs.stripe.com/billing/subscriptions/overview)."""

    incomplete = "incomplete"
    incomplete_expired = "incomplete_expired"
    trialing = "trialing"
    active = "active"
    past_due = "past_due"
    unpaid = "unpaid"
    paused = "paused"
    canceled = "canceled"


class Interval(StrEnum):
    """A price recurs every `interval_count` of these
    (https://docs.stripe.com/api/prices/object#price_object-recurring-interval)."""

    day = "day"
    week = "week"
    month = "month"
    year = "year"


class Membership(Table, table=True):
    __table_args__ = (
        currency_check("membership"),
        non_negative("membership", "amount"),
        one_of("membership", "status", MembershipStatus),
        one_of("membership", "interval", Interval),
        CheckConstraint("interval_count >= 1", name="ck_membership_interval_count_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stripe_subscription_id: str = Field(max_length=255, unique=True)
    stripe_customer_id: str | None = Field(default=None, max_length=255)
    supporter_id: int | None = Field(
        default=None, foreign_key="supporter.id", index=True, ondelete="SET NULL"
    )
    checkout_id: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    source: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    status: str = Field(default=MembershipStatus.incomplete, max_length=24, index=True)
    # What the reader pays every `interval_count` `interval`s, before discounts.
    amount: int = money_field(default=0)
    currency: str = Field(default="eur", max_length=3)
    interval: str = Field(default=Interval.month, max_length=8)
    interval_count: int = 1
    # Stripe's `pause_collection`: still active, but no invoice is collected until it resumes.
    collection_paused: bool = False
    resumes_at: datetime | None = None
    # A cancellation the reader asked for: the membership stays active until Stripe ends it.
    cancel_at_period_end: bool = False
    cancel_at: datetime | None = None
    # The ids of the subscription's discounts as of its newest event, as a JSON list (null:
    # none); what each takes off is in `discount` and `coupon`.
    discounts: str | None = Field(default=None, sa_column=Column(Text))
    current_period_end: datetime | None = None
    started_at: datetime | None = None
    canceled_at: datetime | None = Field(default=None, index=True)
    ended_at: datetime | None = None
    # The Stripe `created` time and precedence of the last subscription event applied:
    # an older event arriving late must not undo a newer state.
    state_event_created: int = epoch_field()
    state_event_rank: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)
