"""`donations webhooks status|replay|backfill`: how the inbox stands, its events again, or
the ones it missed from Stripe's event list."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import stripe
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlmodel import col, select

from donations import inbox_status
from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.models import EventStatus, StripeEvent, utcnow
from donations.reports.windows import iso_utc
from donations.settings import get_settings
from donations.stripe_api import open_stripe_client
from webhooks.inbox import EventOutcome, receive_dict, reprocess

app = typer.Typer(no_args_is_help=True)

# Stripe keeps events for 30 days (https://docs.stripe.com/api/events/list).
DEFAULT_BACKFILL_DAYS = 30
BAD_DATE = "--since: {value!r} is not a date (YYYY-MM-DD)"
FUTURE_DATE = "--since {value} is in the future"
PAGE_SIZE = 100


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


class Replayable(StrEnum):
    failed = "failed"
    pending = "pending"


@app.command("status")
def status(
    format_: StatusFormat = typer.Option(StatusFormat.table, "--format", help="table or json"),
) -> None:
    """Stored events by status and type, and the oldest failed one (never a payload)."""

    async def work(
        db: Database,
    ) -> tuple[
        list[inbox_status.TypeCount],
        dict[EventStatus, inbox_status.Backlog],
        inbox_status.FailedEvent | None,
    ]:
        async with db.session() as session:
            return (
                await inbox_status.by_status_and_type(session=session),
                await inbox_status.unprocessed(session=session),
                await inbox_status.oldest_failed(session=session),
            )

    counts, backlog, oldest = run_with_db(work)
    now = utcnow()
    if format_ is StatusFormat.json:
        typer.echo(json.dumps(_status_json(counts, backlog, oldest, now), indent=2))
        return
    table = Table("status", "type", "events", title="Stripe events in the inbox")
    for row in counts:
        table.add_row(row.status, row.type, str(row.count))
    Console(width=160).print(table)
    typer.echo(", ".join(f"{state}: {backlog[state].count}" for state in inbox_status.UNPROCESSED))
    if oldest is None:
        typer.echo("no failed event")
        return
    typer.echo(
        f"oldest failed: {oldest.id} {oldest.type}, received {iso_utc(oldest.received_at)} "
        f"({_age(oldest.age_seconds(now))} ago), {_attempts(oldest.attempts)}: {oldest.error}"
    )


def _status_json(
    counts: list[inbox_status.TypeCount],
    backlog: dict[EventStatus, inbox_status.Backlog],
    oldest: inbox_status.FailedEvent | None,
    now: datetime,
) -> dict[str, object]:
    return {
        "events": [{"status": row.status, "type": row.type, "count": row.count} for row in counts],
        "unprocessed": {str(state): backlog[state].count for state in inbox_status.UNPROCESSED},
        "oldest_failed": None
        if oldest is None
        else {
            "id": oldest.id,
            "type": oldest.type,
            "received_at": iso_utc(oldest.received_at),
            "age_seconds": oldest.age_seconds(now),
            "attempts": oldest.attempts,
            "error": oldest.error,
        },
    }


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


def _age(seconds: int) -> str:
    """3725 -> "1 h 2 min": how long ago, to the minute."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


@app.command("replay")
def replay(
    status: Replayable = typer.Option(
        Replayable.failed, "--status", help="Which stored events to process again"
    ),
) -> None:
    """Process stored events again, oldest first (after a fix, or a crash mid-event)."""

    async def work(db: Database) -> Counter[EventOutcome]:
        async with db.session() as session:
            ids = (
                await session.exec(
                    select(StripeEvent.id)
                    .where(StripeEvent.status == status.value)
                    .order_by(col(StripeEvent.created), col(StripeEvent.id))
                )
            ).all()
        outcomes: Counter[EventOutcome] = Counter()
        with _progress() as progress:
            task = progress.add_task(f"replaying {status.value} events", total=len(ids))
            for event_id in ids:
                outcomes[(await reprocess(db, event_id)).outcome] += 1
                progress.advance(task)
        return outcomes

    outcomes = run_with_db(work)
    typer.echo(
        f"replayed {outcomes.total()} {status.value} events: "
        f"{outcomes[EventOutcome.processed]} processed, {outcomes[EventOutcome.failed]} failed, "
        f"{outcomes[EventOutcome.duplicate] + outcomes[EventOutcome.ignored]} already done"
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

    async def work(db: Database) -> tuple[int, int, Counter[EventOutcome]]:
        async with open_stripe_client(settings) as client:
            return await _backfill(db, client, start, livemode=settings.stripe_livemode)

    fetched, new, outcomes = run_with_db(work)
    typer.echo(
        f"fetched {fetched} events since {start.date()}: {new} new, {fetched - new} already had; "
        f"{outcomes[EventOutcome.failed]} failed"
    )


async def _backfill(
    db: Database, client: stripe.StripeClient, start: datetime, *, livemode: bool
) -> tuple[int, int, Counter[EventOutcome]]:
    """(fetched, new, outcomes of those processed): every event since `start`, newest first
    as Stripe lists them; those the inbox lacks (or holds unprocessed) go through it."""
    params = {"created": {"gte": int(start.timestamp())}, "limit": PAGE_SIZE}
    fetched = new = 0
    outcomes: Counter[EventOutcome] = Counter()
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
