"""Fiscal years: FISCAL_YEAR_START, --fiscal-year N (the year it ends in), and the fiscal year
so far as the period and members reports' default."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from donations.reports.fiscal import fiscal_year, fiscal_year_of, report_days
from donations.reports.windows import ReportInputError
from donations.settings import Settings
from tests.support.cli import in_process

JULY = (7, 1)


def test_a_fiscal_year_is_named_by_the_year_it_ends_in() -> None:
    assert fiscal_year(2026, JULY) == (date(2025, 7, 1), date(2026, 6, 30))
    assert fiscal_year(2026, (1, 1)) == (date(2026, 1, 1), date(2026, 12, 31))
    assert fiscal_year(2027, (4, 6)) == (date(2026, 4, 6), date(2027, 4, 5))  # the UK's
    assert fiscal_year_of(date(2026, 6, 30), JULY) == 2026
    assert fiscal_year_of(date(2026, 7, 1), JULY) == 2027
    assert fiscal_year_of(date(2026, 12, 31), (1, 1)) == 2026


def test_the_fiscal_year_so_far_is_the_default_where_a_report_asks_for_it() -> None:
    today = date(2026, 12, 2)
    assert report_days(None, None, None, today=today, fiscal_start=JULY, fiscal_default=True) == (
        date(2026, 7, 1), today,
    )  # fmt: skip
    assert report_days(
        None, "2026-05-10", None, today=today, fiscal_start=JULY, fiscal_default=True
    ) == (date(2025, 7, 1), date(2026, 5, 10))
    # Elsewhere the last 30 days, as before.
    assert report_days(None, None, None, today=today, fiscal_start=JULY) == (
        date(2026, 11, 3), today,
    )  # fmt: skip
    assert report_days(None, None, 2026, today=today, fiscal_start=JULY) == fiscal_year(2026, JULY)


def test_a_fiscal_year_and_dates_together_are_refused() -> None:
    with pytest.raises(ReportInputError) as raised:
        report_days("2026-01-01", None, 2026, today=date(2026, 12, 2), fiscal_start=JULY)
    assert str(raised.value) == "give --fiscal-year or --from/--to, not both"


@pytest.mark.parametrize("text", ["7-01", "13-01", "02-29", "07/01", "0701", "ab-cd"])
def test_a_fiscal_year_start_that_not_every_year_has_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(FISCAL_YEAR_START=text)
    assert f"{text!r} is not a month and day like 07-01 that every year has" in str(raised.value)
    assert Settings(FISCAL_YEAR_START="07-01").fiscal_year_start == JULY


@pytest.mark.asyncio
async def test_the_reports_take_a_fiscal_year_where_they_take_dates(database_url: str) -> None:
    env = {"DATABASE_URL": database_url, "FISCAL_YEAR_START": "07-01"}
    members = await in_process("report", "members", "--fiscal-year", "2026", "--format", "json",
                               env=env)  # fmt: skip
    assert members.exit_code == 0, members.output
    summary = json.loads(members.stdout)
    assert (summary["from"], summary["to"]) == ("2025-07-01", "2026-06-30")
    for report in ("period", "sources", "funnel", "uncounted", "payouts"):
        result = await in_process("report", report, "--fiscal-year", "2026", "--format", "json",
                                  env=env)  # fmt: skip
        assert result.exit_code == 0, (report, result.output)
    both = await in_process("report", "period", "--fiscal-year", "2026", "--to", "2026-01-31",
                            env=env)  # fmt: skip
    assert (both.exit_code, both.stderr) == (
        2, "error: give --fiscal-year or --from/--to, not both\n",
    )  # fmt: skip
    journal = await in_process("export", "journal", "--fiscal-year", "2026", env=env)
    assert journal.exit_code == 0, journal.output
    assert journal.stdout == "journal,date,currency,account,description,debit,credit\n"
    assert journal.stderr == "0 journals, 2025-07-01 to 2026-06-30: debits none, credits none\n"


@pytest.mark.asyncio
async def test_the_members_report_covers_the_fiscal_year_so_far_by_default(
    database_url: str,
) -> None:
    today = datetime.now(UTC).date()
    began = date(today.year if (today.month, today.day) >= JULY else today.year - 1, *JULY)
    env = {"DATABASE_URL": database_url, "FISCAL_YEAR_START": "07-01"}
    members = await in_process("report", "members", "--format", "json", env=env)
    summary = json.loads(members.stdout)
    assert (summary["from"], summary["to"]) == (str(began), str(today))
