"""`donations supporters erase EMAIL`: the GDPR right to erasure, amounts kept.

Exit codes: 0 erased; 1 nothing is known about that reader (nothing changed); 2 the argument
is neither an email address nor a Stripe customer id, or the database cannot be opened.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import typer
from sqlalchemy import func, select

from donations.cli.common import actor, fail, run_with_db
from donations.db import Database
from donations.erasure import PLACES, Erased, erase, find, refresh
from donations.mail.delivery import remove_mail_files
from donations.models import utcnow
from donations.retention import reading
from donations.settings import get_settings
from donations.supporters import masked, normalise_email
from webhooks.inbox import LEDGER_LOCK

app = typer.Typer(no_args_is_help=True)

# A delivery is stamped `received_at` before it commits: one that was on its way while the
# reader was being found is looked for again in this much of the inbox's recent past.
DELIVERY_MARGIN = timedelta(minutes=15)
# Exit code when nothing is known about the reader: not an error, not an erasure either.
NOTHING_KNOWN = 1
UNKNOWN = "nothing is known about {who}: nothing erased"
NOT_A_READER = "{value!r} is neither an email address nor a Stripe customer id (cus_...)"
LABELS = {
    "supporters": "supporter",
    "sign_in_links": "sign-in link",
    "account_sessions": "account session",
    "checkouts": "checkout",
    "stored_events": "stored event",
    "stored_errors": "stored error",
    "audit_log": "audit detail",
    "snapshots": "report snapshot",
    "payments": "payment note",
    "outbox": "outbox message",
}


@app.command("erase")
def erase_reader(
    email: str = typer.Argument(
        ..., help="The reader's email address (any case), or their Stripe customer id"
    ),
) -> None:
    """Remove a reader's personal data from every place we keep it; keep every amount.

    Supporter, their sign-in links and account sessions (deleted: signed out at once),
    checkouts, stored Stripe events and errors, audit details, report snapshots, messages in
    the outbox and their .eml files.

    Exit code 0: erased. 1: nothing known about them, nothing changed. 2: bad argument."""
    address, customer = _reader(email)

    async def work(db: Database) -> Erased | None:
        started = utcnow()
        async with reading(db) as reader, reader.engine.connect() as connection:
            person = await find(connection, email=address, customer=customer)
        if person is None:
            return None
        async with db.writing() as connection:
            if connection.dialect.name == "postgresql":
                # Webhook handlers create and merge supporters under this lock: none runs
                # between finding the reader again and erasing them.
                await connection.execute(select(func.pg_advisory_xact_lock(LEDGER_LOCK)))
            person = await refresh(connection, person, since=started - DELIVERY_MARGIN)
            return await erase(connection, person, actor=actor(), now=utcnow())

    erased = run_with_db(work)
    if erased is None:
        sys.stderr.write(
            UNKNOWN.format(who=masked(normalise_email(address)) if address else customer) + "\n"
        )
        raise SystemExit(NOTHING_KNOWN)
    # Only once the database has forgotten them: a failed erasure leaves the files as well.
    files = remove_mail_files(Path(get_settings().MAIL_DIR), erased.messages)
    counts = ", ".join(_count(erased.counts[place], LABELS[place]) for place in PLACES)
    typer.echo(f"erased: {counts}, {_count(files, 'mail file')}; every amount kept")


def _reader(value: str) -> tuple[str | None, str | None]:
    """(email, customer id) from the argument."""
    value = value.strip()
    if value.startswith("cus_") and " " not in value:
        return None, value
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        fail(NOT_A_READER.format(value=value))
    return value, None


def _count(count: int, label: str) -> str:
    return f"{count} {label}{'' if count == 1 else 's'}"
