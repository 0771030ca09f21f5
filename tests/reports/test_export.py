"""The payments CSV export: streamed in chunks, byte for byte the same text."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from donations.db import Database
from donations.reports import recent
from donations.reports.export import csv_lines

# The five newest payments of tests/reports/scenario.py: gifts G, H, D, C and F (H is
# ANA@example.org, the supporter first seen as ana@example.org; emails are kept lowercased).
NEWEST_FIVE = (
    "paid_at,kind,amount,currency,source,email,anonymous\n"
    "2026-10-26T00:00:00Z,one_off,4000,eur,article-footer,k***@example.org,\n"
    "2026-10-25T23:59:59Z,one_off,1200,eur,,a***@example.org,\n"
    "2026-07-01T10:00:00Z,one_off,3000,eur,,c***@example.org,\n"
    "2026-06-15T12:00:00Z,one_off,2000,eur,,b***@example.org,\n"
    "2026-05-06T10:00:00Z,one_off,1000,jpy,,j***@example.org,\n"
)


@pytest.mark.asyncio
async def test_a_payments_export_in_chunks_of_two_is_the_same_text(year: Database) -> None:
    async with year.session() as session:
        payments = recent.stream_recent(session=session, limit=5, batch_rows=2)
        rows = (payment.as_json() async for payment in payments)
        chunks = [chunk async for chunk in csv_lines(recent.COLUMNS, rows, chunk_rows=2)]
    # The header and two rows, two rows, the last row.
    assert [chunk.count("\n") for chunk in chunks] == [3, 2, 1]
    assert "".join(chunks) == NEWEST_FIVE


@pytest.mark.asyncio
async def test_an_export_with_no_rows_is_the_header(year: Database) -> None:
    async with year.session() as session:
        payments = recent.stream_recent(session=session, limit=0)
        rows = (payment.as_json() async for payment in payments)
        chunks = [chunk async for chunk in csv_lines(recent.COLUMNS, rows)]
    assert chunks == ["paid_at,kind,amount,currency,source,email,anonymous\n"]


def test_a_payment_time_outside_utc_is_written_in_utc() -> None:
    summer = datetime(2026, 7, 1, 11, 0, 5, 999_999, tzinfo=ZoneInfo("Europe/Dublin"))
    for paid_at in (summer, summer.astimezone(UTC)):
        payment = recent.RecentPayment(paid_at, "one_off", 3000, "eur", "", "c***@example.org")
        assert payment.as_json()["paid_at"] == "2026-07-01T10:00:05Z"
