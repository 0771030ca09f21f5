"""Fiscal years: FISCAL_YEAR_START (MM-DD) and `--fiscal-year N`.

A fiscal year is named by the calendar year it ends in, as most books and tax offices name
them: with FISCAL_YEAR_START 07-01, fiscal year 2026 runs from 2025-07-01 to 2026-06-30; with
01-01 (the default) it is the calendar year 2026.

    fiscal_year(year, start) -> (first_day, last_day)
    fiscal_year_of(day, start) -> year            the fiscal year a day falls in
    report_days(start, end, fiscal_year, today=, fiscal_start=, fiscal_default=)
        -> (first_day, last_day)                  --from/--to, or --fiscal-year, or the default
"""

from __future__ import annotations

from datetime import date, timedelta

from donations.reports.windows import ReportInputError, parse_day, parse_range

# (month, day), as Settings.fiscal_year_start gives it.
MonthDay = tuple[int, int]
CALENDAR = (1, 1)

BOTH = "give --fiscal-year or --from/--to, not both"


def fiscal_year(year: int, start: MonthDay) -> tuple[date, date]:
    """The first and last day of the fiscal year that ends in `year`."""
    month, day = start
    first = date(year if start == CALENDAR else year - 1, month, day)
    following = date(first.year + 1, month, day)
    return first, following - timedelta(days=1)


def fiscal_year_of(day: date, start: MonthDay) -> int:
    if start == CALENDAR:
        return day.year
    return day.year + 1 if (day.month, day.day) >= start else day.year


def report_days(
    start: str | None,
    end: str | None,
    fiscal: int | None,
    *,
    today: date,
    fiscal_start: MonthDay,
    fiscal_default: bool = False,
) -> tuple[date, date]:
    """The inclusive days a report covers: --fiscal-year, or --from/--to. Without --from, the
    fiscal year so far (up to --to) when `fiscal_default`, else the last 30 days."""
    if fiscal is not None:
        if start or end:
            raise ReportInputError(BOTH)
        return fiscal_year(fiscal, fiscal_start)
    if start is None and fiscal_default:
        last = parse_day(end, option="--to") if end else today
        first, _ = fiscal_year(fiscal_year_of(last, fiscal_start), fiscal_start)
        return first, last
    return parse_range(start, end, today=today)
