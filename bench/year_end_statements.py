"""Year-end statements for 100,000 supporters on SQLite: the whole `donations statements
send` run, timed.

    .venv/bin/python -m bench.year_end_statements                     # 100,000 supporters
    .venv/bin/python -m bench.year_end_statements --supporters 2000   # a quick look
    .venv/bin/python -m bench.year_end_statements --eml               # write every .eml file too

A scratch SQLite database (migrated as production is) gets N supporters, each with one to
three payments in 2026 (eur mostly, some usd), 2% of them refunded in part and 0.5% lost to
a dispute; loading it is not timed. Timed: statement_run.run, as the command runs it: find
who gave, queue one statement each (1,000 a transaction), then deliver them all through the
outbox worker: claim, read the statement from the ledger, render subject, text and HTML,
build the MIME message, record it sent. The message is then handed to a sender that keeps
its bytes and drops them (--eml: written to files, as development does); an SMTP server's
own time is not ours to measure here. Target: under 10 minutes for 100,000.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

from sqlalchemy import insert

from donations import migrations
from donations.db import Database, create_sync_engine
from donations.mail import statement_run
from donations.mail.delivery import FileSender, Sender
from donations.models import Dispute, Payment, Refund, Supporter
from donations.settings import Settings

YEAR = 2026
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
TARGET_SECONDS = 600


class Discard:
    """The message as bytes, then dropped: everything but the transfer."""

    def __init__(self) -> None:
        self.bytes = 0

    async def send(self, message: Message, *, name: str) -> None:
        self.bytes += len(message.as_bytes())


def load(url: str, supporters: int, seed: int = 7) -> int:
    """N supporters and their year; how many payments."""
    rng = random.Random(seed)
    engine = create_sync_engine(url)
    now = datetime(2026, 12, 2, tzinfo=UTC)
    payments: list[dict[str, object]] = []
    refunds: list[dict[str, object]] = []
    disputes: list[dict[str, object]] = []
    people = [
        {"id": i, "email": f"reader{i:06d}@example.org", "name": f"Reader {i}", "created_at": now}
        for i in range(1, supporters + 1)
    ]
    for person in people:
        for _ in range(rng.choice((1, 1, 2, 3))):
            payment_id = len(payments) + 1
            currency = "usd" if rng.random() < 0.1 else "eur"
            amount = rng.choice((500, 1000, 2500, 5000, 10000))
            paid_at = YEAR_START + timedelta(seconds=rng.randrange(360 * 86400))
            payments.append({
                "id": payment_id, "kind": rng.choice(("one_off", "recurring")), "amount": amount,
                "paid_off_stripe": 0, "currency": currency, "paid_at": paid_at,
                "stripe_payment_intent_id": f"pi_bench{payment_id:09d}",
                "supporter_id": person["id"], "created_at": now,
            })  # fmt: skip
            chance = rng.random()
            if chance < 0.02:
                refunds.append({
                    "stripe_refund_id": f"re_bench{payment_id:09d}", "payment_id": payment_id,
                    "amount": amount // 2, "currency": currency, "status": "succeeded",
                    "refunded_at": paid_at + timedelta(days=3), "once_succeeded": True,
                    "unitemised": False, "state_event_created": 0, "state_event_rank": 0,
                    "created_at": now,
                })  # fmt: skip
            elif chance < 0.025:
                disputes.append({
                    "stripe_dispute_id": f"dp_bench{payment_id:09d}", "payment_id": payment_id,
                    "amount": amount, "currency": currency, "status": "lost",
                    "disputed_at": paid_at + timedelta(days=9),
                    "withdrawn_at": paid_at + timedelta(days=9), "state_event_created": 0,
                    "state_event_rank": 0, "created_at": now,
                })  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(Supporter), people)
        connection.execute(insert(Payment), payments)
        if refunds:
            connection.execute(insert(Refund), refunds)
        if disputes:
            connection.execute(insert(Dispute), disputes)
    engine.dispose()
    return len(payments)


async def measure(url: str, sender: Sender) -> tuple[statement_run.Run, float, float]:
    db = Database(url)
    settings = Settings(DATABASE_URL=url, NEWSROOM_NAME="The Valley Ledger",
                        RECEIPT_TAX_WORDING="No goods or services were provided.")  # fmt: skip
    try:
        started, cpu = time.perf_counter(), time.process_time()
        run = await statement_run.run(db, settings, YEAR, sender=sender)
        return run, time.perf_counter() - started, time.process_time() - cpu
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--supporters", type=int, default=100_000)
    parser.add_argument("--eml", action="store_true", help="write .eml files (development)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/statements.db"
        migrations.upgrade(url)
        payments = load(url, args.supporters)
        sender: Sender = FileSender(Path(folder) / "mail") if args.eml else Discard()
        run, seconds, cpu = asyncio.run(measure(url, sender))
    rate = run.sent / seconds if seconds else 0.0
    # On a shared machine the wall clock says as much about the neighbours as about us: the
    # process's own CPU time (its threads included) is the figure that does not move.
    print(
        f"statements: {run.sent} sent of {run.reached} supporters ({payments} payments), "
        f"{run.failed} failed, in {seconds:.1f} s wall ({rate:.0f}/s), {cpu:.1f} s CPU "
        f"({1000 * cpu / max(run.sent, 1):.2f} ms a statement); 100,000 at this rate: "
        f"{100_000 / rate / 60:.1f} min wall, {100_000 * cpu / max(run.sent, 1) / 60:.1f} min "
        f"CPU (target < {TARGET_SECONDS // 60} min); load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
