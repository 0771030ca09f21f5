"""`donations reconcile payouts [--since D]`: what each payout paid out, from Stripe.

Run from cron after the payouts arrive (docs/operations.md, "Cron jobs"). Exit 0 when every
payout asked for was fetched, whether or not it adds up yet (one still being reconciled by
Stripe is fetched again next time); 1 when Stripe refused some (each logged); 2 on bad input or
when Stripe cannot be reached.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

import stripe
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.models import utcnow
from donations.payouts.transactions import (
    Due,
    UnreadableTransaction,
    list_transactions,
    payouts_to_fetch,
    store_transactions,
    transaction_row,
)
from donations.reports.windows import ReportInputError, local_midnight, parse_day
from donations.settings import get_settings
from donations.stripe_api import api_base, open_stripe_client

logger = logging.getLogger(__name__)

SOME_FAILED = 1
UNREACHABLE = (
    "cannot reach Stripe at {base}; {stored} payouts were stored before it stopped answering"
)
SUMMARY = (
    "{total} payouts to fetch: {explained} explained ({transactions} balance transactions), "
    "{short} not adding up yet, {manual} manual, {failed} failed"
)


def payouts(
    since: str | None = typer.Option(
        None,
        "--since",
        help="Fetch again every payout created since this day, YYYY-MM-DD "
        "(default: those not explained yet)",
    ),
) -> None:
    """Fetch each payout's balance transactions from Stripe and store them."""
    settings = get_settings()
    start = None
    if since is not None:
        try:
            start = local_midnight(parse_day(since, option="--since"), settings.report_zone)
        except ReportInputError as error:
            fail(str(error))
    counts: Counter[str] = Counter()

    async def work(db: Database) -> None:
        async with open_stripe_client(settings) as client:
            await fetch_payouts(db, client, start, counts)

    try:
        run_with_db(work)
    except stripe.APIConnectionError:
        base = api_base(settings) or "api.stripe.com"
        fail(UNREACHABLE.format(base=base, stored=counts["explained"] + counts["short"]))
    typer.echo(SUMMARY.format(total=counts["payouts"], **{k: counts[k] for k in _COUNTED}))
    if counts["failed"]:
        raise SystemExit(SOME_FAILED)


_COUNTED = ("explained", "transactions", "short", "manual", "failed")


async def fetch_payouts(
    db: Database, client: stripe.StripeClient, since: datetime | None, counts: Counter[str]
) -> None:
    """Fetch and store the payouts due (`payouts_to_fetch`), counting each outcome."""
    async with db.session() as session:
        due = await payouts_to_fetch(session, since=since)
    counts["payouts"] = len(due)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    # On stderr: stdout keeps only the summary line, for scripts and cron mail.
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("fetching payouts", total=len(due))
        for payout in due:
            counts[await _fetch_one(db, client, payout, counts)] += 1
            progress.advance(task)


async def _fetch_one(
    db: Database, client: stripe.StripeClient, payout: Due, counts: Counter[str]
) -> str:
    if not payout.automatic:
        return "manual"  # Stripe cannot say what a manual payout holds
    try:
        listed = await list_transactions(client, payout.stripe_payout_id)
        rows = [transaction_row(txn, payout.stripe_payout_id) for txn in listed]
    except stripe.APIConnectionError:
        raise
    except stripe.StripeError as error:
        logger.warning("payout %s not fetched: %s", payout.stripe_payout_id, error.user_message)
        return "failed"
    except UnreadableTransaction as error:
        logger.warning("payout %s not stored: %s", payout.stripe_payout_id, error)
        return "failed"
    async with db.session() as session, session.begin():
        explained = await store_transactions(session, payout.stripe_payout_id, rows, now=utcnow())
    counts["transactions"] += len(rows)
    return "explained" if explained else "short"
