"""Members: who is paying now, who joined and who left in a period, and what it is worth.

Definitions (the dashboard and `donations report members` say the same):

- active: status `active` or `trialing` now, collection not paused (a member scheduled to
  cancel is active until Stripe ends the membership); ending: those of them who asked to
  cancel (`cancel_at_period_end`, or a `cancel_at`), active and paying until then, never
  also cancelled; paused: the same with collection paused, or status `paused`; past_due:
  status `past_due` now.
- new: memberships that started (`started_at`, else `created_at`) in the period, except
  those that never got going (`incomplete`, `incomplete_expired`).
- cancelled: memberships Stripe ended in the period (`ended_at`; asking to cancel at the
  period's end is not ending).
- active at start: started before the period and not ended before it.
- churn: of the members active at the start, the share that ended during the period
  (members who joined and left inside the period are in `cancelled`, not in churn),
  as a percentage with one decimal; null when no one was active at the start.
- MRR: what active members pay per month after discounts, normalised from any interval
  (donations/reports/mrr.py), per currency (never converted), rounded half-up once.
- amount band: the amount charged per interval, banded at 5, 10, 20 and 50 in the
  currency's minor-unit scale (500, 1000, 2000, 5000 minor units).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.models import Membership, MembershipStatus, utcnow
from donations.reports import counting, mrr
from donations.reports.counting import when
from donations.reports.mrr import half_up
from donations.reports.progress import ACTIVE, ending_member, paused_member, paying_member
from donations.reports.windows import report_zone, window

membership = Membership.__table__  # type: ignore[attr-defined]

BAND_LIMITS = (500, 1000, 2000, 5000)
NEVER_STARTED = (MembershipStatus.incomplete.value, MembershipStatus.incomplete_expired.value)

COLUMNS = (
    "currency", "interval", "interval_count", "band", "active", "ending", "paused", "past_due",
    "new", "cancelled", "active_at_start", "churned", "mrr",
)  # fmt: skip
MONEY_COLUMNS = frozenset({"mrr"})  # in minor units of the row's currency


@dataclass(frozen=True)
class MemberRow:
    currency: str
    interval: str
    interval_count: int
    band: str
    active: int
    ending: int
    paused: int
    past_due: int
    new: int
    cancelled: int
    active_at_start: int
    churned: int
    # What this row's active members pay per month, exactly (rounded in `mrr`).
    monthly: Fraction

    @property
    def mrr(self) -> int:
        return half_up(self.monthly)

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


@dataclass(frozen=True)
class MembersReport:
    first_day: date
    last_day: date
    rows: list[MemberRow]

    def total(self, name: str) -> int:
        return sum(int(getattr(row, name)) for row in self.rows)

    @property
    def churn_percent(self) -> float | None:
        at_start = self.total("active_at_start")
        if not at_start:
            return None
        return half_up(Fraction(1000 * self.total("churned"), at_start)) / 10

    @property
    def mrr(self) -> dict[str, int]:
        """Per currency, the rows' exact monthly amounts summed, then rounded half-up once."""
        exact: dict[str, Fraction] = {}
        for row in self.rows:
            exact[row.currency] = exact.get(row.currency, Fraction(0)) + row.monthly
        return {currency: half_up(exact[currency]) for currency in sorted(exact)}

    def summary(self) -> dict[str, Any]:
        return {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "active": self.total("active"),
            "ending": self.total("ending"),
            "paused": self.total("paused"),
            "past_due": self.total("past_due"),
            "new": self.total("new"),
            "cancelled": self.total("cancelled"),
            "active_at_start": self.total("active_at_start"),
            "churned": self.total("churned"),
            "churn_percent": self.churn_percent,
            "mrr": self.mrr,
        }

    def as_json(self) -> dict[str, Any]:
        return {**self.summary(), "rows": [row.as_json() for row in self.rows]}


def band_label(index: int, currency: str) -> str:
    def amount(value: int) -> str:
        return money.format_amount(value, currency)

    if index == 0:
        return f"under {amount(BAND_LIMITS[0])}"
    if index == len(BAND_LIMITS):
        return f"{amount(BAND_LIMITS[-1])} and over"
    return f"{amount(BAND_LIMITS[index - 1])} to under {amount(BAND_LIMITS[index])}"


def _band() -> Any:
    m = membership.c
    return case(
        *((m.amount < limit, index) for index, limit in enumerate(BAND_LIMITS)),
        else_=len(BAND_LIMITS),
    ).label("band")


def members_statement(*, start: Any, end: Any) -> Select[Any]:
    m = membership.c
    began = func.coalesce(m.started_at, m.created_at)
    started = m.status.not_in(NEVER_STARTED)
    # When Stripe ended it; rows from before `ended_at` was kept have only `canceled_at`.
    ended = func.coalesce(
        m.ended_at, case((m.status == MembershipStatus.canceled.value, m.canceled_at))
    )
    at_start = started & (began < start) & (ended.is_(None) | (ended >= start))
    cancelled = counting.between(ended, start, end)
    active = m.status.in_(ACTIVE)
    band = _band()
    return (
        select(
            m.currency,
            m.interval,
            m.interval_count,
            band,
            func.sum(when(active & ~m.collection_paused, 1)).label("active"),
            func.sum(when(ending_member(), 1)).label("ending"),
            func.sum(when(paused_member(), 1)).label("paused"),
            func.sum(when(m.status == MembershipStatus.past_due.value, 1)).label("past_due"),
            func.sum(when(started & counting.between(began, start, end), 1)).label("new"),
            func.sum(when(cancelled, 1)).label("cancelled"),
            func.sum(when(at_start, 1)).label("active_at_start"),
            func.sum(when(at_start & cancelled, 1)).label("churned"),
        )
        .group_by(m.currency, m.interval, m.interval_count, band)
        .order_by(m.currency, m.interval, m.interval_count, band)
    )


async def members_report(
    *,
    session: AsyncSession,
    first_day: date,
    last_day: date,
    timezone: str,
    now: datetime | None = None,
) -> MembersReport:
    """The period's figures; MRR as of `now` (default: this moment), when discounts last."""
    span = window(first_day, last_day, report_zone(timezone))
    connection = await counting.connection(session)
    result = await connection.execute(members_statement(start=span.start, end=span.end))
    m = membership.c
    monthly = await mrr.monthly_fractions(
        connection,
        counted=paying_member(),
        by=[m.currency, m.interval, m.interval_count, _band()],
        now=now or utcnow(),
    )
    rows = [
        MemberRow(
            currency=values["currency"],
            interval=values["interval"],
            interval_count=int(values["interval_count"]),
            band=band_label(int(values["band"]), values["currency"]),
            active=int(values["active"]),
            ending=int(values["ending"]),
            paused=int(values["paused"]),
            past_due=int(values["past_due"]),
            new=int(values["new"]),
            cancelled=int(values["cancelled"]),
            active_at_start=int(values["active_at_start"]),
            churned=int(values["churned"]),
            monthly=monthly.get(
                (values["currency"], values["interval"], values["interval_count"], values["band"]),
                Fraction(0),
            ),
        )
        for values in result.mappings()
    ]
    # Memberships that never started and did nothing in the period are noise in the table.
    rows = [
        row
        for row in rows
        if any((row.active, row.paused, row.past_due, row.new, row.cancelled, row.active_at_start))
    ]
    return MembersReport(first_day, last_day, rows)
