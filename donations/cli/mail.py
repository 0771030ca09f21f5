"""`donations mail send` (cron, or a process of its own) and `donations mail list`.

The server delivers the outbox itself (donations/app.py); `mail send` is for a deployment
that would rather run delivery apart, or to push out what is due now. Exit code 1 when a
message failed for good in this run (staff see it at /admin/mail as well).
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import col, select

from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.mail.delivery import sender_for
from donations.mail.render import Renderer
from donations.mail.worker import Tally, deliver_due
from donations.models import MailStatus, OutboxMessage
from donations.settings import get_settings
from donations.supporters import masked

app = typer.Typer(no_args_is_help=True)

MAIL_OFF = "MAIL_ENABLED is false: no email is sent"


@app.command("send")
def send(
    batches: int = typer.Option(
        0, "--batches", min=0, help="Stop after this many batches of 50 (0: until none is due)"
    ),
) -> None:
    """Deliver every message that is due now, with the same retries as the server."""
    settings = get_settings()
    if not settings.MAIL_ENABLED:
        fail(MAIL_OFF)

    async def work(db: Database) -> Tally:
        total = Tally()
        done = 0
        sender, renderer = sender_for(settings), Renderer(settings)  # once, for every batch
        while True:
            tally = await deliver_due(db, settings, sender=sender, renderer=renderer)
            for name in ("sent", "failed", "skipped", "retrying"):
                setattr(total, name, getattr(total, name) + getattr(tally, name))
            total.errors += tally.errors
            done += 1
            if not (tally.sent or tally.failed or tally.skipped or tally.retrying):
                return total
            if batches and done >= batches:
                return total

    tally = run_with_db(work)
    for error in tally.errors:
        typer.echo(error, err=True)
    typer.echo(
        f"sent {tally.sent}, failed {tally.failed}, skipped {tally.skipped}, "
        f"to retry {tally.retrying}"
    )
    if tally.failed:
        raise SystemExit(1)


@app.command("list")
def list_messages(
    status: str | None = typer.Option(
        None, "--status", help="queued, sent, failed or skipped (default: all)"
    ),
    limit: int = typer.Option(50, "--limit", min=1, help="The newest this many"),
) -> None:
    """The newest messages in the outbox: kind, masked address, status, last error."""
    if status is not None and status not in MailStatus.__members__:
        fail(f"--status must be one of {', '.join(MailStatus)}, not {status!r}")
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if status is not None:
        query = query.where(col(OutboxMessage.status) == status)

    async def work(db: Database) -> list[OutboxMessage]:
        async with db.session() as session:
            return list((await session.exec(query)).all())

    rows = run_with_db(work)
    table = Table("id", "kind", "to", "status", "attempts", "queued (UTC)", "last error")
    for row in rows:
        table.add_row(
            str(row.id), row.kind, masked(row.to_address), row.status, str(row.attempts),
            row.created_at.strftime("%Y-%m-%d %H:%M"), (row.last_error or "")[:80],
        )  # fmt: skip
    Console(width=160).print(table)
