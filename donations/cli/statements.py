"""`donations statements send --year 2026 [--dry-run]`: each supporter's year-end statement.

The fiscal year is FISCAL_YEAR_START's, named by the calendar year it ends in. Two steps,
each with a progress bar:
1. queue one statement per supporter who paid something in the year, a thousand per
   transaction; each has the key `statement:<supporter>:<year>`, so a rerun queues only
   those the last run did not reach;
2. deliver what is due (the outbox worker: retries, backoff, failures shown at /admin/mail).
A crash anywhere is resumed by running the command again: nobody's statement is queued
twice, and a sent one is never sent again (the one message in flight at a crash may be, once
its lease ends: donations/mail/worker.py). `--dry-run` counts and queues nothing.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.mail import statement_run, statements
from donations.settings import get_settings

app = typer.Typer(no_args_is_help=True)

MAIL_OFF = "MAIL_ENABLED is false: no email is sent (--dry-run still counts)"


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console,
    )  # fmt: skip


@app.command("send")
def send(
    year: int = typer.Option(..., "--year", min=2000, max=9998, help="The fiscal year, e.g. 2026"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count who would get one; send none"),
) -> None:
    """Queue and send each supporter's statement of what they gave in the fiscal year."""
    settings = get_settings()
    if not settings.MAIL_ENABLED and not dry_run:
        fail(MAIL_OFF)
    console = Console(stderr=True)
    span = statements.bounds(settings, year)

    async def work(db: Database) -> statement_run.Run:
        with _progress(console) as progress:
            queueing = progress.add_task(f"queue {year}", total=None)
            sending = progress.add_task("send", total=None, visible=False)

            def queued(done: int, total: int) -> None:
                progress.update(queueing, completed=done, total=total)

            def sent(done: int, total: int) -> None:
                progress.update(sending, completed=done, total=total, visible=True)

            return await statement_run.run(
                db, settings, year, dry_run=dry_run, on_queue=queued, on_send=sent
            )

    run = run_with_db(work)
    reached, queued, sent, failed = run.reached, run.queued, run.sent, run.failed
    first, last = span.first_day, span.last_day
    if dry_run:
        typer.echo(f"{reached} supporters gave between {first} and {last}: nothing queued")
        return
    typer.echo(
        f"{reached} supporters gave between {first} and {last}: {queued} statements queued "
        f"now ({reached - queued} queued before, or with no address), {sent} sent, {failed} failed"
    )
    if failed:
        raise SystemExit(1)
