"""What the account page shows a supporter: every gift and renewal, every membership, and
which of the changes they asked for Stripe has not yet confirmed.

Everything comes from the ledger, which webhooks keep: a change is "pending" until the
membership's row shows what was asked (the new amount, the pause, the cancellation), or, for a
card, until the setup session's webhook has been booked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import (
    AccountChange,
    ChangeKind,
    Membership,
    MembershipStatus,
    Payment,
    PaymentKind,
    Refund,
    RefundStatus,
)
from donations.money import format_amount
from donations.sql import execute

# Memberships a supporter can still change: Stripe refuses most updates to the others.
CHANGEABLE = frozenset(
    {MembershipStatus.active, MembershipStatus.trialing, MembershipStatus.past_due}
)


@dataclass(frozen=True)
class Gift:
    id: int
    kind: str  # PaymentKind
    amount: int
    refunded: int
    currency: str
    paid_at: datetime
    stripe_subscription_id: str | None

    @property
    def status(self) -> str:
        if self.refunded >= self.amount > 0:
            return "refunded"
        if self.refunded:
            return "partly refunded"
        return "paid"


@dataclass(frozen=True)
class MembershipView:
    row: Membership
    # The newest change asked for that the ledger does not show yet, or None.
    pending: AccountChange | None

    @property
    def pending_what(self) -> str | None:
        """What the pending change asked for, in the reader's words."""
        if self.pending is None:
            return None
        asked = wanted(self.pending)
        match self.pending.kind:
            case ChangeKind.amount:
                every = "year" if asked.get("interval") == "year" else "month"
                return f"{format_amount(int(asked['amount']), self.row.currency)} every {every}"
            case ChangeKind.pause:
                return "your pause"
            case ChangeKind.resume:
                return "resuming"
            case ChangeKind.cancel:
                return "your cancellation"
            case _:
                return "your new card"

    @property
    def changeable(self) -> bool:
        return self.row.status in CHANGEABLE and self.row.ended_at is None

    @property
    def frequency(self) -> str:
        return "annual" if self.row.interval == "year" else "monthly"


@dataclass(frozen=True)
class Overview:
    gifts: list[Gift]
    memberships: list[MembershipView]

    @property
    def gives_monthly(self) -> bool:
        return any(view.changeable for view in self.memberships)

    @property
    def last_one_off(self) -> Gift | None:
        return next((gift for gift in self.gifts if gift.kind == PaymentKind.one_off), None)


async def overview(session: AsyncSession, supporter_id: int) -> Overview:
    return Overview(
        gifts=await gifts(session, supporter_id),
        memberships=await memberships(session, supporter_id),
    )


async def gifts(
    session: AsyncSession, supporter_id: int, *, payment_id: int | None = None
) -> list[Gift]:
    """The supporter's gifts, newest first; only the one with `payment_id` when given."""
    refunded = (
        select(func.coalesce(func.sum(Refund.amount), 0))
        .where(
            col(Refund.payment_id) == col(Payment.id),
            col(Refund.status) == RefundStatus.succeeded,
        )
        .scalar_subquery()
    )
    # Seven columns: more than SQLModel's select() is typed for.
    query = (
        columns(
            col(Payment.id),
            col(Payment.kind),
            col(Payment.amount),
            refunded,
            col(Payment.currency),
            col(Payment.paid_at),
            col(Membership.stripe_subscription_id),
        )
        .outerjoin(Membership, col(Membership.id) == col(Payment.membership_id))
        .where(col(Payment.supporter_id) == supporter_id)
        .order_by(col(Payment.paid_at).desc(), col(Payment.id).desc())
    )
    if payment_id is not None:
        query = query.where(col(Payment.id) == payment_id)
    return [Gift(*row) for row in await execute(session, query)]


async def gift(session: AsyncSession, supporter_id: int, payment_id: int) -> Gift | None:
    """One of this supporter's gifts (a receipt), or None: another's is not theirs to see."""
    found = await gifts(session, supporter_id, payment_id=payment_id)
    return found[0] if found else None


async def memberships(session: AsyncSession, supporter_id: int) -> list[MembershipView]:
    rows = (
        await session.exec(
            select(Membership)
            .where(col(Membership.supporter_id) == supporter_id)
            .order_by(col(Membership.created_at).desc())
        )
    ).all()
    views = []
    for row in rows:
        assert row.id is not None
        newest = (
            await session.exec(
                select(AccountChange)
                .where(col(AccountChange.membership_id) == row.id)
                .order_by(col(AccountChange.id).desc())
                .limit(1)
            )
        ).first()
        pending = newest if newest is not None and not shows(row, newest) else None
        views.append(MembershipView(row, pending))
    return views


async def own_membership(
    session: AsyncSession, supporter_id: int, subscription_id: str
) -> Membership | None:
    """The membership with this Stripe id if it is this supporter's; None otherwise, whether
    it is someone else's or nobody's (the web layer answers 404 for both)."""
    return (
        await session.exec(
            select(Membership).where(
                col(Membership.stripe_subscription_id) == subscription_id,
                col(Membership.supporter_id) == supporter_id,
            )
        )
    ).first()


def wanted(change: AccountChange) -> dict[str, Any]:
    value = json.loads(change.wanted)
    return value if isinstance(value, dict) else {}


def shows(membership: Membership, change: AccountChange) -> bool:
    """Whether the ledger's membership shows what `change` asked for."""
    if membership.ended_at is not None:
        return True  # nothing left to wait for
    asked = wanted(change)
    match change.kind:
        case ChangeKind.amount:
            return (membership.amount, membership.interval) == (
                asked.get("amount"),
                asked.get("interval"),
            )
        case ChangeKind.pause:
            return membership.collection_paused
        case ChangeKind.resume:
            return not membership.collection_paused
        case ChangeKind.cancel:
            return membership.cancel_at_period_end
        case _:
            return change.saved_at is not None and change.payment_method is not None
