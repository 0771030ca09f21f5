"""`donations report ...`: the finance figures (docs/accounting.md says what counts).

Every command takes --format table|json|csv and --output FILE, reads from
REPORTS_DATABASE_URL when set, and exits 2 with one line on bad input.

Each command imports its report's module when it runs, not here: a report module brings the
tables it reads (donations/models/__init__.py), and importing every report here would map
every table for any one command (bench/PROFILE.md, "Sixth pass").
"""

from __future__ import annotations

import sys
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.models import utcnow
from donations.reports.export import (
    Format,
    csv_line,
    csv_lines,
    csv_row,
    flatten,
    json_text,
    shown,
)
from donations.reports.fiscal import report_days
from donations.reports.windows import (
    ReportInputError,
    checked_grain,
    iso_utc,
    local_midnight,
    local_today,
    parse_day,
)
from donations.settings import get_settings

if TYPE_CHECKING:
    from donations.models import Campaign
    from donations.payouts import explained, mismatches
    from donations.reports import funnel, uncounted

app = typer.Typer()

FORMAT = typer.Option(Format.table, "--format", help="table, json or csv")
OUTPUT = typer.Option(None, "--output", help="Write to this file instead of the terminal")
FROM = typer.Option(None, "--from", help="First day, YYYY-MM-DD (default: 30 days ago)")
FROM_FISCAL = typer.Option(
    None, "--from", help="First day, YYYY-MM-DD (default: the fiscal year's first day)"
)
TO = typer.Option(None, "--to", help="Last day, inclusive, YYYY-MM-DD (default: today)")
FISCAL_YEAR = typer.Option(
    None,
    "--fiscal-year",
    min=1971,
    max=2999,
    help="The fiscal year that ends in this year (FISCAL_YEAR_START), for --from/--to",
)

_UNKNOWN_CAMPAIGN = "no campaign with slug {slug!r} (see `donations campaign list`)"


def _timezone() -> str:
    # Checked when the settings were read: a zone that does not exist stopped the command.
    return get_settings().REPORT_TIMEZONE


def _today() -> date:
    return local_today(utcnow(), get_settings().report_zone)


def _range(
    start: str | None, end: str | None, fiscal_year: int | None, *, fiscal_default: bool = False
) -> tuple[date, date]:
    try:
        return report_days(
            start,
            end,
            fiscal_year,
            today=_today(),
            fiscal_start=get_settings().fiscal_year_start,
            fiscal_default=fiscal_default,
        )
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


def _print_rows(
    out: IO[str],
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    money_columns: Collection[str],
    title: str,
) -> None:
    from donations.cli import tables  # rich: only when a table is printed (tables.py says why)

    tables.print_rows(out, columns, rows, money_columns=money_columns, title=title)


def _print_figures(out: IO[str], pairs: Iterable[tuple[str, str]], *, title: str) -> None:
    from donations.cli import tables

    tables.print_figures(out, pairs, title=title)


def _run(work: Callable[[Database], Awaitable[None]]) -> None:
    run_with_db(work, reports=True)


async def _find(db: Database, slug: str | None, timezone: str) -> Campaign:
    from donations.campaigns import NO_CAMPAIGN, find_campaign

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
        async for line in csv_lines(columns, dicts, money_columns=money_columns):
            out.write(line)
        return
    collected = [row async for row in dicts]
    if format_ is Format.json:
        out.write(json_text(collected))
    else:
        _print_rows(out, columns, collected, money_columns=money_columns, title=title)


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
    from donations.reports.progress import campaign_progress

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


# What the members figures count, said beside them: the campaign's currency only.
_SCOPED_FIGURES = {
    "members_currency": "members counted in",
    "active_members": "active members ({code})",
    "ending_members": "ending at period end ({code})",
    "paused_members": "paused members ({code})",
    "past_due_members": "past-due members ({code})",
    "mrr": "MRR ({code})",
}


def _write_progress(figures: Mapping[str, Any], format_: Format, out: IO[str]) -> None:
    from donations.reports.progress import (
        FIGURE_COLUMNS,
        MONEY_FIGURES,
        figure_currency,
        figure_rows,
    )

    if format_ is Format.json:
        out.write(json_text(figures))
        return
    if format_ is Format.csv:
        out.write(csv_line(FIGURE_COLUMNS))
        for row in figure_rows(figures):
            out.write(csv_line(row[name] for name in FIGURE_COLUMNS))
        return
    pairs = list(flatten(figures))
    code = str(figures["currency"]).upper()
    shown_pairs = [
        (
            _SCOPED_FIGURES.get(key, key).format(code=code),
            shown(key.rsplit(".", 1)[-1], value, figure_currency(key, figures), MONEY_FIGURES),
        )
        for key, value in pairs
    ]
    _print_figures(out, shown_pairs, title=f"Progress of {figures['name']}")


@app.command("period")
def period_command(
    start: str | None = FROM_FISCAL,
    end: str | None = TO,
    fiscal_year: int | None = FISCAL_YEAR,
    by: str = typer.Option("month", "--by", help="day, week or month"),
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Cash view: payments, refunds and disputes in the period they happened, per currency."""
    from donations.reports import period

    timezone = _timezone()
    first, last = _range(start, end, fiscal_year, fiscal_default=True)
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
    start: str | None = FROM_FISCAL,
    end: str | None = TO,
    fiscal_year: int | None = FISCAL_YEAR,
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Members now, joined and cancelled in the period, churn and MRR."""
    from donations.reports.members import COLUMNS as MEMBER_COLUMNS
    from donations.reports.members import MONEY_COLUMNS as MEMBER_MONEY
    from donations.reports.members import members_report

    timezone = _timezone()
    first, last = _range(start, end, fiscal_year, fiscal_default=True)

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
                    out.write(csv_line(csv_row(MEMBER_COLUMNS, row.as_json(), MEMBER_MONEY)))
            else:
                summary = report.summary()
                mrr = ", ".join(
                    money.format_amount(amount, currency)
                    for currency, amount in summary["mrr"].items()
                )
                head = [
                    (key, (mrr or "—") if key == "mrr" else shown(key, value, None, ()))
                    for key, value in summary.items()
                ]
                _print_figures(out, head, title=f"Members, {first} to {last}")
                rows = [row.as_json() for row in report.rows]
                _print_rows(
                    out,
                    MEMBER_COLUMNS,
                    rows,
                    money_columns=MEMBER_MONEY,
                    title="By interval and band",
                )

    _run(work)


@app.command("sources")
def sources_command(
    start: str | None = FROM,
    end: str | None = TO,
    fiscal_year: int | None = FISCAL_YEAR,
    by: str = typer.Option(
        "source",
        "--by",
        help="source (the placement), utm_source, utm_medium, utm_campaign, utm_content, "
        "utm_term or referrer",
    ),
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Payments and gross by source (where the reader clicked), or by the attribution the
    page carried to Checkout."""
    from donations.reports import sources

    if by not in sources.BY:
        fail(f"--by must be one of {', '.join(sources.BY)}, not {by!r}")
    timezone = _timezone()
    first, last = _range(start, end, fiscal_year)

    _report_rows(
        lambda session: sources.stream_sources(
            session=session, first_day=first, last_day=last, timezone=timezone, by=by
        ),
        sources.columns(by),
        sources.MONEY_COLUMNS,
        f"Sources by {by}, {first} to {last}",
        format_,
        output,
    )


@app.command("choices")
def choices_command(
    start: str | None = FROM,
    end: str | None = TO,
    fiscal_year: int | None = FISCAL_YEAR,
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """What givers chose: fees covered, anonymous, dedicated, with a reason, newsletter."""
    from donations.reports import choices

    timezone = _timezone()
    first, last = _range(start, end, fiscal_year)
    _report_rows(
        lambda session: choices.stream_choices(
            session=session, first_day=first, last_day=last, timezone=timezone
        ),
        choices.COLUMNS,
        choices.MONEY_COLUMNS,
        f"Givers' choices, {first} to {last}",
        format_,
        output,
    )


@app.command("funnel")
def funnel_command(
    start: str | None = FROM,
    end: str | None = TO,
    fiscal_year: int | None = FISCAL_YEAR,
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Checkout sessions created, completed, expired and failed, by frequency."""
    from donations.reports import funnel

    timezone = _timezone()
    first, last = _range(start, end, fiscal_year)

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
    fiscal_year: int | None = FISCAL_YEAR,
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Money Stripe reported that the ledger does not count, and why (standalone invoices,
    setup-mode sessions, connected accounts, invoices paid outside Stripe)."""
    from donations.reports import uncounted

    timezone = _timezone()
    first, last = _range(start, end, fiscal_year)

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


@app.command("payouts")
def payouts_command(
    start: str | None = FROM,
    end: str | None = TO,
    fiscal_year: int | None = FISCAL_YEAR,
    payout: str | None = typer.Option(None, "--payout", help="One payout, line by line"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Find what was not paid out by the end of this day (default: now)"
    ),
    format_: Format = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Each payout arriving in the days (or one, --payout) explained to the cent by its gifts,
    refunds, disputes, fees and other movements; and every mismatch with the ledger."""
    from donations.payouts import explained, mismatches

    settings = get_settings()
    first, last = _range(start, end, fiscal_year)
    now = utcnow()
    if as_of is not None:
        try:
            day = parse_day(as_of, option="--as-of")
        except ReportInputError as error:
            fail(str(error))
        now = local_midnight(day + timedelta(days=1), settings.report_zone)

    async def work(db: Database) -> None:
        async with db.session() as session:
            if payout is not None:
                found = await explained.payout_items(session=session, payout=payout)
                if not found:
                    fail(_NO_PAYOUT.format(payout=payout))
                with _opened(output) as out:
                    _write_items(payout, found, format_, out)
                return
            report = await explained.payout_rows(session=session, first_day=first, last_day=last)
            listed = await mismatches.mismatches(
                session=session,
                rows=report,
                first_day=first,
                last_day=last,
                timezone=settings.REPORT_TIMEZONE,
                now=now,
                within_days=settings.PAYOUT_WITHIN_DAYS,
            )
        with _opened(output) as out:
            _write_payouts(first, last, report, listed, format_, out)

    _run(work)


_NO_PAYOUT = "no balance transactions stored for payout {payout!r} (`donations reconcile payouts`)"
# What a person reads in the table; CSV and JSON carry every column.
_PAYOUT_TABLE = (
    "payout", "status", "arrival_date", "amount", "gifts", "refunds", "disputes", "fees",
    "other", "difference", "note",
)  # fmt: skip


def _write_payouts(
    first: date,
    last: date,
    rows: list[explained.PayoutRow],
    found: list[mismatches.Mismatch],
    format_: Format,
    out: IO[str],
) -> None:
    from donations.payouts import explained, mismatches

    payouts = [row.as_json() for row in rows]
    listed = [mismatch.as_json() for mismatch in found]
    if format_ is Format.json:
        out.write(
            json_text(
                {"from": str(first), "to": str(last), "payouts": payouts, "mismatches": listed}
            )
        )
        return
    if format_ is Format.csv:
        out.write(csv_line(explained.COLUMNS))
        for row in payouts:
            out.write(csv_line(csv_row(explained.COLUMNS, row, explained.MONEY_COLUMNS)))
        # A CSV holds one table: the mismatches go to stderr, never dropped.
        for mismatch in found:
            sys.stderr.write(f"mismatch: {mismatch.kind} {mismatch.stripe_id}: {mismatch.note}\n")
        return
    title = f"Payouts arriving {first} to {last}"
    _print_rows(out, _PAYOUT_TABLE, payouts, money_columns=explained.MONEY_COLUMNS, title=title)
    if not found:
        out.write("No mismatches.\n")
        return
    heading = f"{len(found)} mismatches"
    _print_rows(
        out, mismatches.COLUMNS, listed, money_columns=mismatches.MONEY_COLUMNS, title=heading
    )


def _write_items(payout: str, items: list[explained.Item], format_: Format, out: IO[str]) -> None:
    from donations.payouts import explained

    rows = [item.as_json() for item in items]
    if format_ is Format.json:
        out.write(json_text(rows))
    elif format_ is Format.csv:
        out.write(csv_line(explained.ITEM_COLUMNS))
        for row in rows:
            row_cells = csv_row(explained.ITEM_COLUMNS, row, explained.ITEM_MONEY_COLUMNS)
            out.write(csv_line(row_cells))
    else:
        _print_rows(
            out,
            explained.ITEM_COLUMNS,
            rows,
            money_columns=explained.ITEM_MONEY_COLUMNS,
            title=f"Payout {payout}, line by line",
        )


@app.command("snapshot")
def snapshot_command() -> None:
    """Store every campaign's progress now (run from cron); the dashboard charts them."""
    from donations.reports.snapshots import take_snapshots

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
