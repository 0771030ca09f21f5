"""What the contribute page offers for a campaign, and for one placement of it.

A placement is the `source` a link carries (`article-footer`, `newsletter`): its row, then the
campaign's own (placement ""), then the settings (SUGGESTED_AMOUNTS, DEFAULT_FREQUENCY) decide
each of suggested amounts, default frequency and minimum (donations/offers.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

# The tables our foreign keys name, mapped whenever ours are (see donations/models/__init__.py).
import donations.models.campaigns  # noqa: F401
from donations.models.base import METADATA_VALUE_LENGTH, Table, money_field, utcnow


class CampaignOffer(Table, table=True):
    __tablename__ = "campaign_offer"
    __table_args__ = (UniqueConstraint("campaign_id", "placement", name="uq_campaign_offer"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    # "" for the whole campaign; else the `source` of the links it applies to.
    placement: str = Field(default="", max_length=200)
    # SUGGESTED_AMOUNTS' format, major units: "one_off:5,*10,25;monthly:5,*10,20" (* preselects).
    suggested_amounts: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    default_frequency: str | None = Field(default=None, max_length=16)
    # The smallest gift, in minor units of the campaign's currency (null: Stripe's minimum).
    minimum: int | None = money_field(nullable=True)
    updated_at: datetime = Field(default_factory=utcnow)
