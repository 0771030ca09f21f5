"""The giver's choices and attribution, as columns of a checkout and of each payment it paid.

Booked from the metadata of Stripe's objects (donations/checkout/metadata.py, `Choices`), so
that a gift through a Payment Link and one through our form are recorded alike, and every
renewal of a membership carries what its reader chose when they joined.
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field

from donations.models.base import METADATA_VALUE_LENGTH, Table

TRIBUTE_LENGTH = 16


class ChoiceColumns(Table):
    # Minor units of the row's currency the giver added to cover Stripe's fee (part of amount).
    fee_covered: int = Field(default=0, sa_type=BigInteger)
    # Kept out of anything public, and marked in exports.
    anonymous: bool = False
    # "honour" or "memory", and whose name the gift is in.
    tribute: str | None = Field(default=None, max_length=TRIBUTE_LENGTH)
    tribute_name: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    reason: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    newsletter: bool = False
    utm_source: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    utm_medium: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    utm_campaign: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    utm_content: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    utm_term: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
    referrer: str | None = Field(default=None, max_length=METADATA_VALUE_LENGTH)
