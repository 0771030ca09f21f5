"""The outbox: a message is queued once per key, and delivered by SMTP or as a file."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from donations.db import Database
from donations.mail import outbox
from donations.mail.worker import backoff, deliver_due
from donations.models import MailStatus, OutboxMessage, utcnow
from donations.settings import Settings
from tests.support.cli import in_process
from tests.support.smtp import Mailbox

pytestmark = pytest.mark.asyncio

RECEIPT = {
    "amount": 2500, "currency": "eur", "paid_at": "2026-12-01T10:00:00+00:00",
    "description": "A one-off contribution", "reference": "P-1",
}  # fmt: skip


async def queue_receipt(db: Database, key: str = "receipt:1", to: str = "ana@example.org") -> bool:
    async with db.writing_session() as session:
        return await outbox.queue(session, kind="receipt", to=to, key=key, context=RECEIPT)


async def messages(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        found = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return list(found.all())


async def test_a_key_is_queued_once(db: Database) -> None:
    assert await queue_receipt(db) is True
    assert await queue_receipt(db) is False
    [message] = await messages(db)
    assert (message.kind, message.to_address, message.status, message.attempts) == (
        "receipt", "ana@example.org", "queued", 0
    )  # fmt: skip


async def test_a_rolled_back_transaction_queues_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.writing_session() as session:
            await outbox.queue(session, kind="receipt", to="a@example.org", key="k", context={})
            raise RuntimeError("the ledger change failed")
    assert await messages(db) == []


async def test_the_worker_sends_by_smtp_once(
    db: Database, settings: Settings, smtp: Mailbox
) -> None:
    settings = settings.model_copy(update={"SMTP_URL": smtp.url, "NEWSROOM_NAME": "The Ledger"})
    await queue_receipt(db)
    tally = await deliver_due(db, settings)
    assert (tally.sent, tally.failed) == (1, 0)
    again = await deliver_due(db, settings)
    assert again.sent == 0
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "Your receipt from The Ledger: €25.00"
    assert mail["To"] == "ana@example.org"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert "Date:     1 December 2026" in text.get_content()
    assert "<td>€25.00</td>" in html.get_content()
    [message] = await messages(db)
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, None)
    assert message.sent_at is not None


async def test_a_server_that_is_down_is_tried_again_with_backoff(
    db: Database, settings: Settings, smtp: Mailbox
) -> None:
    settings = settings.model_copy(update={"SMTP_URL": smtp.url, "MAIL_MAX_ATTEMPTS": 2})
    await queue_receipt(db)
    smtp.down = True
    now = utcnow()
    tally = await deliver_due(db, settings, now=now)
    assert tally.retrying == 1
    [message] = await messages(db)
    assert message.status == "queued"
    assert message.next_attempt_at == now + backoff(1) == now + timedelta(seconds=30)
    assert "451" in (message.last_error or "")
    # Not due before its backoff; then it fails for good at the last attempt.
    assert (await deliver_due(db, settings, now=now + timedelta(seconds=29))).retrying == 0
    tally = await deliver_due(db, settings, now=now + timedelta(seconds=31))
    assert tally.failed == 1
    assert (await messages(db))[0].status == MailStatus.failed


async def test_a_refused_address_fails_at_once(
    db: Database, settings: Settings, smtp: Mailbox
) -> None:
    smtp.refuse.add("gone@example.org")
    settings = settings.model_copy(update={"SMTP_URL": smtp.url})
    await queue_receipt(db, to="gone@example.org")
    assert (await deliver_due(db, settings)).failed == 1
    [message] = await messages(db)
    assert message.status == "failed"
    assert "550" in (message.last_error or "")


async def test_without_smtp_a_message_is_an_eml_file(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"MAIL_DIR": str(tmp_path / "mail")})
    await queue_receipt(db)
    assert (await deliver_due(db, settings)).sent == 1
    [message] = await messages(db)
    [path] = (tmp_path / "mail").iterdir()
    assert path.name == f"{message.id:08d}-receipt.eml"
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Your receipt from Our newsroom: €25.00"
    assert parsed["To"] == "ana@example.org"


async def test_a_switched_off_kind_and_a_late_message_are_skipped(
    db: Database, settings: Settings, smtp: Mailbox
) -> None:
    settings = settings.model_copy(
        update={"SMTP_URL": smtp.url, "MAIL_DISABLED_KINDS": ["welcome"]}
    )
    async with db.writing_session() as session:
        await outbox.queue(session, kind="welcome", to="a@example.org", key="w", context={})
        await outbox.queue(
            session, kind="receipt", to="b@example.org", key="late", context=RECEIPT,
            happened_at=utcnow() - timedelta(days=30),
        )  # fmt: skip
    tally = await deliver_due(db, settings)
    assert (tally.sent, tally.skipped) == (0, 2)
    welcome, late = await messages(db)
    assert welcome.last_error == "welcome messages are switched off (MAIL_DISABLED_KINDS)"
    assert late.last_error is not None and late.last_error.startswith("queued 720 hours after")
    assert smtp.messages == []


async def test_the_send_command_delivers_what_is_due_and_says_how_it_went(
    db: Database, database_url: str, smtp: Mailbox
) -> None:
    await queue_receipt(db, "receipt:1", "ana@example.org")
    await queue_receipt(db, "receipt:2", "bo@example.org")
    env = {"DATABASE_URL": database_url, "SMTP_URL": smtp.url, "MAIL_SETTLE_SECONDS": "0"}
    run = await in_process("mail", "send", env=env)
    assert run.exit_code == 0, run.output
    assert "sent 2, failed 0, skipped 0, to retry 0" in run.stdout
    assert sorted(str(m["To"]) for m in smtp.wait_for(2)) == ["ana@example.org", "bo@example.org"]
    assert [m.status for m in await messages(db)] == ["sent", "sent"]
