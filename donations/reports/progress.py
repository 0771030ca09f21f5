"""Progress of a campaign: money raised in its window against its target
(docs/accounting.md, "Progress").

The campaign view: a payment counts when it was paid inside the window; its refunds and
disputes count against it whenever they happened. Grouped queries, whatever the size of the
ledger: payments by currency (with their refunds and disputes joined per payment), and
memberships now.

The whole figure is for staff (the CLI, /admin, /admin/api/progress); the public one
(/api/progress, the widget) carries only PUBLIC_KEYS, what a newsroom would print on its site.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import distinct, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.models import Campaign, FeeStatus, Membership, MembershipStatus, PaymentKind
from donations.reports import counting, mrr
from donations.reports.counting import payment, when
from donations.reports.export import flatten, major
from donations.reports.mrr import half_up
from donations.reports.windows import iso_utc, report_zone, window

membership = Membership.__table__  # type: ignore[attr-defined]

ACTIVE = (MembershipStatus.active.value, MembershipStatus.trialing.value)
PUBLIC_KEYS = (
    "campaign", "name", "currency", "starts_on", "ends_on", "target", "net", "percent",
    "supporters", "as_of",
)  # fmt: skip
# The figures in minor units, by their last name ("gross", "one_off.amount",
# "other_currencies.gbp.net"): of the campaign's currency, or of the one they are listed under.
MONEY_FIGURES = frozenset({
    "target", "gross", "refunded", "disputed", "net", "fees", "mrr", "amount",
})  # fmt: skip


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
    # The settlement currency the fees were charged in (Stripe's balance transactions).
    fees_currency: str | None = None
    # Payments whose fee Stripe will never give (donations/fees.py): left out of `fees`.
    fees_unavailable: int = 0
    one_off: Kind = field(default_factory=Kind)
    recurring: Kind = field(default_factory=Kind)

    @property
    def net(self) -> int:
        return money.net(self.gross, self.refunded, self.disputed)


@dataclass(frozen=True)
class Members:
    """Memberships now in the campaign's currency, as its MRR (members in other currencies
    are in `donations report members`, each currency on its own)."""

    active: int = 0
    # Of the active ones, those who asked to cancel at the period's end: still paying.
    ending: int = 0
    paused: int = 0
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
        """100 x net / target to one decimal, halves rounded up (30.25 -> 30.3)."""
        return half_up(Fraction(1000 * self.totals.net, self.campaign.target)) / 10

    def as_json(self) -> dict[str, Any]:
        """Every key of the progress JSON (docs/accounting.md), in its order."""
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
            "fees_currency": totals.fees_currency,
            "fees_unavailable": totals.fees_unavailable,
            "percent": self.percent,
            "payments": totals.payments,
            "supporters": totals.supporters,
            "one_off": {"count": totals.one_off.count, "amount": totals.one_off.amount},
            "recurring": {"count": totals.recurring.count, "amount": totals.recurring.amount},
            "members_currency": self.campaign.currency,
            "active_members": self.members.active,
            "ending_members": self.members.ending,
            "paused_members": self.members.paused,
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

    def public_json(self) -> dict[str, Any]:
        """What a newsroom prints on its site: no fees, members or other currencies."""
        whole = self.as_json()
        return {key: whole[key] for key in PUBLIC_KEYS}


async def campaign_progress(
    *, session: AsyncSession, campaign: Campaign, timezone: str, now: datetime
) -> Progress:
    span = window(campaign.starts_on, campaign.ends_on, report_zone(timezone))
    refunded = counting.refunded_per_payment()
    disputed = counting.disputed_per_payment()
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
            func.sum(when(payment.c.fee_status == FeeStatus.unavailable.value, 1)).label(
                "fees_unavailable"
            ),
            func.count(distinct(payment.c.fee_currency)).label("fee_currencies"),
            func.min(payment.c.fee_currency).label("fee_currency"),
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
        .where(counting.between(payment.c.paid_at, span.start, span.end))
        .group_by(payment.c.currency)
        .order_by(payment.c.currency)
    )
    connection = await counting.connection(session)
    found: dict[str, CurrencyTotals] = {}
    for row in (await connection.execute(by_currency)).mappings():
        # Fees are only meaningful when every payment's is known (`reconcile fees`) or will
        # never be (counted in fees_unavailable), and are never added across currencies.
        unavailable = int(row["fees_unavailable"] or 0)
        fees_known = (
            row["fees_known"] + unavailable == row["payments"] and row["fee_currencies"] == 1
        )
        found[row["currency"]] = CurrencyTotals(
            currency=row["currency"],
            gross=int(row["gross"]),
            refunded=int(row["refunded"]),
            disputed=int(row["disputed"]),
            payments=int(row["payments"]),
            supporters=int(row["supporters"]),
            fees=int(row["fees"]) if fees_known else None,
            fees_currency=row["fee_currency"] if fees_known else None,
            fees_unavailable=unavailable,
            one_off=Kind(int(row["one_off_count"]), int(row["one_off_amount"])),
            recurring=Kind(int(row["recurring_count"]), int(row["recurring_amount"])),
        )
    # No payment yet: fees stay null.
    totals = found.pop(campaign.currency, CurrencyTotals(campaign.currency))
    return Progress(
        campaign=campaign,
        totals=totals,
        members=await members_now(session=session, currency=campaign.currency, now=now),
        other_currencies=list(found.values()),
        as_of=now,
    )


async def members_now(*, session: AsyncSession, currency: str, now: datetime) -> Members:
    m = membership.c
    active = m.status.in_(ACTIVE)
    statement = select(
        func.sum(when(active & ~m.collection_paused, 1)).label("active"),
        func.sum(when(ending_member(), 1)).label("ending"),
        func.sum(when(paused_member(), 1)).label("paused"),
        func.sum(when(m.status == MembershipStatus.past_due.value, 1)).label("past_due"),
    ).where(
        m.status.in_((*ACTIVE, MembershipStatus.paused.value, MembershipStatus.past_due.value)),
        m.currency == currency,
    )
    connection = await counting.connection(session)
    row = (await connection.execute(statement)).mappings().one()
    monthly = await mrr.monthly_fractions(
        connection, counted=paying_member(currency), by=[], now=now
    )
    return Members(
        active=int(row["active"] or 0),
        ending=int(row["ending"] or 0),
        paused=int(row["paused"] or 0),
        past_due=int(row["past_due"] or 0),
        mrr=half_up(monthly.get((), Fraction(0))),
    )


def ending_member() -> Any:
    """Active members who asked to cancel (at the period's end, or at a set time): they
    count as active, and pay, until Stripe ends the membership; never as cancelled before."""
    m = membership.c
    asked = (m.cancel_at_period_end == True) | m.cancel_at.is_not(None)  # noqa: E712
    return m.status.in_(ACTIVE) & ~m.collection_paused & asked


def paused_member() -> Any:
    """Memberships on a pause: active with collection paused (`pause_collection`), or paused
    by Stripe's pause endpoint (status `paused`, 2026-09-30.endive)."""
    m = membership.c
    return (m.status.in_(ACTIVE) & m.collection_paused) | (
        m.status == MembershipStatus.paused.value
    )


def paying_member(currency: str | None = None) -> Any:
    """Memberships that count toward MRR: active or trialing, collection not paused (a
    membership scheduled to cancel pays until Stripe ends it)."""
    m = membership.c
    paying = m.status.in_(ACTIVE) & ~m.collection_paused
    return paying if currency is None else paying & (m.currency == currency)


FIGURE_COLUMNS = ("figure", "value", "currency")


def figure_rows(figures: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The progress JSON as CSV rows, one figure a row ("one_off.amount", "other_currencies.gbp.net"):
    money in major units with the currency it is in (fees in the one Stripe charged them in),
    counts and the rest with no currency."""
    for key, value in flatten(figures):
        currency = figure_currency(key, figures)
        yield {"figure": key, "value": major(value, currency), "currency": currency}


def figure_currency(key: str, figures: Mapping[str, Any]) -> str | None:
    """The currency of one figure of the progress JSON (a flattened key): None for counts and
    the rest; the fees' settlement currency for `fees`; else the campaign's or other one's."""
    if key.rsplit(".", 1)[-1] not in MONEY_FIGURES:
        return None
    if key.startswith("other_currencies."):
        return key.split(".")[1]
    if key == "fees":
        fees_currency: str | None = figures["fees_currency"]
        return fees_currency
    campaign_currency: str = figures["currency"]
    return campaign_currency
