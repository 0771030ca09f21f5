"""A year's statements, as `donations statements send` runs them: queue, then deliver.

    await run(db, settings, year, dry_run=, sender=, on_queue=, on_send=) -> Run

Statements are queued a thousand supporters per transaction (keys make a rerun queue only
those the last run did not reach), then the outbox is delivered until nothing is left but
retries, which the server's worker or cron takes on (donations/mail/worker.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from donations.db import Database
from donations.mail.delivery import Sender, sender_for
from donations.mail.render import Renderer
from donations.mail.statements import bounds, count_givers, givers, queue_year
from donations.mail.worker import deliver_due
from donations.settings import Settings

BATCH = 1000
SEND_BATCH = 200
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Run:
    reached: int  # supporters who paid something in the year
    queued: int  # statements queued by this run (the others were queued before, or have no address)
    sent: int
    failed: int


def _quiet(done: int, total: int) -> None:
    pass


async def run(
    db: Database,
    settings: Settings,
    year: int,
    *,
    dry_run: bool = False,
    sender: Sender | None = None,
    on_queue: Progress = _quiet,
    on_send: Progress = _quiet,
) -> Run:
    """Queue the year's statements a thousand supporters per transaction, then deliver what
    is due until nothing is left but retries (which the server's worker or cron takes on)."""
    span = bounds(settings, year)
    async with db.session() as session:
        total = await count_givers(session, span)
    queued = reached = 0
    after = 0
    on_queue(0, total)
    while True:
        async with db.session() as session:
            batch = await givers(session, span, after=after, limit=BATCH)
        if not batch:
            break
        after = batch[-1][0]
        reached += len(batch)
        if not dry_run:
            async with db.writing_session() as session:
                queued += await queue_year(session, year, batch)
        on_queue(reached, total)
    if dry_run:
        return Run(reached, 0, 0, 0)
    # A statement has no card's event to wait for: due as soon as it is queued.
    now_due = settings.model_copy(update={"MAIL_SETTLE_SECONDS": 0.0})
    sender = sender or sender_for(settings)
    renderer = Renderer(settings)  # once: its templates are compiled on the first batch
    sent = failed = done = 0
    while True:
        tally = await deliver_due(db, now_due, sender=sender, renderer=renderer, limit=SEND_BATCH)
        sent += tally.sent
        failed += tally.failed
        done += tally.sent + tally.failed + tally.skipped
        on_send(done, max(queued, done))
        if not (tally.sent or tally.failed or tally.skipped):
            break  # nothing due, or only retries later
    return Run(reached, queued, sent, failed)
