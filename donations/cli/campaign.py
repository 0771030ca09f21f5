"""`donations campaign add|list`: funding targets."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from donations import money
from donations.campaigns import CampaignError, add_campaign, list_campaigns, validate_campaign
from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.models import Campaign

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    slug: str = typer.Option(..., help="Short name used in URLs and reports, e.g. 2026"),
    name: str = typer.Option(..., help="Name shown to readers and staff"),
    target: str = typer.Option(..., help="Target in major units, e.g. 500000.00"),
    currency: str = typer.Option(..., help="ISO 4217 code, e.g. eur"),
    starts: str = typer.Option(..., help="First day, YYYY-MM-DD (REPORT_TIMEZONE)"),
    ends: str = typer.Option(..., help="Last day, inclusive, YYYY-MM-DD"),
) -> None:
    """Add a campaign."""
    try:
        campaign = validate_campaign(
            slug=slug, name=name, target=target, currency=currency, starts=starts, ends=ends
        )
    except CampaignError as error:
        fail(str(error))

    async def work(db: Database) -> Campaign:
        async with db.session() as session:
            return await add_campaign(session=session, campaign=campaign)

    try:
        row = run_with_db(work)
    except CampaignError as error:
        fail(str(error))
    typer.echo(
        f"campaign {row.slug}: {money.format_amount(row.target, row.currency)} "
        f"from {row.starts_on} to {row.ends_on}"
    )


@app.command("list")
def list_() -> None:
    """List campaigns."""

    async def work(db: Database) -> list[Campaign]:
        async with db.session() as session:
            return await list_campaigns(session=session)

    table = Table("slug", "name", "target", "starts", "ends")
    for row in run_with_db(work):
        table.add_row(
            row.slug,
            row.name,
            money.format_amount(row.target, row.currency),
            str(row.starts_on),
            str(row.ends_on),
        )
    Console().print(table)
