"""`donations webhooks replay|backfill`: the inbox, again or from Stripe's event list."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import stripe
import typer
from rich.console import Console
from rich.progress import Progress
from sqlmodel import col, select

from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.models import EventStatus, StripeEvent
from donations.settings import get_settings
from donations.stripe_api import open_stripe_client
from webhooks.inbox import Outcome, receive_dict, reprocess

app = typer.Typer(no_args_is_help=True)

# Stripe keeps events for 30 days (https://docs.stripe.com/api/events/list).
DEFAULT_BACKFILL_DAYS = 30
BAD_DATE = "--since: {value!r} is not a date (YYYY-MM-DD)"
FUTURE_DATE = "--since {value} is in the future"
PAGE_SIZE = 100


class Replayable(StrEnum):
    failed = "failed"
    pending = "pending"


@app.command("replay")
def replay(
    status: Replayable = typer.Option(
        Replayable.failed, "--status", help="Which stored events to process again"
    ),
) -> None:
    """Process stored events again, oldest first (after a fix, or a crash mid-event)."""

    async def work(db: Database) -> Counter[Outcome]:
        async with db.session() as session:
            ids = (
                await session.exec(
                    select(StripeEvent.id)
                    .where(StripeEvent.status == status.value)
                    .order_by(col(StripeEvent.created), col(StripeEvent.id))
                )
            ).all()
        outcomes: Counter[Outcome] = Counter()
        with _progress() as progress:
            task = progress.add_task(f"replaying {status.value} events", total=len(ids))
            for event_id in ids:
                outcomes[(await reprocess(db, event_id)).outcome] += 1
                progress.advance(task)
        return outcomes

    outcomes = run_with_db(work)
    typer.echo(
        f"replayed {outcomes.total()} {status.value} events: "
        f"{outcomes[Outcome.processed]} processed, {outcomes[Outcome.failed]} failed, "
        f"{outcomes[Outcome.duplicate] + outcomes[Outcome.ignored]} already done"
    )


@app.command("backfill")
def backfill(
    since: str | None = typer.Option(
        None, "--since", help="First day to fetch, YYYY-MM-DD (default: 30 days ago)"
    ),
) -> None:
    """Fetch the events Stripe has and the inbox lacks (missed deliveries), and process them."""
    start = _start(since)
    settings = get_settings()

    async def work(db: Database) -> tuple[int, int, Counter[Outcome]]:
        async with open_stripe_client(settings) as client:
            return await _backfill(db, client, start, livemode=settings.stripe_livemode)

    fetched, new, outcomes = run_with_db(work)
    typer.echo(
        f"fetched {fetched} events since {start.date()}: {new} new, {fetched - new} already had; "
        f"{outcomes[Outcome.failed]} failed"
    )


async def _backfill(
    db: Database, client: stripe.StripeClient, start: datetime, *, livemode: bool
) -> tuple[int, int, Counter[Outcome]]:
    """(fetched, new, outcomes of those processed): every event since `start`, newest first
    as Stripe lists them; those the inbox lacks (or holds unprocessed) go through it."""
    params = {"created": {"gte": int(start.timestamp())}, "limit": PAGE_SIZE}
    fetched = new = 0
    outcomes: Counter[Outcome] = Counter()
    with _progress() as progress:
        task = progress.add_task("fetching events", total=None)
        page = await client.v1.events.list_async(params=params)  # type: ignore[arg-type]
        async for event in page.auto_paging_iter():
            fetched += 1
            progress.advance(task)
            async with db.session() as session:
                known = await session.get(StripeEvent, event.id)
            if known is not None and known.status != EventStatus.pending:
                continue
            new += known is None
            receipt = await receive_dict(db, event.to_dict(for_json=True), livemode=livemode)
            outcomes[receipt.outcome] += 1
    return fetched, new, outcomes


def _start(since: str | None) -> datetime:
    if since is None:
        return datetime.now(UTC) - timedelta(days=DEFAULT_BACKFILL_DAYS)
    try:
        day = date.fromisoformat(since)
    except ValueError:
        fail(BAD_DATE.format(value=since))
    if day > datetime.now(UTC).date():
        fail(FUTURE_DATE.format(value=since))
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _progress() -> Progress:
    # Progress on stderr: stdout keeps only the summary line, for scripts and cron mail.
    return Progress(console=Console(stderr=True), transient=True)
