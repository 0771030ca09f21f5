"""`donations report ...`: the finance figures (docs/accounting.md says what counts).

Every command takes --format table|json|csv and --output FILE, reads from
REPORTS_DATABASE_URL when set, and exits 2 with one line on bad input.
"""

from __future__ import annotations

import sys
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.campaigns import NO_CAMPAIGN, find_campaign
from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.models import Campaign, utcnow
from donations.reports import funnel, period, sources, uncounted
from donations.reports.export import (
    Format,
    csv_line,
    csv_lines,
    flatten,
    json_text,
    rows_table,
    shown,
)
from donations.reports.members import COLUMNS as MEMBER_COLUMNS
from donations.reports.members import MONEY_COLUMNS as MEMBER_MONEY
from donations.reports.members import members_report
from donations.reports.progress import MONEY_FIGURES, campaign_progress
from donations.reports.snapshots import take_snapshots
from donations.reports.windows import (
    ReportInputError,
    checked_grain,
    iso_utc,
    local_today,
    parse_range,
)
from donations.settings import get_settings

app = typer.Typer()

FORMAT = typer.Option(Format.table, "--format", help="table, json or csv")
OUTPUT = typer.Option(None, "--output", help="Write to this file instead of the terminal")
FROM = typer.Option(None, "--from", help="First day, YYYY-MM-DD (default: 30 days ago)")
TO = typer.Option(None, "--to", help="Last day, inclusive, YYYY-MM-DD (default: today)")

_UNKNOWN_CAMPAIGN = "no campaign with slug {slug!r} (see `donations campaign list`)"


def _timezone() -> str:
    # Checked when the settings were read: a zone that does not exist stopped the command.
    return get_settings().REPORT_TIMEZONE


def _today() -> date:
    return local_today(utcnow(), get_settings().report_zone)


def _range(start: str | None, end: str | None, timezone: str) -> tuple[date, date]:
    try:
        return parse_range(start, end, today=_today())
    except ReportInputError as error:
        fail(str(error))


@contextmanager
def _opened(output: Path | None) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        return
    try:
        handle = output.open("w", encoding="utf-8", newline="")
    except OSError as error:
        fail(f"--output {output}: {error.strerror}")
    with handle:
        yield handle


def _print_table(table: Table, out: IO[str]) -> None:
    Console(file=out, width=160).print(table)


def _run(work: Callable[[Database], Awaitable[None]]) -> None:
    run_with_db(work, reports=True)


async def _find(db: Database, slug: str | None, timezone: str) -> Campaign:
    async with db.session() as session:
        campaign = await find_campaign(session=session, slug=slug, today=_today())
    if campaign is None:
        fail(_UNKNOWN_CAMPAIGN.format(slug=slug) if slug else NO_CAMPAIGN)
    return campaign


async def _write_rows(
    rows: AsyncIterator[Any],
    columns: Sequence[str],
    money_columns: Collection[str],
    format_: Format,
    out: IO[str],
    title: str,
) -> None:
    dicts = (row.as_json() async for row in rows)
    if format_ is Format.csv:
        async for line in csv_lines(columns, dicts):
            out.write(line)
        return
    collected = [row async for row in dicts]
    if format_ is Format.json:
        out.write(json_text(collected))
    else:
        _print_table(rows_table(columns, collected, money_columns=money_columns, title=title), out)


def _report_rows(
    rows: Callable[[AsyncSession], AsyncIterator[Any]],
    columns: Sequence[str],
    money_columns: Collection[str],
    title: str,
    format_: Format,
    output: Path | None,
) -> None:
    """Run a report of many rows (period, sources, funnel) and write them as they come."""

    async def work(db: Database) -> None:
        async with db.session() as session:
            with _opened(output) as out:
                await _write_rows(rows(session), columns, money_columns, format_, out, title)

    _run(work)


@app.command("progress")
def progress_command(
    campaign: str | None = typer.Option(None, "--campaign", help="Slug (default: running today)"),
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Money raised against the campaign's target (the campaign view)."""
    timezone = _timezone()

    async def work(db: Database) -> None:
        found = await _find(db, campaign, timezone)
        async with db.session() as session:
            figures = (
                await campaign_progress(
                    session=session, campaign=found, timezone=timezone, now=utcnow()
                )
            ).as_json()
        with _opened(output) as out:
            _write_progress(figures, format_, out)

    _run(work)


def _write_progress(figures: Mapping[str, Any], format_: Format, out: IO[str]) -> None:
    if format_ is Format.json:
        out.write(json_text(figures))
        return
    pairs = list(flatten(figures))
    if format_ is Format.csv:
        out.write(csv_line(("figure", "value")))
        for key, value in pairs:
            out.write(csv_line((key, value)))
        return
    table = Table("figure", "value", title=f"Progress of {figures['name']}")
    for key, value in pairs:
        name = key.rsplit(".", 1)[-1]
        currency = key.split(".")[1] if key.startswith("other_currencies.") else figures["currency"]
        if key.endswith(".amount"):
            name = "amount"
        table.add_row(key, shown(name, value, currency, MONEY_FIGURES))
    _print_table(table, out)


@app.command("period")
def period_command(
    start: str | None = FROM,
    end: str | None = TO,
    by: str = typer.Option("month", "--by", help="day, week or month"),
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Cash view: payments, refunds and disputes in the period they happened, per currency."""
    timezone = _timezone()
    first, last = _range(start, end, timezone)
    try:
        # Checked before connecting: too many buckets is bad input, not a slow query.
        grain = checked_grain(by, first, last, get_settings().report_zone)
    except ReportInputError as error:
        fail(str(error))
    _report_rows(
        lambda session: period.stream_period(
            session=session, first_day=first, last_day=last, grain=grain, timezone=timezone
        ),
        period.COLUMNS,
        period.MONEY_COLUMNS,
        f"By {grain}, {first} to {last}",
        format_,
        output,
    )


@app.command("members")
def members_command(
    start: str | None = FROM,
    end: str | None = TO,
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Members now, joined and cancelled in the period, churn and MRR."""
    timezone = _timezone()
    first, last = _range(start, end, timezone)

    async def work(db: Database) -> None:
        async with db.session() as session:
            report = await members_report(
                session=session, first_day=first, last_day=last, timezone=timezone
            )
        with _opened(output) as out:
            if format_ is Format.json:
                out.write(json_text(report.as_json()))
            elif format_ is Format.csv:
                out.write(csv_line(MEMBER_COLUMNS))
                for row in report.rows:
                    out.write(csv_line(row.as_json()[name] for name in MEMBER_COLUMNS))
            else:
                summary = report.summary()
                mrr = ", ".join(
                    money.format_amount(amount, currency)
                    for currency, amount in summary["mrr"].items()
                )
                head = Table("figure", "value", title=f"Members, {first} to {last}")
                for key, value in summary.items():
                    head.add_row(key, (mrr or "—") if key == "mrr" else shown(key, value, None, ()))
                _print_table(head, out)
                rows = [row.as_json() for row in report.rows]
                table = rows_table(
                    MEMBER_COLUMNS, rows, money_columns=MEMBER_MONEY, title="By interval and band"
                )
                _print_table(table, out)

    _run(work)


@app.command("sources")
def sources_command(
    start: str | None = FROM,
    end: str | None = TO,
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Payments and gross by source (where the reader clicked)."""
    timezone = _timezone()
    first, last = _range(start, end, timezone)

    _report_rows(
        lambda session: sources.stream_sources(
            session=session, first_day=first, last_day=last, timezone=timezone
        ),
        sources.COLUMNS,
        sources.MONEY_COLUMNS,
        f"Sources, {first} to {last}",
        format_,
        output,
    )


@app.command("funnel")
def funnel_command(
    start: str | None = FROM,
    end: str | None = TO,
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Checkout sessions created, completed, expired and failed, by frequency."""
    timezone = _timezone()
    first, last = _range(start, end, timezone)

    def rows(session: AsyncSession) -> AsyncIterator[funnel.FunnelRow]:
        return funnel.stream_funnel(
            session=session, first_day=first, last_day=last, timezone=timezone
        )

    _report_rows(
        rows, funnel.COLUMNS, funnel.MONEY_COLUMNS, f"Funnel, {first} to {last}", format_, output
    )


@app.command("uncounted")
def uncounted_command(
    start: str | None = FROM,
    end: str | None = TO,
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Money Stripe reported that the ledger does not count, and why (standalone invoices,
    setup-mode sessions, connected accounts, invoices paid outside Stripe)."""
    timezone = _timezone()
    first, last = _range(start, end, timezone)

    def rows(session: AsyncSession) -> AsyncIterator[uncounted.UncountedRow]:
        return uncounted.stream_uncounted(
            session=session, first_day=first, last_day=last, timezone=timezone
        )

    _report_rows(
        rows,
        uncounted.COLUMNS,
        uncounted.MONEY_COLUMNS,
        f"Not counted, {first} to {last}",
        format_,
        output,
    )


@app.command("snapshot")
def snapshot_command() -> None:
    """Store every campaign's progress now (run from cron); the dashboard charts them."""
    timezone = _timezone()

    async def work(db: Database) -> None:
        async with db.session() as session:
            stored = await take_snapshots(session=session, timezone=timezone, now=utcnow())
        for snapshot in stored:
            typer.echo(
                f"snapshot {snapshot.campaign}: net "
                f"{money.format_amount(snapshot.net, snapshot.currency)}, "
                f"{snapshot.payments} payments, at {iso_utc(snapshot.taken_at)}"
            )

    # Snapshots are written, so this one uses the primary database, not the replica.
    run_with_db(work)
