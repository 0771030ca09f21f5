"""`donations privacy purge`: booked events past retention lose their personal fields, and
the inbox still books the same ledger when it is processed again."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, text, update
from sqlmodel import col, select

import stripe_events as se
from donations import migrations
from donations.db import Database, create_sync_engine
from donations.models import (
    AuditLog,
    Dispute,
    EventStatus,
    Membership,
    Payment,
    Refund,
    StripeEvent,
    StripeLink,
    utcnow,
)
from donations.retention import due, purge
from tests.donations.reader_history import PERSONAL_OBJECTS, Reader, as_stripe_sends, traces
from tests.support import databases
from tests.support.cli import in_process
from tests.webhooks.conflicts import allow_checkouts, refuse_checkout_quoting
from tests.webhooks.ledger_dump import dump, totals
from webhooks.inbox import EventOutcome, receive_dict

Json = dict[str, Any]
SUMMARY_END = "(older than 90 days)"
# The second line: nothing of the account's had ended (tests/donations/test_purge_expired.py).
NO_EXPIRED = (
    "deleted 0 sign-in links and 0 account sessions that ended over a day ago, "
    "and 0 forgotten login throttle counters\n"
)
# The third: no message was done with (tests/donations/test_purge_sent_mail.py).
NO_MAIL = (
    "emptied the address and context of 0 messages sent, failed or skipped before {cutoff} "
    "and 0 sign-in messages over a day ago\n"
)


def _after_events(stdout: str) -> str:
    """What follows the events' line, the cutoff it names filled in."""
    first, _, rest = stdout.partition("\n")
    cutoff = re.search(r"from before (\S+ \S+ UTC)", first)
    assert cutoff is not None, first
    return rest.replace(cutoff.group(1), "{cutoff}")


def _readers(emails: list[str]) -> dict[str, Reader]:
    return {
        email: Reader(
            name=f"Leser{n} Müller-Åström",
            email=email,
            street=f"Schönhauser Allee {100 + n}",
            phone=f"+49 30 555{n:04d}",
            ip=f"198.51.100.{n + 1}",
        )
        for n, email in enumerate(emails)
    }


def _as_stripe_sends_all(events: list[Json], readers: dict[str, Reader]) -> list[Json]:
    """Each event with its reader's details: found by email, else through the customer,
    PaymentIntent or charge an earlier-seen object tied to that email."""
    owner: dict[str, Reader] = {}
    for event in events:
        obj = event["data"]["object"]
        details = obj.get("customer_details") or {}
        email = details.get("email") or obj.get("customer_email")
        if email:
            reader = readers[email.lower()]
            for link in ("customer", "payment_intent"):
                if obj.get(link):
                    owner[obj[link]] = reader
    for event in events:
        obj = event["data"]["object"]
        reader = owner.get(obj.get("customer") or "") or owner.get(obj.get("id"))
        if reader is not None and obj["object"] == "payment_intent":
            owner[obj["latest_charge"]] = reader
    enriched = []
    for event in events:
        obj = event["data"]["object"]
        if obj["object"] not in PERSONAL_OBJECTS:
            enriched.append(event)
            continue
        details = obj.get("customer_details") or {}
        email = details.get("email") or obj.get("customer_email")
        reader = readers[email.lower()] if email else None
        for link in ("customer", "id", "payment_intent", "charge"):
            reader = reader or owner.get(obj.get(link) or "")
        assert reader is not None, event["type"]
        enriched.append(as_stripe_sends(event, reader))
    return enriched


async def _receive(db: Database, events: list[Json]) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome in (EventOutcome.processed, EventOutcome.ignored), receipt.error


async def _payloads(db: Database) -> dict[str, tuple[str, str | None, Any]]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            select(
                col(StripeEvent.id),
                col(StripeEvent.payload),
                col(StripeEvent.last_error),
                col(StripeEvent.redacted_at),
            )
        )
        return {event_id: (payload, error, at) for event_id, payload, error, at in rows}


async def _cli(database_url: str, *args: str) -> Any:
    return await in_process(*args, env={"DATABASE_URL": database_url})


@pytest.mark.asyncio
async def test_a_purged_inbox_books_the_same_ledger_when_processed_again(
    db: Database, database_url: str
) -> None:
    scenario = se.random_scenario(random.Random(2026), supporters=8, happenings=60)
    readers = _readers(scenario.emails)
    events = _as_stripe_sends_all(scenario.events, readers)
    await _receive(db, events)
    ledger, figures = await dump(db), await totals(db)
    personal = sum(event["data"]["object"]["object"] in PERSONAL_OBJECTS for event in events)

    purged = await _cli(database_url, "privacy", "purge")

    assert purged.exit_code == 0, purged.output
    assert purged.stdout.startswith(
        f"redacted personal fields in {personal} stored events and 0 error texts from before "
    )
    assert purged.stdout.splitlines()[0].endswith(SUMMARY_END)
    assert _after_events(purged.stdout) == NO_EXPIRED + NO_MAIL
    names_streets_phones = {
        term for reader in readers.values() for term in reader.terms if "@" not in term
    }
    # Only the supporters' own names stay: the ledger's record of who they are.
    assert set(await traces(db, names_streets_phones)) == {("supporter", "name")}

    # A restore, or a handler fixed after the fact: the money is booked again from the inbox.
    async with db.writing() as connection:
        for model in (StripeLink, Dispute, Refund, Payment, Membership):
            await connection.execute(delete(model))
        await connection.execute(
            update(StripeEvent)
            .where(col(StripeEvent.status) == EventStatus.processed.value)
            .values(status=EventStatus.pending.value)
        )
    replayed = await _cli(database_url, "webhooks", "replay", "--status", "pending")

    assert replayed.exit_code == 0, replayed.output
    processed = sum(e["id"] not in scenario.not_counted for e in events)
    assert replayed.stdout == (
        f"replayed {processed} pending events: {processed} processed, 0 failed, 0 already done\n"
    )
    assert await dump(db) == ledger
    assert await totals(db) == figures


async def _failed_long_ago(db: Database, reader: Reader) -> str:
    gift = se.one_off_gift(1500, "eur", se.START, reader.email)
    completed = as_stripe_sends(gift.events[0], reader)
    await refuse_checkout_quoting(db, completed["data"]["object"]["id"], reader.email)
    receipt = await receive_dict(db, completed)
    await allow_checkouts(db)
    assert receipt.outcome == EventOutcome.failed and reader.email in (receipt.error or "")
    event_id: str = completed["id"]
    return event_id


@pytest.mark.asyncio
async def test_purge_spares_recent_events_and_failed_bodies_and_scrubs_old_errors(
    db: Database, database_url: str
) -> None:
    ana = Reader(name="Ana López", email="ana.lopez@example.org", street="Torstraße 109",
                 phone="+49 30 901820")  # fmt: skip
    old = se.one_off_gift(2500, "eur", se.START, ana.email)
    recent = se.one_off_gift(
        1000, "eur", int((utcnow() - timedelta(days=1)).timestamp()), ana.email
    )
    await _receive(db, [as_stripe_sends(e, ana) for e in old.events + recent.events])
    failed = await _failed_long_ago(db, ana)
    stored = await _payloads(db)

    dry = await _cli(database_url, "privacy", "purge", "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("would redact personal fields in 2 stored events and 1 error")
    assert dry.stdout.splitlines()[0].endswith(f"{SUMMARY_END}; nothing changed")
    assert _after_events(dry.stdout) == (
        "would delete 0 sign-in links and 0 account sessions that ended over a day ago, and 0 "
        "forgotten login throttle counters; nothing changed\nwould empty the address and "
        "context of 0 messages sent, failed or skipped before {cutoff} and 0 sign-in messages "
        "over a day ago; nothing changed\n"
    )
    assert await _payloads(db) == stored

    purged = await _cli(database_url, "privacy", "purge")

    assert purged.stdout.startswith("redacted personal fields in 2 stored events and 1 error")
    now = await _payloads(db)
    for event in old.events:
        payload, _, redacted_at = now[event["id"]]
        assert redacted_at is not None and ana.email not in payload and ana.phone not in payload
    for event in recent.events:
        assert now[event["id"]] == stored[event["id"]]
    failed_payload, failed_error, failed_redacted_at = now[failed]
    assert (failed_payload, failed_redacted_at) == (stored[failed][0], None)
    assert failed_error is not None and failed_error.startswith("IntegrityError")
    assert ana.email not in failed_error
    async with db.session() as session:
        audit = (await session.exec(select(AuditLog))).one()
    assert (audit.action, json.loads(audit.detail or "")) == (
        "privacy_purged", {"stored_events": 2, "stored_errors": 1, "sign_in_links": 0,
                           "account_sessions": 0, "login_throttles": 0, "sent_messages": 0,
                           "sign_in_messages": 0},
    )  # fmt: skip

    again = await _cli(database_url, "privacy", "purge")
    assert again.stdout.startswith("redacted personal fields in 0 stored events and 0 error")
    everything = await _cli(database_url, "privacy", "purge", "--older-than", "0")
    assert everything.stdout.startswith("redacted personal fields in 2 stored events and 0 error")
    assert everything.stdout.splitlines()[0].endswith("(older than 0 days)")
    assert _after_events(everything.stdout) == NO_EXPIRED + NO_MAIL


@pytest.mark.asyncio
async def test_purge_goes_batch_by_batch_and_reports_each(db: Database) -> None:
    scenario = se.random_scenario(random.Random(7), supporters=3, happenings=12)
    await _receive(db, scenario.events)
    now = utcnow()
    cutoff = now - timedelta(days=90)
    waiting = await due(db, cutoff=cutoff)
    assert waiting == len(scenario.events)
    batches: list[int] = []

    purged = await purge(
        db, cutoff=cutoff, now=now, actor="test", progress=batches.append, batch_size=4
    )

    assert sum(batches) == waiting and max(batches) == 4
    assert len(batches) == -(-waiting // 4)
    assert purged.errors == 0
    assert await due(db, cutoff=cutoff) == 0


def test_a_retention_of_zero_days_refuses_to_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "donations", "privacy", "purge"],
        capture_output=True,
        text=True,
        env={
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
            "PRIVACY_RETENTION_DAYS": "0",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        },
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: PRIVACY_RETENTION_DAYS: Input should be greater than or equal to 1\n"
    )


def test_the_migration_keeps_stored_events_unredacted(tmp_path: Path) -> None:
    url = databases.configured_url() or f"sqlite:///{tmp_path / 'scratch.db'}"
    if databases.on_postgres():
        databases.reset_schema(url)
    migrations.upgrade(url, "0001")
    engine = create_sync_engine(url)
    row = {"id": "evt_before", "type": "charge.refunded", "livemode": False, "created": 1,
           "payload": "{}", "status": "processed", "attempts": 1, "received_at": utcnow()}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(StripeEvent.__table__).values(row))  # type: ignore[attr-defined]
    migrations.upgrade(url)
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT id, payload, redacted_at FROM stripe_event")).all()
    assert [tuple(r) for r in kept] == [("evt_before", "{}", None)]
    migrations.downgrade(url, "0001")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT id FROM stripe_event")).scalars().all() == [
            "evt_before"
        ]
        connection.execute(text("DELETE FROM stripe_event"))
    engine.dispose()
    # Left migrated and empty, as the other tests expect of it on PostgreSQL.
    migrations.upgrade(url)
