"""Every `donations report …` table fits the terminal it is printed in, 80 columns included,
with every header whole: a table too wide for the terminal is printed one record at a time."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from donations.cli import report as report_cli
from donations.db import Database
from donations.reports import funnel, period, sources, uncounted
from donations.reports.export import Format
from donations.reports.members import COLUMNS as MEMBER_COLUMNS
from donations.reports.progress import figure_rows
from tests.reports.ledger_fixtures import TIMEZONE
from tests.support.cli import in_process

YEAR = ("--from", "2026-01-01", "--to", "2026-12-31")
# Each report, and the column names its table shows.
REPORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "progress": (("--campaign", "2026"), ("figure", "value")),
    "period": ((*YEAR, "--by", "month"), period.COLUMNS),
    "members": (YEAR, MEMBER_COLUMNS),
    "sources": (YEAR, sources.COLUMNS),
    "funnel": (YEAR, funnel.COLUMNS),
    "uncounted": (YEAR, uncounted.COLUMNS),
    "payouts": (YEAR, ("payout", "status", "arrival_date", "amount", "gifts", "difference")),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("width", [80, 200])
async def test_every_report_table_fits_the_terminal_with_whole_headers(
    year: Database, database_url: str, width: int
) -> None:
    for report, (options, headers) in REPORTS.items():
        result = await in_process(
            "report", report, *options,
            env={"DATABASE_URL": database_url, "REPORT_TIMEZONE": TIMEZONE,
                 "COLUMNS": str(width)},
        )  # fmt: skip
        assert result.exit_code == 0, (report, result.output)
        lines = result.stdout.splitlines()
        too_wide = [line for line in lines if len(line) > width]
        assert too_wide == [], (report, width)
        assert "…" not in result.stdout, (report, width, result.stdout)
        shown = result.stdout
        missing = [name for name in headers if name not in shown]
        # A table with no rows too wide for the terminal says so instead of its columns.
        if width == 80 and report == "payouts":
            assert "Payouts arriving 2026-01-01 to 2026-12-31: no rows." in shown
            continue
        assert missing == [], (report, width, shown)


@pytest.mark.asyncio
async def test_a_wide_table_uses_the_width_it_is_given(year: Database, database_url: str) -> None:
    """At 200 columns the period table is a table (a header line with every column); at 80,
    one record a block, every value beside its name."""
    wide = await in_process(
        "report", "period", *YEAR, "--by", "month",
        env={"DATABASE_URL": database_url, "REPORT_TIMEZONE": TIMEZONE, "COLUMNS": "200"},
    )  # fmt: skip
    header = next(line for line in wide.stdout.splitlines() if "recurring_amount" in line)
    assert all(name in header for name in period.COLUMNS)
    narrow = await in_process(
        "report", "period", *YEAR, "--by", "month",
        env={"DATABASE_URL": database_url, "REPORT_TIMEZONE": TIMEZONE, "COLUMNS": "80"},
    )  # fmt: skip
    march = narrow.stdout.split("2026-03", 1)[1]
    assert "│ net " in march and "€75.00" in march


def test_the_progress_table_shows_each_figure_in_its_own_currency() -> None:
    """Fees in the currency Stripe charged them in (its settlement currency), as the CSV
    says; other currencies in theirs; counts as they are."""
    figures = {
        "name": "Appeal", "currency": "gbp", "gross": 150000, "fees": 4512,
        "fees_currency": "eur", "payments": 12, "other_currencies": {"usd": {"net": 2500}},
    }  # fmt: skip
    out = io.StringIO()
    report_cli._write_progress(figures, Format.table, out)
    cells = {
        parts[1].strip(): parts[2].strip()
        for parts in (line.split("│") for line in out.getvalue().splitlines())
        if len(parts) == 4
    }
    assert cells["gross"] == "£1,500.00"
    assert cells["fees"] == "€45.12"
    assert cells["other_currencies.usd.net"] == "$25.00"
    assert cells["payments"] == "12"
    rows = {row["figure"]: row for row in figure_rows(figures)}
    assert (rows["fees"]["value"], rows["fees"]["currency"]) == (Decimal("45.12"), "eur")
