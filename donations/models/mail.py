"""The outbox: every message to a reader is a row before it is sent (donations/mail/)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field

# The tables our foreign keys name, mapped whenever ours are (see donations/models/__init__.py).
import donations.models.memberships
import donations.models.payments
import donations.models.supporters  # noqa: F401
from donations.models.base import Table, one_of, utcnow


class MailStatus(StrEnum):
    queued = "queued"  # waiting for its first or next attempt
    sent = "sent"  # the SMTP server took it (or its .eml file was written)
    failed = "failed"  # every attempt failed, or it can never be sent: staff see it
    skipped = "skipped"  # not sent on purpose: its kind is switched off, or it came too late


class OutboxMessage(Table, table=True):
    """One message. `key` is unique: whatever queues the same message again (a duplicated,
    replayed or backfilled event, a rerun of the statements) adds nothing."""

    __tablename__ = "outbox"
    __table_args__ = (
        one_of("outbox", "status", MailStatus),
        # The worker's question: what is due now?
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    kind: str = Field(max_length=32)
    to_address: str = Field(max_length=320)
    supporter_id: int | None = Field(
        default=None, foreign_key="supporter.id", index=True, ondelete="SET NULL"
    )
    payment_id: int | None = Field(
        default=None, foreign_key="payment.id", index=True, ondelete="SET NULL"
    )
    membership_id: int | None = Field(
        default=None, foreign_key="membership.id", index=True, ondelete="SET NULL"
    )
    # What the template needs beyond the ledger's rows (JSON object).
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=MailStatus.queued.value, max_length=16)
    # When what the message is about happened (the event's time): too old, it is skipped.
    happened_at: datetime | None = None
    attempts: int = 0
    # Due from then; while an attempt is under way, the end of its lease.
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    subject: str | None = Field(default=None, max_length=998)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
