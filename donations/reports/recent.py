"""Recent payments for the dashboard, with supporters' emails masked (a***@example.org)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Supporter
from donations.reports import ledger
from donations.reports.ledger import payment
from donations.reports.windows import iso_utc

supporter: Table = Supporter.__table__  # type: ignore[attr-defined]

COLUMNS = ("paid_at", "kind", "amount", "currency", "source", "email")


def mask_email(email: str | None) -> str:
    """ana@example.org -> a***@example.org; no email (or erased) -> ""."""
    if not email or "@" not in email:
        return ""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True)
class RecentPayment:
    paid_at: datetime
    kind: str
    amount: int
    currency: str
    source: str
    email: str  # masked

    def as_json(self) -> dict[str, Any]:
        return {
            "paid_at": iso_utc(self.paid_at),
            "kind": self.kind,
            "amount": self.amount,
            "currency": self.currency,
            "source": self.source,
            "email": self.email,
        }


def recent_statement(limit: int) -> Select[Any]:
    return (
        select(
            payment.c.paid_at,
            payment.c.kind,
            payment.c.amount,
            payment.c.currency,
            payment.c.source,
            supporter.c.email,
        )
        .select_from(payment.outerjoin(supporter, supporter.c.id == payment.c.supporter_id))
        .order_by(payment.c.paid_at.desc(), payment.c.id.desc())
        .limit(limit)
    )


async def stream_recent(*, session: AsyncSession, limit: int = 20) -> AsyncIterator[RecentPayment]:
    connection = await ledger.connection(session)
    result = await connection.stream(recent_statement(limit))
    async for row in result.mappings():
        yield RecentPayment(
            paid_at=row["paid_at"],
            kind=row["kind"],
            amount=int(row["amount"]),
            currency=row["currency"],
            source=row["source"] or "",
            email=mask_email(row["email"]),
        )


async def recent_payments(*, session: AsyncSession, limit: int = 20) -> list[RecentPayment]:
    return [row async for row in stream_recent(session=session, limit=limit)]
