"""`donations export journal|gifts|newsletter`: files for the accountant, the fundraisers and
the newsroom's email platform.

    donations export journal --from D --to D --format xero|quickbooks|csv [--currency C]
                             [--fiscal-year N] [--output FILE]
    donations export gifts --from D --to D [--fiscal-year N] [--output FILE]
        every payment with the giver's choices and attribution (CSV; anonymous givers marked,
        their name and email left out; amounts in major units beside the currency code)
    donations export newsletter [--since D] [--output FILE]
        the supporters who asked for the newsletter: email, name, first opt-in, latest gift

The file goes to stdout or --output; what was left out (a payout on its way, one not explained,
one in another currency) and the totals go to stderr. Exit 2 with one line, and nothing
written, on bad input or a file the format cannot hold.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Collection
from pathlib import Path
from typing import Any

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.models import utcnow
from donations.payouts.explained import payout_rows
from donations.payouts.journal import Accounts, Journals, journals
from donations.payouts.journal_files import JournalFileError, JournalFormat, file_lines
from donations.reports.export import csv_lines
from donations.reports.fiscal import report_days
from donations.reports.gifts import (
    GIFT_COLUMNS,
    GIFT_MONEY_COLUMNS,
    NEWSLETTER_COLUMNS,
    stream_gifts,
    stream_newsletter,
)
from donations.reports.windows import ReportInputError, local_today, parse_day
from donations.settings import get_settings

app = typer.Typer(no_args_is_help=True)

LEFT_OUT = "left out {payout}: {reason}\n"
WRITTEN = "{count} journals, {first} to {last}: debits {debits}, credits {credits}\n"


@app.command("journal")
def journal(
    start: str | None = typer.Option(
        None, "--from", help="First arrival day, YYYY-MM-DD (default: 30 days ago)"
    ),
    end: str | None = typer.Option(
        None, "--to", help="Last arrival day, inclusive, YYYY-MM-DD (default: today)"
    ),
    fiscal_year: int | None = typer.Option(
        None,
        "--fiscal-year",
        min=1971,
        max=2999,
        help="The fiscal year that ends in this year (FISCAL_YEAR_START), for --from/--to",
    ),
    format_: JournalFormat = typer.Option(
        JournalFormat.csv, "--format", help="xero, quickbooks or csv"
    ),
    currency: str | None = typer.Option(
        None,
        "--currency",
        help="Only payouts in this currency (xero and quickbooks: default DEFAULT_CURRENCY)",
    ),
    output: Path | None = typer.Option(None, "--output", help="Write to this file"),
) -> None:
    """One balanced journal per payout arriving in the days: bank, Stripe clearing, donations
    one-off and recurring, refunds, disputes, fees (the ACCOUNT_* settings)."""
    settings = get_settings()
    try:
        first, last = report_days(
            start,
            end,
            fiscal_year,
            today=local_today(utcnow(), settings.report_zone),
            fiscal_start=settings.fiscal_year_start,
        )
        chosen = _currency(currency, format_, settings.DEFAULT_CURRENCY)
    except (ReportInputError, money.MoneyError) as error:
        fail(str(error))

    async def work(db: Database) -> Journals:
        async with db.session() as session:
            rows = await payout_rows(session=session, first_day=first, last_day=last)
        return journals(rows, Accounts.of(settings), currency=chosen)

    made = run_with_db(work, reports=True)
    try:
        text = file_lines(
            format_,
            made.journals,
            tax_rate=settings.JOURNAL_TAX_RATE,
            date_format=settings.QUICKBOOKS_DATE_FORMAT,
        )
    except JournalFileError as error:
        fail(str(error))
    _write(text, output)
    for left in made.left_out:
        sys.stderr.write(LEFT_OUT.format(payout=left.payout, reason=left.reason))
    sys.stderr.write(
        WRITTEN.format(
            count=len(made.journals),
            first=first,
            last=last,
            debits=_per_currency(made, debits=True),
            credits=_per_currency(made, debits=False),
        )
    )


def _currency(given: str | None, format_: JournalFormat, default: str) -> str | None:
    """Xero's manual journals are in the organisation's base currency, and QuickBooks' import
    names none: one currency a file. Our CSV carries every currency unless asked."""
    if given is not None:
        return money.normalize_currency(given)
    return None if format_ is JournalFormat.csv else default


def _per_currency(made: Journals, *, debits: bool) -> str:
    totals: dict[str, int] = {}
    for journal in made.journals:
        amount = journal.debits if debits else journal.credits
        totals[journal.currency] = totals.get(journal.currency, 0) + amount
    shown = [money.format_amount(amount, currency) for currency, amount in sorted(totals.items())]
    return ", ".join(shown) or "none"


def _write(text: list[str], output: Path | None) -> None:
    if output is None:
        sys.stdout.writelines(text)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(text)
    except OSError as error:
        fail(f"--output {output}: {error.strerror}")


@app.command("gifts")
def gifts(
    start: str | None = typer.Option(
        None, "--from", help="First day, YYYY-MM-DD (default: 30 days ago)"
    ),
    end: str | None = typer.Option(None, "--to", help="Last day, inclusive (default: today)"),
    fiscal_year: int | None = typer.Option(
        None, "--fiscal-year", min=1971, max=2999, help="The fiscal year that ends in this year"
    ),
    output: Path | None = typer.Option(None, "--output", help="Write to this file"),
) -> None:
    """Every payment in the days with what its giver chose (CSV)."""
    settings = get_settings()
    try:
        first, last = report_days(
            start,
            end,
            fiscal_year,
            today=local_today(utcnow(), settings.report_zone),
            fiscal_start=settings.fiscal_year_start,
        )
    except ReportInputError as error:
        fail(str(error))
    _write_csv(
        GIFT_COLUMNS,
        lambda session: stream_gifts(
            session=session, first_day=first, last_day=last, timezone=settings.REPORT_TIMEZONE
        ),
        output,
        money_columns=GIFT_MONEY_COLUMNS,
    )


@app.command("newsletter")
def newsletter(
    since: str | None = typer.Option(
        None, "--since", help="Only opt-ins on payments from this day, YYYY-MM-DD"
    ),
    output: Path | None = typer.Option(None, "--output", help="Write to this file"),
) -> None:
    """Supporters who asked for the newsletter, as CSV for an email platform's import."""
    settings = get_settings()
    try:
        first = None if since is None else parse_day(since, option="--since")
    except ReportInputError as error:
        fail(str(error))
    _write_csv(
        NEWSLETTER_COLUMNS,
        lambda session: stream_newsletter(
            session=session, since=first, timezone=settings.REPORT_TIMEZONE
        ),
        output,
    )


def _write_csv(
    columns: tuple[str, ...],
    rows: Callable[[AsyncSession], AsyncIterator[dict[str, Any]]],
    output: Path | None,
    *,
    money_columns: Collection[str] = (),
) -> None:
    try:
        out = sys.stdout if output is None else output.open("w", encoding="utf-8", newline="")
    except OSError as error:
        fail(f"--output {output}: {error.strerror}")

    async def work(db: Database) -> None:
        async with db.session() as session:
            async for line in csv_lines(columns, rows(session), money_columns=money_columns):
                out.write(line)

    try:
        run_with_db(work, reports=True)
    finally:
        if out is not sys.stdout:
            out.close()
