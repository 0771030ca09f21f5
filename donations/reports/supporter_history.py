"""One supporter, for staff: who they are, everything they gave (with what became of each
payment), their memberships and the emails we sent them (the outbox, donations/mail/). Found by email or by the supporter's id (the payments list
links to it); the page that shows it is audited (donations/web/admin/supporters.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Membership, OutboxMessage, Supporter
from donations.reports.payment_list import (
    ListedPayment,
    PaymentFilter,
    payment_page,
)
from donations.reports.windows import ReportInputError
from donations.supporters import MAX_EMAIL_LENGTH, normalise_email

# More payments than one person makes in decades of monthly giving.
MAX_PAYMENTS = 1000

_BAD_EMAIL = "email must be an address like ana@example.org"


@dataclass(frozen=True)
class Given:
    """What a supporter gave in one currency: payments, less succeeded refunds and the
    disputes whose funds Stripe holds, whenever they happened (the campaign view)."""

    currency: str
    payments: int
    gross: int
    refunded: int
    disputed: int

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.disputed


@dataclass(frozen=True)
class SupporterHistory:
    id: int
    email: str | None
    name: str | None
    since: datetime
    erased: bool
    payments: list[ListedPayment]
    given: list[Given]
    memberships: list[Membership]
    # Every message to them in the outbox, newest first: sent, queued, failed or skipped.
    emails: list[OutboxMessage]


def check_email(value: str) -> str:
    email = normalise_email(value)
    if email is None or "@" not in email or len(value.strip()) > MAX_EMAIL_LENGTH:
        raise ReportInputError(_BAD_EMAIL)
    return email


async def find_by_email(*, session: AsyncSession, email: str) -> int | None:
    """The supporter's id for an address, typed in any case."""
    found = await session.exec(select(Supporter.id).where(Supporter.email == check_email(email)))
    return found.first()


def _given(payments: list[ListedPayment]) -> list[Given]:
    totals: dict[str, list[int]] = {}
    for one in payments:
        figures = totals.setdefault(one.currency, [0, 0, 0, 0])
        figures[0] += 1
        figures[1] += one.amount
        figures[2] += one.refunded
        figures[3] += one.disputed
    return [
        Given(currency, count, gross, refunded, disputed)
        for currency, (count, gross, refunded, disputed) in sorted(totals.items())
    ]


async def supporter_history(
    *, session: AsyncSession, supporter_id: int, timezone: str
) -> SupporterHistory | None:
    person = await session.get(Supporter, supporter_id)
    if person is None or person.id is None:
        return None
    page = await payment_page(
        session=session,
        chosen=PaymentFilter(supporter_id=person.id, timezone=timezone),
        size=MAX_PAYMENTS,
    )
    memberships = await session.exec(
        select(Membership)
        .where(Membership.supporter_id == person.id)
        .order_by(col(Membership.created_at).desc(), col(Membership.id).desc())
    )
    emails = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.supporter_id == person.id)
        .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
        .limit(MAX_PAYMENTS)
    )
    return SupporterHistory(
        id=person.id,
        email=person.email,
        name=person.name,
        since=person.created_at,
        erased=person.erased_at is not None,
        payments=page.rows,
        given=_given(page.rows),
        memberships=list(memberships),
        emails=list(emails),
    )
