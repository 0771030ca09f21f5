"""Members: who is paying now, who joined and who left in a period, and what it is worth.

Definitions (the dashboard and `donations report members` say the same):

- active: status `active` or `trialing` now; past_due: status `past_due` now.
- new: memberships that started (`started_at`, else `created_at`) in the period, except
  those that never got going (`incomplete`, `incomplete_expired`).
- cancelled: `canceled_at` in the period.
- active at start: started before the period and not cancelled before it.
- churn: of the members active at the start, the share cancelled during the period
  (members who joined and left inside the period are in `cancelled`, not in churn),
  as a percentage with one decimal; null when no one was active at the start.
- MRR: monthly amounts plus a twelfth of annual amounts (rounded), active members only,
  per currency (never converted).
- amount band: the amount charged per interval, banded at 5, 10, 20 and 50 in the
  currency's minor-unit scale (500, 1000, 2000, 5000 minor units).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.models import Interval, Membership, MembershipStatus
from donations.reports import ledger
from donations.reports.ledger import when
from donations.reports.progress import ACTIVE, monthly_recurring
from donations.reports.windows import report_zone, window

membership = Membership.__table__  # type: ignore[attr-defined]

BAND_LIMITS = (500, 1000, 2000, 5000)
NEVER_STARTED = (MembershipStatus.incomplete.value, MembershipStatus.incomplete_expired.value)

COLUMNS = (
    "currency", "interval", "band", "active", "past_due", "new", "cancelled",
    "active_at_start", "churned", "mrr",
)  # fmt: skip


@dataclass(frozen=True)
class MemberRow:
    currency: str
    interval: str
    band: str
    active: int
    past_due: int
    new: int
    cancelled: int
    active_at_start: int
    churned: int
    active_amount: int

    @property
    def mrr(self) -> int:
        if self.interval == Interval.year.value:
            return monthly_recurring(0, self.active_amount)
        return self.active_amount

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
        return round(100 * self.total("churned") / at_start, 1) if at_start else None

    @property
    def mrr(self) -> dict[str, int]:
        """Per currency: sum of monthly amounts + round(sum of annual amounts / 12)."""
        monthly: dict[str, int] = {}
        annual: dict[str, int] = {}
        for row in self.rows:
            into = annual if row.interval == Interval.year.value else monthly
            into[row.currency] = into.get(row.currency, 0) + row.active_amount
        return {
            currency: monthly_recurring(monthly.get(currency, 0), annual.get(currency, 0))
            for currency in sorted(monthly.keys() | annual.keys())
        }

    def summary(self) -> dict[str, Any]:
        return {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "active": self.total("active"),
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


def members_statement(*, start: Any, end: Any) -> Select[Any]:
    m = membership.c
    began = func.coalesce(m.started_at, m.created_at)
    started = m.status.not_in(NEVER_STARTED)
    at_start = started & (began < start) & (m.canceled_at.is_(None) | (m.canceled_at >= start))
    cancelled = ledger.between(m.canceled_at, start, end)
    band = case(
        *((m.amount < limit, index) for index, limit in enumerate(BAND_LIMITS)),
        else_=len(BAND_LIMITS),
    ).label("band")
    return (
        select(
            m.currency,
            m.interval,
            band,
            func.sum(when(m.status.in_(ACTIVE), 1)).label("active"),
            func.sum(when(m.status == MembershipStatus.past_due.value, 1)).label("past_due"),
            func.sum(when(started & ledger.between(began, start, end), 1)).label("new"),
            func.sum(when(cancelled, 1)).label("cancelled"),
            func.sum(when(at_start, 1)).label("active_at_start"),
            func.sum(when(at_start & cancelled, 1)).label("churned"),
            func.sum(when(m.status.in_(ACTIVE), m.amount)).label("active_amount"),
        )
        .group_by(m.currency, m.interval, band)
        .order_by(m.currency, m.interval, band)
    )


async def members_report(
    *, session: AsyncSession, first_day: date, last_day: date, timezone: str
) -> MembersReport:
    span = window(first_day, last_day, report_zone(timezone))
    connection = await ledger.connection(session)
    result = await connection.execute(members_statement(start=span.start, end=span.end))
    rows = [
        MemberRow(
            currency=values["currency"],
            interval=values["interval"],
            band=band_label(int(values["band"]), values["currency"]),
            active=int(values["active"]),
            past_due=int(values["past_due"]),
            new=int(values["new"]),
            cancelled=int(values["cancelled"]),
            active_at_start=int(values["active_at_start"]),
            churned=int(values["churned"]),
            active_amount=int(values["active_amount"]),
        )
        for values in result.mappings()
    ]
    # Memberships that never started and did nothing in the period are noise in the table.
    rows = [
        row
        for row in rows
        if any((row.active, row.past_due, row.new, row.cancelled, row.active_at_start))
    ]
    return MembersReport(first_day, last_day, rows)
