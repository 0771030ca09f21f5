"""`donations privacy purge` empties the address and context of messages sent, failed or
skipped before the cutoff, and of sign-in messages a day on; the row stays, and nothing the
worker may still send is touched."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlmodel import col, select

from donations.db import Database
from donations.mail import outbox
from donations.mail.delivery import eml_name
from donations.mail.worker import LEASE, deliver_due
from donations.models import AuditLog, OutboxMessage, utcnow
from donations.retention import purge
from donations.sent_mail import PAST_RETENTION, Emptied
from donations.settings import Settings
from tests.account.support import add_supporter
from tests.support.cli import in_process

DAY, MINUTE = timedelta(days=1), timedelta(minutes=1)
ADDRESS = "mia@example.org"
RECEIPT = {"amount": 2500, "currency": "eur", "name": "Mia Schulz"}
SIGN_IN = {"link": "https://news.example/account/sign-in?token=abc", "minutes": 30}


async def _add(db: Database, now: datetime) -> dict[str, int]:
    """One message in every state, either side of its line; the keys say which are emptied.
    Returns the id of each key."""
    supporter = await add_supporter(db, ADDRESS)

    def message(key: str, status: str, **values: Any) -> dict[str, Any]:
        kind = key.partition(":")[0]
        return {
            "key": key, "kind": kind, "to_address": ADDRESS, "supporter_id": supporter,
            "context": SIGN_IN if kind == "sign_in" else RECEIPT, "status": status,
            "attempts": 1, "next_attempt_at": now - 100 * DAY, "created_at": now - 100 * DAY,
            "sent_at": None, "subject": None, "last_error": None, **values,
        }  # fmt: skip

    rows = [
        message("receipt:emptied", "sent", sent_at=now - 90 * DAY - MINUTE, subject="Thank you"),
        message("receipt:kept-within-retention", "sent", sent_at=now - 90 * DAY + MINUTE),
        message("sign_in:emptied", "sent", sent_at=now - DAY - MINUTE, subject="Sign in"),
        message("sign_in:kept-within-its-day", "sent", sent_at=now - DAY + MINUTE),
        # What the worker may still send: due long ago, its lease running, waiting to retry.
        message("receipt:kept-queued", "queued", attempts=0),
        message("sign_in:kept-queued", "queued", attempts=0),
        message("receipt:kept-leased", "queued", next_attempt_at=now + LEASE),
        message("receipt:kept-retrying", "queued", attempts=3, last_error="TimeoutError: ",
                next_attempt_at=now + 30 * MINUTE),
        # Never sent: staff read these at /admin/mail until the same line, counted from when
        # they were made.
        message("receipt:emptied-failed", "failed", last_error="Undeliverable: 550 mia@..."),
        message("receipt:emptied-skipped", "skipped", last_error="queued 72 hours after"),
        message("receipt:kept-failed", "failed", created_at=now - 90 * DAY + MINUTE,
                last_error="Undeliverable: 550 no such user"),
        message("sign_in:emptied-failed", "failed", created_at=now - DAY - MINUTE),
        message("sign_in:kept-skipped", "skipped", created_at=now - DAY + MINUTE),
        # Erased already: no address to empty, not counted again.
        message("receipt:kept-erased", "sent", sent_at=now - 100 * DAY, to_address="",
                context={}, last_error="the reader's personal data was erased"),
    ]  # fmt: skip
    async with db.writing() as connection:
        await connection.execute(insert(OutboxMessage), rows)
    async with db.session() as session:
        found = await session.exec(select(OutboxMessage.key, OutboxMessage.id))
        return {key: message_id for key, message_id in found.all() if message_id is not None}


async def _rows(db: Database) -> dict[str, dict[str, Any]]:
    async with db.session() as session:
        messages = (await session.exec(select(OutboxMessage))).all()
    return {m.key: m.model_dump() for m in messages}


def _files(folder: Path, ids: dict[str, int]) -> None:
    folder.mkdir()
    for key, message_id in ids.items():
        (folder / eml_name(message_id, key.partition(":")[0])).write_text(f"To: {ADDRESS}\n")


async def _cli(database_url: str, folder: Path, *args: str) -> Any:
    env = {"DATABASE_URL": database_url, "MAIL_DIR": str(folder)}
    return await in_process("privacy", "purge", *args, env=env)


def _mail_line(stdout: str) -> str:
    return stdout.splitlines()[2]


@pytest.mark.asyncio
async def test_purge_empties_sent_messages_past_their_line_and_nothing_else(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    now = utcnow()
    ids = await _add(db, now)
    folder = tmp_path / "mail"
    _files(folder, ids)
    before = await _rows(db)

    dry = await _cli(database_url, folder, "--dry-run")

    assert dry.exit_code == 0, dry.output
    cutoff = f"{now - 90 * DAY:%Y-%m-%d %H:%M}"
    assert _mail_line(dry.stdout) == (
        f"would empty the address and context of 3 messages sent, failed or skipped "
        f"before {cutoff} UTC and 2 sign-in messages over a day ago; nothing changed"
    )
    assert await _rows(db) == before
    assert len(list(folder.iterdir())) == len(ids)

    purged = await _cli(database_url, folder)

    assert purged.exit_code == 0, purged.output
    assert _mail_line(purged.stdout) == (
        f"emptied the address and context of 3 messages sent, failed or skipped "
        f"before {cutoff} UTC and 2 sign-in messages over a day ago"
    )
    after = await _rows(db)
    emptied = {key for key in ids if ":emptied" in key}
    assert len(emptied) == 5
    for key in emptied:
        # The row, its id, key, kind, status and times stay: the counts, the key that refuses
        # a second message and the Message-ID (id and key) are what they were.
        assert after[key] == {**before[key], "to_address": "", "context": {}, "subject": None,
                              "last_error": PAST_RETENTION}  # fmt: skip
    assert {key: after[key] for key in after if key not in emptied} == {
        key: before[key] for key in before if key not in emptied
    }
    kept_files = {eml_name(ids[key], key.partition(":")[0]) for key in ids if key not in emptied}
    assert {path.name for path in folder.iterdir()} == kept_files
    async with db.session() as session:
        audit = (await session.exec(select(AuditLog))).one()
    assert (audit.action, json.loads(audit.detail or "")) == ("privacy_purged", {
        "stored_events": 0, "stored_errors": 0, "sign_in_links": 0, "account_sessions": 0,
        "login_throttles": 0, "sent_messages": 3, "sign_in_messages": 2,
    })  # fmt: skip
    async with db.writing_session() as session:
        assert not await outbox.queue(session, kind="receipt", to=ADDRESS, key="receipt:emptied")

    again = await _cli(database_url, folder)
    assert _mail_line(again.stdout) == (
        f"emptied the address and context of 0 messages sent, failed or skipped "
        f"before {cutoff} UTC and 0 sign-in messages over a day ago"
    )
    assert await _rows(db) == after


@pytest.mark.asyncio
async def test_what_the_worker_may_still_send_keeps_its_address_whatever_the_cutoff(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """The real worker: one message sent, one it holds the lease of, one not yet due. A
    purge whose cutoff is tomorrow empties only the sent one."""
    folder = tmp_path / "mail"
    files = settings.model_copy(update={"MAIL_DIR": str(folder), "MAIL_SETTLE_SECONDS": 0.0})
    async with db.writing_session() as session:
        for key in ("sent", "leased", "later"):
            await outbox.queue(
                session, kind="welcome", to=ADDRESS, key=f"welcome:{key}",
                context={"amount": 2500, "currency": "eur", "how_often": "annual"},
            )  # fmt: skip
    now = utcnow()
    async with db.writing_session() as session:
        messages = {m.key: m for m in (await session.exec(select(OutboxMessage))).all()}
        later = messages["welcome:later"]
        later.next_attempt_at = now + DAY
        session.add(later)
    tally = await deliver_due(db, files, now=now, limit=1)
    assert tally.sent == 1
    async with db.writing_session() as session:
        assert await outbox.claim(session, messages["welcome:leased"], now, LEASE)
    assert [path.name for path in folder.iterdir()] == [
        eml_name(messages["welcome:sent"].id or 0, "welcome")
    ]

    purged = await purge(
        db, cutoff=now + DAY, now=now + DAY, actor="test", mail_dir=folder, batch_size=1
    )

    assert purged.mail == Emptied(sent_messages=1, sign_in_messages=0)
    assert list(folder.iterdir()) == []
    async with db.session() as session:
        left = {
            m.key: (m.status, m.to_address)
            for m in (await session.exec(select(OutboxMessage))).all()
        }
    assert left == {
        "welcome:sent": ("sent", ""),
        "welcome:leased": ("queued", ADDRESS),
        "welcome:later": ("queued", ADDRESS),
    }


@pytest.mark.asyncio
async def test_purge_empties_sent_messages_batch_by_batch(db: Database) -> None:
    now = utcnow()
    supporter = await add_supporter(db, ADDRESS)
    async with db.writing() as connection:
        await connection.execute(insert(OutboxMessage), [
            {"key": f"sign_in:{n}", "kind": "sign_in", "to_address": ADDRESS,
             "supporter_id": supporter, "context": SIGN_IN, "status": "sent", "attempts": 1,
             "next_attempt_at": now - 3 * DAY, "created_at": now - 3 * DAY,
             "sent_at": now - 3 * DAY} for n in range(5)
        ])  # fmt: skip

    purged = await purge(db, cutoff=now - 90 * DAY, now=now, actor="test", batch_size=2)

    assert purged.mail == Emptied(sent_messages=0, sign_in_messages=5)
    async with db.session() as session:
        addresses = (
            await session.exec(
                select(OutboxMessage.to_address).where(col(OutboxMessage.kind) == "sign_in")
            )
        ).all()
    assert addresses == [""] * 5
