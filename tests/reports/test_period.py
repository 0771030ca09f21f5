from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from donations.db import Database
from donations.reports.period import period_report
from donations.reports.windows import Grain

COLUMNS = (
    "gross", "refunded", "disputed", "net", "fees", "payments",
    "one_off_count", "one_off_amount", "recurring_count", "recurring_amount", "refunds", "disputes",
)  # fmt: skip


def row(period: str, currency: str, *values: Any) -> dict[str, Any]:
    return {"period": period, "currency": currency, **dict(zip(COLUMNS, values, strict=True))}


async def report(db: Database, first: date, last: date, grain: Grain) -> list[dict[str, Any]]:
    async with db.session() as session:
        rows = await period_report(
            session=session, first_day=first, last_day=last, grain=grain, timezone="Europe/Dublin"
        )
    return [r.as_json() for r in rows]


@pytest.mark.asyncio
async def test_months_put_each_payment_refund_and_dispute_where_it_happened(
    year: Database,
) -> None:
    rows = await report(year, date(2026, 3, 1), date(2026, 11, 30), Grain.month)
    # columns: gross refunded disputed net fees payments | one-off n, amount | recurring n,
    # amount | refunds disputes
    assert rows == [
        # A 2500 (Dublin 03-29 23:59:59) + B 5000 (Dublin 03-30 00:30)
        row("2026-03", "eur", 7500, 0, 0, 7500, None, 2, 2, 7500, 0, 0, 0, 0),
        # signups M1 500 + M2 6000 + M3 700 + M4 300
        row("2026-04", "eur", 7500, 0, 0, 7500, None, 4, 0, 0, 4, 7500, 0, 0),
        # M1's renewal; M3's failed renewal moves no money
        row("2026-05", "eur", 500, 0, 0, 500, None, 1, 0, 0, 1, 500, 0, 0),
        # E £15.00; its pending refund does not count
        row("2026-05", "gbp", 1500, 0, 0, 1500, None, 1, 1, 1500, 0, 0, 0, 0),
        row("2026-05", "jpy", 1000, 0, 0, 1000, None, 1, 1, 1000, 0, 0, 0, 0),
        # C 2000, and C's open dispute in the same month: net 0
        row("2026-06", "eur", 2000, 0, 2000, 0, None, 1, 1, 2000, 0, 0, 0, 1),
        # D 3000, and its dispute's funds withdrawn on 07-05: net 0
        row("2026-07", "eur", 3000, 0, 3000, 0, None, 1, 1, 3000, 0, 0, 0, 1),
        # D's dispute won on 08-04: its funds come back, a negative `disputed`
        row("2026-08", "eur", 0, 0, -3000, 3000, None, 0, 0, 0, 0, 0, 0, 0),
        # H 1200 (10-25T23:59:59Z) + G 4000 (10-26T00:00Z = Dublin 10-26 00:00, still October)
        row("2026-10", "eur", 5200, 0, 0, 5200, None, 2, 2, 5200, 0, 0, 0, 0),
        # B's €10.00 refund, in the month it was made: net -1000
        row("2026-11", "eur", 0, 1000, 0, -1000, None, 0, 0, 0, 0, 0, 1, 0),
    ]
    # Over the whole year the cash view's columns add up to the campaign view's (the
    # reinstated dispute counts nothing, the open one its amount).
    eur = [r for r in rows if r["currency"] == "eur"]
    assert (sum(r["refunded"] for r in eur), sum(r["disputed"] for r in eur)) == (1000, 2000)


@pytest.mark.asyncio
async def test_days_follow_dublin_time_across_both_dst_changes(year: Database) -> None:
    spring = await report(year, date(2026, 3, 29), date(2026, 3, 30), Grain.day)
    # A at 22:59:59Z is 23:59:59 on the 29th in Dublin; B at 23:30Z is 00:30 on the 30th.
    assert [(r["period"], r["gross"]) for r in spring] == [
        ("2026-03-29", 2500),
        ("2026-03-30", 5000),
    ]
    autumn = await report(year, date(2026, 10, 25), date(2026, 10, 26), Grain.day)
    # After the clocks go back Dublin is on UTC: H at 23:59:59Z is the 25th, G at 00:00Z the 26th.
    assert [(r["period"], r["gross"]) for r in autumn] == [
        ("2026-10-25", 1200),
        ("2026-10-26", 4000),
    ]


@pytest.mark.asyncio
async def test_weeks_are_labelled_by_their_monday(year: Database) -> None:
    rows = await report(year, date(2026, 3, 23), date(2026, 4, 5), Grain.week)
    # Week of Mon 03-23: A (03-29) 2500; week of Mon 03-30: B 5000 + M1 500 (04-01) = 5500.
    assert [(r["period"], r["currency"], r["gross"], r["payments"]) for r in rows] == [
        ("2026-03-23", "eur", 2500, 1),
        ("2026-03-30", "eur", 5500, 2),
    ]


@pytest.mark.asyncio
async def test_a_won_dispute_moves_money_out_and_back_and_a_pending_refund_none(
    year: Database,
) -> None:
    # D's dispute opened on 07-05 (funds withdrawn) and was won on 08-04 (reinstated).
    [opened] = await report(year, date(2026, 7, 5), date(2026, 7, 5), Grain.day)
    assert (opened["disputed"], opened["net"], opened["disputes"]) == (3000, -3000, 1)
    [won] = await report(year, date(2026, 8, 4), date(2026, 8, 4), Grain.day)
    assert (won["disputed"], won["net"], won["disputes"]) == (-3000, 3000, 0)
    # E's refund is still pending on 05-10: no money moved.
    assert await report(year, date(2026, 5, 10), date(2026, 5, 10), Grain.day) == []
