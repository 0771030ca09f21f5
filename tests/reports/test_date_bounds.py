"""Dates at the edges of the calendar: refused up front with the reason, never a 500 or a CSV
cut halfway (the download starts only once every date is known to be usable)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from donations.db import Database
from donations.reports.windows import (
    FIRST_DAY,
    LAST_DAY,
    ReportInputError,
    parse_range,
    report_zone,
    window,
)
from tests.reports.test_admin import AUTH, add_ana

PAGES = ("/admin/months", "/admin/members", "/admin/sources", "/admin/funnel")
EXPORTS = ("period", "sources", "funnel", "members", "payments", "progress")


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("9999-12-31", "9999-12-31", "--to must be between 1970-01-01 and 2999-12-31, not 9999-12-31"),
        ("2026-01-01", "9999-12-30", "--to must be between 1970-01-01 and 2999-12-31, not 9999-12-30"),
        ("0001-01-01", "2026-01-01", "--from must be between 1970-01-01 and 2999-12-31, not 0001-01-01"),
        ("1969-12-31", "2026-01-01", "--from must be between 1970-01-01 and 2999-12-31, not 1969-12-31"),
        ("2026-01-01", "3000-01-01", "--to must be between 1970-01-01 and 2999-12-31, not 3000-01-01"),
    ],
)  # fmt: skip
def test_dates_outside_the_reporting_years_are_refused_with_the_range(
    start: str, end: str, reason: str
) -> None:
    with pytest.raises(ReportInputError) as raised:
        parse_range(start, end, today=date(2026, 11, 28))
    assert str(raised.value) == reason


def test_the_first_and_last_reporting_days_are_accepted() -> None:
    assert parse_range("1970-01-01", "2999-12-31", today=date(2026, 11, 28)) == (
        FIRST_DAY,
        LAST_DAY,
    )


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_a_window_at_pythons_last_and_first_dates_does_not_overflow(zone: str) -> None:
    # A campaign stored with such dates before the bounds existed still reports.
    span = window(date.min, date.max, report_zone(zone))
    assert span.end == datetime.max.replace(tzinfo=UTC)
    assert span.start <= datetime(1, 1, 2, tzinfo=UTC)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "query",
    ["from=9999-12-31&to=9999-12-31", "from=9999-12-01&to=9999-12-30", "from=2026-01-01&to=9999-12-30", "from=0001-01-01&to=0001-01-02"],
)  # fmt: skip
async def test_admin_dates_in_year_9999_or_1_are_a_400_with_the_range(
    year: Database, dublin_client: httpx.AsyncClient, query: str
) -> None:
    await add_ana(year)
    paths = [*PAGES, *(f"/admin/export/{name}.csv" for name in EXPORTS)]
    for path in paths:
        response = await dublin_client.get(f"{path}?campaign=2026&{query}", auth=AUTH)
        assert response.status_code == 400, path
        assert "must be between 1970-01-01 and 2999-12-31" in response.text, path
        assert "content-disposition" not in response.headers, path
