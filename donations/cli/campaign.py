"""`donations campaign add|list|offer|offers`: funding targets, and what the contribute page
offers for each (suggested amounts, default frequency, minimum), per placement."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from donations import money
from donations.campaigns import (
    CampaignError,
    add_campaign,
    find_campaign,
    list_campaigns,
    validate_campaign,
)
from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.models import Campaign, CampaignOffer, utcnow
from donations.offers import list_offers, save_offer, validate_offer

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


UNKNOWN = "no campaign with slug {slug!r} (see `donations campaign list`)"
NOTHING_TO_SET = "give at least one of --amounts, --default-frequency, --minimum"


@app.command("offer")
def offer(
    campaign: str = typer.Option(..., "--campaign", help="The campaign's slug"),
    placement: str = typer.Option(
        "",
        "--placement",
        help="Only links with this source (e.g. article-footer); default: the whole campaign",
    ),
    amounts: str | None = typer.Option(
        None,
        "--amounts",
        help="Suggested amounts in major units, * preselects: 'one_off:5,*10,25;monthly:5,*10,20'",
    ),
    default_frequency: str | None = typer.Option(
        None, "--default-frequency", help="one_off, monthly or annual: preselected on the page"
    ),
    minimum: str | None = typer.Option(
        None, "--minimum", help="The smallest gift, in major units of the campaign's currency"
    ),
) -> None:
    """Set what the contribute page offers for a campaign, or for one placement of it."""
    if amounts is None and default_frequency is None and minimum is None:
        fail(NOTHING_TO_SET)

    async def work(db: Database) -> tuple[Campaign, CampaignOffer]:
        async with db.session() as session:
            found = await find_campaign(session=session, slug=campaign, today=utcnow().date())
            if found is None:
                raise CampaignError(UNKNOWN.format(slug=campaign))
            checked = validate_offer(
                campaign=found,
                placement=placement,
                amounts=amounts,
                default_frequency=default_frequency,
                minimum=minimum,
            )
            return found, await save_offer(session, campaign=found, offer=checked)

    try:
        found, row = run_with_db(work)
    except CampaignError as error:
        fail(str(error))
    typer.echo(_offer_line(found, row))


@app.command("offers")
def offers(campaign: str = typer.Option(..., "--campaign", help="The campaign's slug")) -> None:
    """List what the contribute page offers for a campaign, per placement."""

    async def work(db: Database) -> tuple[Campaign, list[CampaignOffer]]:
        async with db.session() as session:
            found = await find_campaign(session=session, slug=campaign, today=utcnow().date())
            if found is None:
                raise CampaignError(UNKNOWN.format(slug=campaign))
            return found, await list_offers(session, campaign=found)

    try:
        found, rows = run_with_db(work)
    except CampaignError as error:
        fail(str(error))
    table = Table("placement", "amounts", "default frequency", "minimum")
    for row in rows:
        table.add_row(*_offer_cells(found, row))
    Console().print(table)


def _offer_cells(campaign: Campaign, row: CampaignOffer) -> tuple[str, str, str, str]:
    minimum = "—" if row.minimum is None else money.format_amount(row.minimum, campaign.currency)
    return (
        row.placement or "(whole campaign)",
        row.suggested_amounts or "—",
        row.default_frequency or "—",
        minimum,
    )


def _offer_line(campaign: Campaign, row: CampaignOffer) -> str:
    placement, amounts, frequency, minimum = _offer_cells(campaign, row)
    return (
        f"campaign {campaign.slug}, {placement}: amounts {amounts}; "
        f"default frequency {frequency}; minimum {minimum}"
    )
