"""The webhook inbox: every verified Stripe event, as received, and what became of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field

from donations.models.base import Table, epoch_field, one_of, utcnow


class EventStatus(StrEnum):
    pending = "pending"  # stored, not yet processed (or the process died while processing)
    processed = "processed"  # the ledger reflects it
    failed = "failed"  # a handler raised; `last_error` says what; `webhooks replay` retries
    # Stored only: a type we do not handle, the other mode's event (live vs test), a
    # connected account's event, or a Stripe object that moved no money of ours (`note` says
    # which, for finance).
    ignored = "ignored"


class StripeEvent(Table, table=True):
    __tablename__ = "stripe_event"
    __table_args__ = (
        one_of("stripe_event", "status", EventStatus),
        # What `donations privacy purge` has yet to look at, oldest first: redacted rows
        # leave the index, so each run reads only what crossed the retention line since.
        Index(
            "ix_stripe_event_unredacted",
            "created",
            sqlite_where=text("redacted_at IS NULL"),
            postgresql_where=text("redacted_at IS NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100, index=True)
    livemode: bool = False
    api_version: str | None = Field(default=None, max_length=40)
    created: int = epoch_field()  # Stripe's unix time of the event
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=EventStatus.pending, max_length=16, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    # Why an event was stored without counting its object ("standalone invoice", ...).
    note: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    # When the payload's personal fields were emptied (donations/privacy.py): by
    # `donations privacy purge` once past retention, or by `donations supporters erase`.
    redacted_at: datetime | None = None
