"""Progress snapshots, stored by `donations report snapshot` for the dashboard's history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field

# The tables our foreign keys name, mapped whenever ours are (see donations/models/__init__.py).
import donations.models.campaigns  # noqa: F401
from donations.models.base import Table, money_field, utcnow


class ReportSnapshot(Table, table=True):
    __tablename__ = "report_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    taken_at: datetime = Field(default_factory=utcnow, index=True)
    gross: int = money_field()
    refunded: int = money_field()
    disputed: int = money_field()
    net: int = money_field()
    payments: int
    supporters: int
    # The whole progress JSON as it was, so the history keeps every figure.
    payload: str = Field(sa_column=Column(Text, nullable=False))
