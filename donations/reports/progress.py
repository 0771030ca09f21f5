"""Progress of a campaign: money raised in its window against its target (DESIGN.md).

The campaign view: a payment counts when it was paid inside the window; its refunds and
disputes count against it whenever they happened. Two grouped queries, whatever the size
of the ledger: payments by currency (with their refunds and disputes joined per payment),
and memberships now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Campaign, Interval, Membership, MembershipStatus, PaymentKind
from donations.reports import ledger
from donations.reports.ledger import payment, when
from donations.reports.windows import iso_utc, report_zone, window

membership = Membership.__table__  # type: ignore[attr-defined]

ACTIVE = (MembershipStatus.active.value, MembershipStatus.trialing.value)


@dataclass(frozen=True)
class Kind:
    count: int = 0
    amount: int = 0


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    gross: int = 0
    refunded: int = 0
    disputed: int = 0
    payments: int = 0
    supporters: int = 0
    fees: int | None = None
    one_off: Kind = field(default_factory=Kind)
    recurring: Kind = field(default_factory=Kind)

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.disputed


@dataclass(frozen=True)
class Members:
    active: int = 0
    past_due: int = 0
    mrr: int = 0


@dataclass(frozen=True)
class Progress:
    campaign: Campaign
    totals: CurrencyTotals
    members: Members
    other_currencies: list[CurrencyTotals]
    as_of: datetime

    @property
    def percent(self) -> float:
        return round(100 * self.totals.net / self.campaign.target, 1)

    def as_json(self) -> dict[str, Any]:
        """Every key of DESIGN.md's progress JSON, in its order."""
        totals = self.totals
        return {
            "campaign": self.campaign.slug,
            "name": self.campaign.name,
            "currency": self.campaign.currency,
            "starts_on": self.campaign.starts_on.isoformat(),
            "ends_on": self.campaign.ends_on.isoformat(),
            "target": self.campaign.target,
            "gross": totals.gross,
            "refunded": totals.refunded,
            "disputed": totals.disputed,
            "net": totals.net,
            "fees": totals.fees,
            "percent": self.percent,
            "payments": totals.payments,
            "supporters": totals.supporters,
            "one_off": {"count": totals.one_off.count, "amount": totals.one_off.amount},
            "recurring": {"count": totals.recurring.count, "amount": totals.recurring.amount},
            "active_members": self.members.active,
            "past_due_members": self.members.past_due,
            "mrr": self.members.mrr,
            "other_currencies": {
                other.currency: {
                    "gross": other.gross,
                    "refunded": other.refunded,
                    "disputed": other.disputed,
                    "net": other.net,
                    "payments": other.payments,
                }
                for other in self.other_currencies
            },
            "as_of": iso_utc(self.as_of),
        }


def monthly_recurring(monthly: int, annual: int) -> int:
    """MRR as DESIGN.md defines it: monthly amounts plus a twelfth of annual ones, rounded."""
    return monthly + round(annual / 12)


async def campaign_progress(
    *, session: AsyncSession, campaign: Campaign, timezone: str, now: datetime
) -> Progress:
    span = window(campaign.starts_on, campaign.ends_on, report_zone(timezone))
    refunded = ledger.refunded_per_payment()
    disputed = ledger.disputed_per_payment()
    one_off = payment.c.kind == PaymentKind.one_off.value
    recurring = payment.c.kind == PaymentKind.recurring.value
    by_currency = (
        select(
            payment.c.currency,
            func.count().label("payments"),
            func.coalesce(func.sum(payment.c.amount), 0).label("gross"),
            func.coalesce(func.sum(refunded.c.amount), 0).label("refunded"),
            func.coalesce(func.sum(disputed.c.amount), 0).label("disputed"),
            func.sum(payment.c.fee).label("fees"),
            func.count(payment.c.fee).label("fees_known"),
            func.count(distinct(payment.c.supporter_id)).label("supporters"),
            func.sum(when(one_off, 1)).label("one_off_count"),
            func.sum(when(one_off, payment.c.amount)).label("one_off_amount"),
            func.sum(when(recurring, 1)).label("recurring_count"),
            func.sum(when(recurring, payment.c.amount)).label("recurring_amount"),
        )
        .select_from(
            payment.outerjoin(refunded, refunded.c.payment_id == payment.c.id).outerjoin(
                disputed, disputed.c.payment_id == payment.c.id
            )
        )
        .where(ledger.between(payment.c.paid_at, span.start, span.end))
        .group_by(payment.c.currency)
        .order_by(payment.c.currency)
    )
    connection = await ledger.connection(session)
    found: dict[str, CurrencyTotals] = {}
    for row in (await connection.execute(by_currency)).mappings():
        found[row["currency"]] = CurrencyTotals(
            currency=row["currency"],
            gross=int(row["gross"]),
            refunded=int(row["refunded"]),
            disputed=int(row["disputed"]),
            payments=int(row["payments"]),
            supporters=int(row["supporters"]),
            # Fees are only meaningful when every payment's is known (`reconcile fees`).
            fees=int(row["fees"] or 0) if row["fees_known"] == row["payments"] else None,
            one_off=Kind(int(row["one_off_count"]), int(row["one_off_amount"])),
            recurring=Kind(int(row["recurring_count"]), int(row["recurring_amount"])),
        )
    # No payment yet: fees stay null, as in DESIGN.md's example.
    totals = found.pop(campaign.currency, CurrencyTotals(campaign.currency))
    return Progress(
        campaign=campaign,
        totals=totals,
        members=await members_now(session=session, currency=campaign.currency),
        other_currencies=list(found.values()),
        as_of=now,
    )


async def members_now(*, session: AsyncSession, currency: str) -> Members:
    active = membership.c.status.in_(ACTIVE)
    counted = active & (membership.c.currency == currency)
    statement = select(
        func.sum(when(active, 1)).label("active"),
        func.sum(when(membership.c.status == MembershipStatus.past_due.value, 1)).label("past_due"),
        func.sum(
            when(counted & (membership.c.interval == Interval.month.value), membership.c.amount)
        ).label("monthly"),
        func.sum(
            when(counted & (membership.c.interval == Interval.year.value), membership.c.amount)
        ).label("annual"),
    ).where(membership.c.status.in_((*ACTIVE, MembershipStatus.past_due.value)))
    connection = await ledger.connection(session)
    row = (await connection.execute(statement)).mappings().one()
    return Members(
        active=int(row["active"] or 0),
        past_due=int(row["past_due"] or 0),
        mrr=monthly_recurring(int(row["monthly"] or 0), int(row["annual"] or 0)),
    )
