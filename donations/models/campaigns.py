"""A campaign: a funding target in one currency over an inclusive date window."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field

from donations.models.base import Table, currency_check, money_field, utcnow


class Campaign(Table, table=True):
    __table_args__ = (
        currency_check("campaign"),
        CheckConstraint("target > 0", name="ck_campaign_target_positive"),
        CheckConstraint("ends_on >= starts_on", name="ck_campaign_window"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    currency: str = Field(max_length=3)
    target: int = money_field()
    # Inclusive dates in REPORT_TIMEZONE.
    starts_on: date
    ends_on: date
    created_at: datetime = Field(default_factory=utcnow)
