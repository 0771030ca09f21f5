"""What a membership's discounts take off its amount: for MRR, which counts what each member
pays per month after discounts (docs/accounting.md, "MRR").

A subscription names its discounts by id; what a discount takes off is its coupon's
(https://docs.stripe.com/api/discounts/object, https://docs.stripe.com/api/coupons/object).
Both arrive by webhook, in any order, each kept as its newest state.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from donations.models.base import Table, epoch_field, money_field


class Discount(Table, table=True):
    __tablename__ = "discount"

    id: str = Field(primary_key=True, max_length=255)
    subscription: str | None = Field(default=None, max_length=255, index=True)
    coupon: str | None = Field(default=None, max_length=255)
    # `end` of a repeating coupon's discount; none for `once` and `forever`.
    ends_at: datetime | None = None
    removed: bool = False
    state_event_created: int = epoch_field()
    state_event_rank: int = 0


class Coupon(Table, table=True):
    __tablename__ = "coupon"

    id: str = Field(primary_key=True, max_length=255)
    # Stripe's percent_off is a decimal (e.g. 12.5); kept as its exact text.
    percent_off: str | None = Field(default=None, max_length=32)
    amount_off: int | None = money_field(nullable=True)
    currency: str | None = Field(default=None, max_length=3)
    duration: str = Field(max_length=16)
    state_event_created: int = epoch_field()
