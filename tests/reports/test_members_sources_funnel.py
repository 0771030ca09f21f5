from __future__ import annotations

from datetime import date

import pytest

from donations.db import Database
from donations.reports.funnel import funnel_report
from donations.reports.members import members_report
from donations.reports.sources import sources_report

DUBLIN = "Europe/Dublin"


@pytest.mark.asyncio
async def test_members_report_counts_joiners_leavers_churn_and_mrr(year: Database) -> None:
    async with year.session() as session:
        may_june = await members_report(
            session=session, first_day=date(2026, 5, 1), last_day=date(2026, 6, 30), timezone=DUBLIN
        )
        april = await members_report(
            session=session, first_day=date(2026, 4, 1), last_day=date(2026, 4, 30), timezone=DUBLIN
        )
    # Active on 05-01 (Dublin): M1, M2, M3, M4 (all joined in April) = 4.
    # Cancelled in May-June: M4 (06-01) = 1, so churn = 1 / 4 = 25.0%.
    # Now: M1, M2 active; M3 past due. MRR = 500 + round(6000 / 12) = 1000.
    assert may_june.summary() == {
        "from": "2026-05-01",
        "to": "2026-06-30",
        "active": 2,
        "ending": 0,
        "paused": 0,
        "past_due": 1,
        "new": 0,
        "cancelled": 1,
        "active_at_start": 4,
        "churned": 1,
        "churn_percent": 25.0,
        "mrr": {"eur": 1000},
    }
    # Bands: M4 €3.00 under €5.00; M1 €5.00 and M3 €7.00 in €5.00-€10.00; M2 €60.00 yearly.
    assert [
        (r.currency, r.interval, r.band, r.active, r.past_due, r.cancelled, r.mrr)
        for r in may_june.rows
    ] == [
        ("eur", "month", "under €5.00", 0, 0, 1, 0),
        ("eur", "month", "€5.00 to under €10.00", 1, 1, 0, 500),
        ("eur", "year", "€50.00 and over", 1, 0, 0, 500),
    ]
    # April: all four joined; no one was a member on 04-01 00:00, so churn is undefined.
    assert (april.total("new"), april.total("active_at_start"), april.churn_percent) == (4, 0, None)


@pytest.mark.asyncio
async def test_sources_rank_by_gross_within_each_currency(year: Database) -> None:
    async with year.session() as session:
        rows = await sources_report(
            session=session,
            first_day=date(2026, 1, 1),
            last_day=date(2026, 12, 31),
            timezone=DUBLIN,
        )
    assert [(r.source, r.currency, r.payments, r.gross) for r in rows] == [
        # C 2000 + D 3000 + H 1200 + M2 6000 + M3 700 + M4 300 = 13200 (6 payments)
        ("(none)", "eur", 6, 13200),
        ("article-footer", "eur", 2, 9000),  # B 5000 + G 4000
        ("newsletter", "eur", 1, 2500),  # A
        ("homepage", "eur", 2, 1000),  # M1's signup and renewal
        ("newsletter", "gbp", 1, 1500),  # E
        ("(none)", "jpy", 1, 1000),  # F
    ]


@pytest.mark.asyncio
async def test_funnel_counts_sessions_by_frequency_and_outcome(year: Database) -> None:
    async with year.session() as session:
        rows = await funnel_report(
            session=session,
            first_day=date(2026, 1, 1),
            last_day=date(2026, 12, 31),
            timezone=DUBLIN,
        )
    assert [r.as_json() for r in rows] == [
        # M2
        {"frequency": "annual", "created": 1, "completed": 1, "expired": 0, "failed": 0,
         "open": 0, "conversion_percent": 100.0},
        # M1, M3, M4 completed; one monthly checkout expired: 3 / 4
        {"frequency": "monthly", "created": 4, "completed": 3, "expired": 1, "failed": 0,
         "open": 0, "conversion_percent": 75.0},
        # gifts A-H completed; the SEPA gift failed: 8 / 9 = 88.89%
        {"frequency": "one_off", "created": 9, "completed": 8, "expired": 0, "failed": 1,
         "open": 0, "conversion_percent": 88.9},
        # 12 / 14 = 85.71%
        {"frequency": "all", "created": 14, "completed": 12, "expired": 1, "failed": 1,
         "open": 0, "conversion_percent": 85.7},
    ]  # fmt: skip
