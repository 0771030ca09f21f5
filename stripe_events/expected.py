"""What the ledger must say about a scenario, worked out from what happened, in its own words:
never from the ledger's code (an expectation computed by the code under test proves nothing).

    expected_totals(scenario, now=) -> Totals

The rules, as a finance person would apply them to the scenario's story:
- gross: every payment that moved money through Stripe (a paid gift; an invoice, less what
  was paid outside Stripe), by currency;
- refunded: every refund whose last status is `succeeded`, whether Stripe named it or only
  counted it in the charge's `amount_refunded`;
- disputed: every dispute whose last status leaves the funds withdrawn
  (stripe_events.domains.DISPUTE_STATUSES_FUNDS_WITHDRAWN);
- members: active (or trialing) and not paused; paused; past due;
- MRR: each active, unpaused member's price after the discounts that last (`forever`, or
  `repeating` until it ends), per month: a day is 12/365 of a month, a week 12/52, a year 12;
  summed exactly, rounded half-up once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from stripe_events import happenings as h
from stripe_events.scenarios import Scenario

MONTHS = {
    "day": Fraction(12, 365),
    "week": Fraction(12, 52),
    "month": Fraction(1),
    "year": Fraction(12),
}


@dataclass
class CurrencyTotals:
    gross: int = 0
    refunded: int = 0
    disputed: int = 0
    payments: int = 0
    one_off_count: int = 0
    one_off_amount: int = 0
    recurring_count: int = 0
    recurring_amount: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.disputed


@dataclass
class Totals:
    by_currency: dict[str, CurrencyTotals]
    supporters: int  # distinct readers (by email, any case) with at least one payment
    active_members: int
    past_due_members: int
    paused_members: int = 0
    mrr: dict[str, int] = field(default_factory=dict)  # per currency; none: not listed
    # (active, past due, paused) members paying in each currency: progress counts a
    # campaign's own currency only.
    members_by_currency: dict[str, tuple[int, int, int]] = field(
        default_factory=dict, compare=False
    )


def expected_totals(scenario: Scenario, *, now: int | None = None) -> Totals:
    now = scenario.ends_at if now is None else now
    by_currency: dict[str, CurrencyTotals] = {}
    for payment in scenario.payments:
        totals = by_currency.setdefault(payment.currency, CurrencyTotals())
        totals.gross += payment.amount
        totals.payments += 1
        if isinstance(payment, h.Gift):
            totals.one_off_count += 1
            totals.one_off_amount += payment.amount
        else:
            totals.recurring_count += 1
            totals.recurring_amount += payment.amount
        totals.refunded += payment.refunded
        totals.disputed += sum(d.amount for d in payment.disputes if d.holds_funds)
    emails = {p.email.lower() for p in scenario.payments if p.email}
    paying = [m for m in scenario.memberships if m.status in ("active", "trialing")]
    monthly: dict[str, Fraction] = {}
    for member in paying:
        if not member.paused:
            monthly[member.currency] = monthly.get(member.currency, Fraction(0)) + _per_month(
                member, now
            )
    members_by_currency = {
        currency: (
            sum(not m.paused for m in paying if m.currency == currency),
            sum(m.status == "past_due" for m in scenario.memberships if m.currency == currency),
            sum(m.paused for m in paying if m.currency == currency),
        )
        for currency in sorted({m.currency for m in scenario.memberships})
    }
    return Totals(
        by_currency=by_currency,
        members_by_currency=members_by_currency,
        supporters=len(emails),
        active_members=sum(not m.paused for m in paying),
        past_due_members=sum(m.status == "past_due" for m in scenario.memberships),
        paused_members=sum(m.paused for m in paying),
        # A currency whose members pay nothing now (a 100%-off coupon) has no MRR to show.
        mrr={
            currency: rounded
            for currency, value in sorted(monthly.items())
            if (rounded := _half_up(value))
        },
    )


def _per_month(member: h.Membership, now: int) -> Fraction:
    price = Fraction(member.amount)
    coupon = member.coupon
    ends = member.discount_ends_at
    lasting = coupon is not None and coupon.duration != "once" and (ends is None or ends > now)
    if lasting and coupon is not None:
        if coupon.percent_off is not None:
            price *= 1 - Fraction(str(coupon.percent_off)) / 100
        else:
            price = max(Fraction(0), price - (coupon.amount_off or 0))
    return price / (MONTHS[member.interval] * member.interval_count)


def _half_up(value: Fraction) -> int:
    return int((value * 2 + 1) // 2)
