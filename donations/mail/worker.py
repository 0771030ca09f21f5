"""Delivering the outbox: what is due, rendered and sent, each message at most once per lease.

    await deliver_due(db, settings, sender=, renderer=, now=) -> Tally   one pass (cron, tests)
    await run(db, settings, stop)                               the server's background task

A message is taken for an attempt by moving its `next_attempt_at` on by a lease (outbox.claim),
in a transaction of its own: two workers (every server process runs one, and cron may run
`donations mail send`) never take the same message at once. Then, outside any transaction:
- its kind switched off (MAIL_DISABLED_KINDS), or queued more than MAIL_MAX_EVENT_AGE_HOURS
  after what caused it: skipped, with the reason;
- rendered (a template error fails it for good: staff see it at /admin/mail);
- sent: `sent`. A refusal for good (a 5xx for the address): `failed`. Anything else (the
  server down, a timeout): tried again after a backoff of 30 s × 4^(attempt − 1), at most
  6 hours, until MAIL_MAX_ATTEMPTS, then `failed`.
A crash between sending and marking it sent sends it again when the lease ends: a reader may
get a rare duplicate, never nothing. The Message-ID is the same on every attempt, so mail
programs that notice show it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import bindparam, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.db import Database, unavailable
from donations.mail import links, outbox, statements
from donations.mail.delivery import Sender, Undeliverable, eml_name, sender_for
from donations.mail.kinds import Kind
from donations.mail.render import Renderer
from donations.models import MailStatus, OutboxMessage, Payment, utcnow
from donations.settings import Settings
from donations.sql import execute

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)
BATCH = 50
POLL_SECONDS = 2.0
SWITCHED_OFF = "{kind} messages are switched off (MAIL_DISABLED_KINDS)"
NOTHING_TO_STATE = "the supporter gave nothing in {year} any more, or was erased"
TOO_LATE = "queued {hours:.0f} hours after what caused it (MAIL_MAX_EVENT_AGE_HOURS)"


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retrying: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    later: timedelta = FIRST_BACKOFF * 4 ** max(attempts - 1, 0)
    return min(later, MAX_BACKOFF)


async def deliver_due(
    db: Database,
    settings: Settings,
    *,
    sender: Sender | None = None,
    renderer: Renderer | None = None,
    now: datetime | None = None,
    limit: int = BATCH,
) -> Tally:
    """Send what is due now (at most `limit` messages); how each ended."""
    sender = sender or sender_for(settings)
    tally = Tally()
    now = now or utcnow()
    async with db.session() as session:
        settle = timedelta(seconds=settings.MAIL_SETTLE_SECONDS)
        due = await outbox.due(session, now, limit, settle)
    if not due:
        return tally
    renderer = renderer or Renderer(settings)
    # Each message is claimed just before its attempt, in the transaction that writes how
    # the one before ended: one commit per message, and a crash half way leaves at most the
    # one message in flight to be sent again (when its lease ends), the rest due as before.
    ledger = await _from_ledger(db, settings, due)
    outcome: _Outcome | None = None
    for message in due:
        async with db.writing_session() as session:
            if outcome is not None:
                await outcome.write(session)
            claimed = await outbox.claim(session, message, now, LEASE)
        outcome = None
        if claimed:  # else another worker has it
            outcome = await _attempt(settings, sender, renderer, message, now, tally, ledger)
    if outcome is not None:
        async with db.writing_session() as session:
            await outcome.write(session)
    return tally


@dataclass(frozen=True)
class _Outcome:
    message_id: int
    status: MailStatus
    subject: str | None
    error: str | None
    next_at: datetime

    async def write(self, session: AsyncSession) -> None:
        await outbox.finish(
            session, self.message_id, self.status, at=utcnow(), subject=self.subject,
            error=self.error, next_at=self.next_at,
        )  # fmt: skip


async def _attempt(
    settings: Settings,
    sender: Sender,
    renderer: Renderer,
    message: OutboxMessage,
    now: datetime,
    tally: Tally,
    ledger: _Ledger,
) -> _Outcome:
    assert message.id is not None
    attempts = message.attempts + 1
    skip = _reason_to_skip(settings, message)
    subject = None
    if skip is not None:
        status, error, next_at = MailStatus.skipped, skip, now
        tally.skipped += 1
    else:
        try:
            values = _values(settings, message, ledger)
            rendered = renderer.render(message.kind, values)
            subject = rendered.subject
            email = _email(settings, message, rendered.subject, rendered.text, rendered.html)
            await sender.send(email, name=eml_name(message.id, message.kind))
        except (TemplateError, Undeliverable, LookupError, TypeError, ValueError) as problem:
            status, error, next_at = MailStatus.failed, _describe(problem), now
            tally.failed += 1
        except Exception as problem:
            error, next_at = _describe(problem), now + backoff(attempts)
            status = (
                MailStatus.queued if attempts < settings.MAIL_MAX_ATTEMPTS else MailStatus.failed
            )
            if status is MailStatus.failed:
                tally.failed += 1
            else:
                tally.retrying += 1
        else:
            status, error, next_at = MailStatus.sent, None, now
            tally.sent += 1
    if error is not None:
        tally.errors.append(f"#{message.id} {message.kind}: {error}")
        logger.warning("mail %s: %s", status.value, error, extra={"outbox": message.id})
    return _Outcome(message.id, status, subject, error, next_at)


def _reason_to_skip(settings: Settings, message: OutboxMessage) -> str | None:
    if message.kind in settings.MAIL_DISABLED_KINDS:
        return SWITCHED_OFF.format(kind=message.kind)
    if message.happened_at is not None:
        late = message.created_at - message.happened_at
        if late > timedelta(hours=settings.MAIL_MAX_EVENT_AGE_HOURS):
            return TOO_LATE.format(hours=late.total_seconds() / 3600)
    return None


_CARDS = select(col(Payment.id), col(Payment.card_brand), col(Payment.card_last4)).where(
    col(Payment.id).in_(bindparam("ids", expanding=True)),
    col(Payment.card_brand).is_not(None),
    col(Payment.card_last4).is_not(None),
)


@dataclass(frozen=True)
class _Ledger:
    """What a batch's messages read from the ledger: their payments' cards, their statements."""

    cards: dict[int, dict[str, str]]
    statements: dict[tuple[int, int], statements.Statement]


def _values(settings: Settings, message: OutboxMessage, ledger: _Ledger) -> dict[str, Any]:
    """The message's context, completed from the ledger as it is now."""
    values: dict[str, Any] = {"to": message.to_address, **message.context}
    values.setdefault("card", None)
    if message.payment_id in ledger.cards:
        values["card"] = ledger.cards[message.payment_id]
    if message.membership_id is not None:
        values["card_update_url"] = links.card_update_url(settings, message.membership_id)
    if message.kind == Kind.statement:
        year = int(message.context["year"])
        statement = ledger.statements.get((message.supporter_id or 0, year))
        if statement is None:
            raise LookupError(NOTHING_TO_STATE.format(year=year))
        values.update(statement.values())
    return values


async def _from_ledger(db: Database, settings: Settings, due: list[OutboxMessage]) -> _Ledger:
    """The cards and statements of `due`, read in one query for the cards and two per year
    for the statements, rather than per message."""
    payments = sorted({m.payment_id for m in due if m.payment_id is not None})
    wanted: dict[int, list[int]] = {}
    for message in due:
        if message.kind == Kind.statement and message.supporter_id is not None:
            wanted.setdefault(int(message.context["year"]), []).append(message.supporter_id)
    ledger = _Ledger(cards={}, statements={})
    if not payments and not wanted:
        return ledger
    async with db.session() as session:
        if payments:
            for row in await execute(session, _CARDS, {"ids": payments}):
                ledger.cards[row.id] = {"brand": row.card_brand, "last4": row.card_last4}
        for year, supporters in wanted.items():
            for supporter_id, statement in (
                await statements.statements_of(session, settings, supporters, year)
            ).items():
                ledger.statements[(supporter_id, year)] = statement
    return ledger


def _email(
    settings: Settings, message: OutboxMessage, subject: str, text: str, html: str
) -> Message:
    # The classic MIME classes: the modern EmailMessage parses every header it is given
    # again, which made building a message cost more than rendering its templates.
    email = MIMEMultipart("alternative")
    email["From"] = formataddr((settings.NEWSROOM_NAME, settings.MAIL_FROM))
    email["To"] = message.to_address
    email["Subject"] = Header(subject, "utf-8").encode() if not subject.isascii() else subject
    email["Date"] = format_datetime(utcnow())
    domain = settings.MAIL_FROM.rpartition("@")[2] or "localhost"
    # The same on every attempt: a duplicate after a crash is recognisably the same message.
    email["Message-ID"] = f"<outbox-{message.id}.{_key_token(message.key)}@{domain}>"
    if settings.MAIL_REPLY_TO:
        email["Reply-To"] = settings.MAIL_REPLY_TO
    email["X-Newsroom-Mail-Kind"] = message.kind
    email.attach(MIMEText(text, "plain", "utf-8"))
    email.attach(MIMEText(html, "html", "utf-8"))
    return email


def _key_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _describe(problem: BaseException) -> str:
    return f"{type(problem).__name__}: {problem}"[:2000]


async def run(db: Database, settings: Settings, stop: asyncio.Event) -> None:
    """Deliver what is due every POLL_SECONDS until `stop` is set (the server's lifespan)."""
    # Built once: a Renderer's Jinja environment caches the templates it compiled.
    sender, renderer = sender_for(settings), Renderer(settings)
    while not stop.is_set():
        try:
            await deliver_due(db, settings, sender=sender, renderer=renderer)
        except Exception as error:  # the next pass tries again
            if unavailable(error):
                # The database away for a moment: /readyz and the requests say so already.
                logger.warning("mail delivery waits: the database is unavailable")
            else:
                logger.exception("mail delivery pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
