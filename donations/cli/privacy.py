"""`donations privacy purge`: stored Stripe events past retention lose their personal fields;
sign-in links, account sessions and login throttle counters that ended are deleted; messages
done with (sent, failed or skipped) before the cutoff, and sign-in messages over a day ago,
lose address and context."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from donations.cli.common import actor, run_with_db
from donations.db import Database
from donations.expired import Expired
from donations.models import utcnow
from donations.retention import Purged, due, purge
from donations.sent_mail import Emptied
from donations.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("purge")
def purge_command(
    older_than: int | None = typer.Option(
        None,
        "--older-than",
        min=0,
        metavar="DAYS",
        help="Age in days past which events are redacted and sent messages emptied "
        "(default: PRIVACY_RETENTION_DAYS)",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count what would be redacted; change nothing"
    ),
) -> None:
    """Empty personal fields of booked Stripe events past retention (cron, daily).

    Names, emails, addresses, phones go; amounts, ids, statuses and timestamps stay. Sign-in
    links and account sessions that ended over a day ago, and forgotten login throttle
    counters, are deleted. Messages sent, failed or skipped before then (sign-in messages: over
    a day ago) lose their address, context and subject, and their .eml files in MAIL_DIR go."""
    settings = get_settings()
    days = settings.PRIVACY_RETENTION_DAYS if older_than is None else older_than
    now = utcnow()
    cutoff = now - timedelta(days=days)

    async def work(db: Database) -> Purged:
        total = await due(db, cutoff=cutoff)
        # Progress on stderr: stdout keeps only the summary lines, for cron mail.
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("redacting stored events", total=total)
            return await purge(
                db,
                cutoff=cutoff,
                now=now,
                actor=actor(),
                dry_run=dry_run,
                progress=lambda done: progress.advance(task, done),
                mail_dir=Path(settings.MAIL_DIR),
            )

    purged = run_with_db(work)
    verb = "would redact" if dry_run else "redacted"
    typer.echo(
        f"{verb} personal fields in {purged.events} stored events and {purged.errors} error "
        f"texts from before {cutoff:%Y-%m-%d %H:%M} UTC (older than {days} days)"
        + ("; nothing changed" if dry_run else "")
    )
    typer.echo(_expired_line(purged.expired, dry_run=dry_run))
    typer.echo(_mail_line(purged.mail, cutoff, dry_run=dry_run))


def _expired_line(expired: Expired, *, dry_run: bool) -> str:
    verb = "would delete" if dry_run else "deleted"
    return (
        f"{verb} {expired.sign_in_links} sign-in links and {expired.account_sessions} account "
        f"sessions that ended over a day ago, and {expired.login_throttles} forgotten login "
        "throttle counters" + ("; nothing changed" if dry_run else "")
    )


def _mail_line(mail: Emptied, cutoff: datetime, *, dry_run: bool) -> str:
    verb = "would empty" if dry_run else "emptied"
    return (
        f"{verb} the address and context of {mail.sent_messages} messages sent, failed or "
        f"skipped before {cutoff:%Y-%m-%d %H:%M} UTC and {mail.sign_in_messages} sign-in "
        "messages over a day ago" + ("; nothing changed" if dry_run else "")
    )
