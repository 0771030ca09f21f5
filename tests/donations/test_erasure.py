"""`donations supporters erase`: the reader is gone from every text column of every table, on
SQLite and PostgreSQL, and every amount and report figure is what it was."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import pytest_asyncio
from sqlmodel import col, select

import stripe_events as se
from donations.account import sign_in
from donations.app import create_app
from donations.db import Database
from donations.erasure import erase, find, refresh
from donations.mail import outbox
from donations.mail.worker import deliver_due
from donations.models import (
    AccountSession,
    AuditLog,
    Campaign,
    Checkout,
    OutboxMessage,
    Payment,
    SignInLink,
    StripeEvent,
    Supporter,
    utcnow,
)
from donations.reports.progress import campaign_progress
from donations.reports.snapshots import take_snapshots
from donations.retention import reading
from donations.settings import Settings
from tests.donations.reader_history import (
    PERSONAL_OBJECTS,
    Reader,
    as_stripe_sends,
    history,
    traces,
)
from tests.support.cli import donations, in_process
from tests.support.servers import free_port, serve_in_thread
from tests.webhooks.conflicts import allow_checkouts, refuse_checkout_quoting
from tests.webhooks.ledger_dump import totals
from webhooks.inbox import EventOutcome, receive_dict

ANA = Reader(
    name="Ana López", email="ana.lopez@example.org", street="Torstraße 109", phone="+49 30 901820"
)
WORK_EMAIL = "ana@work.example"
BEN = Reader(
    ip="198.51.100.23",
    name="Ben Okafor",
    email="ben.okafor@example.org",
    street="Kastanienallee 12",
    phone="+49 30 5550123",
)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ACCOUNT_KEY = b"k" * 32


async def _receive(db: Database, events: list[dict[str, Any]]) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome == EventOutcome.processed, receipt.error


async def _progress(db: Database) -> dict[str, Any]:
    async with db.session() as session:
        campaign = (await session.exec(select(Campaign))).one()
        progress = await campaign_progress(
            session=session, campaign=campaign, timezone="UTC", now=NOW
        )
    return progress.as_json()


@pytest_asyncio.fixture
async def site(database_url: str) -> AsyncIterator[str]:
    """The app on a real server, its Stripe the mounted emulator: where a reader starts a
    checkout."""
    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        CHECKOUT_RATE_LIMIT="100/minute",
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


async def _start_checkout(site: str, email: str) -> str:
    """A reader opens Checkout from our form's API and never pays."""
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{site}/api/checkout-sessions",
            json={"amount": 1500, "currency": "eur", "frequency": "one_off", "email": email},
        )
    assert response.status_code == 201, response.text
    session_id: str = response.json()["id"]
    return session_id


async def _failed_event(db: Database, reader: Reader) -> str:
    """An event a handler cannot book: its stored error quotes the row it tried to write."""
    gift = se.one_off_gift(1500, "eur", se.START + 80 * se.DAY, reader.email)
    completed = as_stripe_sends(gift.events[0], reader)
    await refuse_checkout_quoting(db, completed["data"]["object"]["id"], reader.email)
    receipt = await receive_dict(db, completed)
    await allow_checkouts(db)
    assert receipt.outcome == EventOutcome.failed
    assert receipt.error is not None and reader.email in receipt.error
    event_id: str = completed["id"]
    return event_id


async def _outbox_count(db: Database, *to: str) -> int:
    """Messages not erased (their address not emptied), of everyone or to these addresses."""
    query = select(OutboxMessage).where(OutboxMessage.to_address != "")
    async with db.session() as session:
        found = (await session.exec(query)).all()
    return sum(1 for m in found if not to or m.to_address.lower() in to)


async def _signed_in(db: Database, email: str) -> str:
    """The reader asks for two sign-in links and opens one: a session, signed in now."""
    now = utcnow()
    tokens = []
    for _ in range(2):
        issued = await sign_in.issue_link(
            db, key=ACCOUNT_KEY, email=email, site_url="https://news.example", minutes=30,
            client_ip=None, now=now,
        )  # fmt: skip
        assert issued is not None
        tokens.append(unquote(issued.url.partition("token=")[2]))
    cookie = await sign_in.redeem(
        db, key=ACCOUNT_KEY, value=tokens[0], session_hours=12, client_ip=None, now=now
    )
    assert cookie is not None
    assert await sign_in.signed_in(db, key=ACCOUNT_KEY, cookie=cookie, now=now) is not None
    return cookie


async def _account_rows(db: Database) -> tuple[int, int]:
    """(sign-in links, account sessions) of everyone."""
    async with db.session() as session:
        links = (await session.exec(select(SignInLink))).all()
        sessions = (await session.exec(select(AccountSession))).all()
    return len(links), len(sessions)


async def _erase(database_url: str, who: str) -> Any:
    return await in_process("supporters", "erase", who, env={"DATABASE_URL": database_url})


@pytest.mark.asyncio
async def test_erasure_leaves_no_trace_in_any_column_and_every_total_as_it_was(
    db: Database, database_url: str, site: str
) -> None:
    ana = history(ANA, work_email=WORK_EMAIL)
    ben = history(BEN)
    await _receive(db, ana.events + ben.events)
    failed = await _failed_event(db, ANA)
    await _start_checkout(site, "Ana.Lopez@Example.ORG")
    async with db.writing_session() as session:
        session.add(
            Campaign(slug="2026", name="Reader support 2026", currency="eur", target=1_000_000,
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        )  # fmt: skip
        # An export whose filter named the reader: audit details can hold an address.
        session.add(
            AuditLog(actor="ops", action="export", detail=json.dumps({"search": ANA.email.upper()}))
        )
    async with db.writing_session() as session:
        await take_snapshots(session=session, timezone="UTC", now=NOW)
    her_cookie, his_cookie = await _signed_in(db, ANA.email), await _signed_in(db, BEN.email)
    assert await _account_rows(db) == (4, 2)
    progress, ledger = await _progress(db), await totals(db)
    untouched = await traces(db, BEN.terms)
    assert set(untouched) == {
        ("checkout", "email"), ("stripe_event", "payload"), ("supporter", "email"),
        ("supporter", "name"), ("outbox", "to_address"),
    }  # fmt: skip
    terms = ANA.terms | {WORK_EMAIL}
    assert await traces(db, terms) == {
        ("audit_log", "detail"): {ANA.email},
        ("checkout", "email"): {ANA.email},
        # Her receipts, welcome, refund notice... (and one to her work address).
        ("outbox", "to_address"): {ANA.email, WORK_EMAIL},
        ("stripe_event", "last_error"): {ANA.email},
        ("stripe_event", "payload"): {
            t.casefold() for t in terms if t not in (ANA.name, ANA.street)
        },
        ("supporter", "email"): {ANA.email},
        ("supporter", "name"): {ANA.name.casefold()},
    }

    messages = await _outbox_count(db, ANA.email, WORK_EMAIL)
    erased = await _erase(database_url, "ANA.LOPEZ@example.org")

    assert erased.exit_code == 0, erased.output
    personal = sum(e["data"]["object"]["object"] in PERSONAL_OBJECTS for e in ana.events) + 1
    assert erased.stdout == (
        f"erased: 1 supporter, 2 sign-in links, 1 account session, 6 checkouts, "
        f"{personal} stored events, 1 stored error, "
        f"1 audit detail, 0 report snapshots, 0 payment notes, {messages} outbox messages, "
        "0 mail files; every amount kept\n"
    )
    assert await traces(db, terms) == {}
    # Her links and session are gone, her open session ended; his still signs him in.
    assert await _account_rows(db) == (2, 1)
    now = utcnow()
    assert await sign_in.signed_in(db, key=ACCOUNT_KEY, cookie=her_cookie, now=now) is None
    assert await sign_in.signed_in(db, key=ACCOUNT_KEY, cookie=his_cookie, now=now) is not None
    assert await _progress(db) == progress
    assert await totals(db) == ledger
    # The other reader is untouched.
    assert await traces(db, BEN.terms) == untouched
    async with db.session() as session:
        audit = (
            await session.exec(select(AuditLog).where(AuditLog.action == "supporter_erased"))
        ).one()
        stored = await session.get(StripeEvent, failed)
        [erased_supporter] = (
            await session.exec(select(Supporter).where(col(Supporter.erased_at).is_not(None)))
        ).all()
    # What was erased, counted per place; not whose.
    assert json.loads(audit.detail or "") == {
        "supporters": 1, "sign_in_links": 2, "account_sessions": 1, "checkouts": 6,
        "payments": 0, "stored_events": personal,
        "stored_errors": 1, "audit_log": 1, "snapshots": 0, "outbox": messages,
    }  # fmt: skip
    assert (erased_supporter.email, erased_supporter.name) == (None, None)
    assert stored is not None and stored.redacted_at is not None
    assert stored.last_error is not None and "IntegrityError" in stored.last_error
    # Nothing left to find: a second request finds nobody.
    again = await _erase(database_url, ANA.email)
    assert (again.exit_code, again.stdout) == (1, "")
    assert again.stderr == "nothing is known about a***@example.org: nothing erased\n"


@pytest.mark.asyncio
async def test_a_reader_who_only_started_a_checkout_can_be_erased(
    db: Database, database_url: str, site: str
) -> None:
    session_id = await _start_checkout(site, "Cara.Nowak@Example.ORG")

    erased = await _erase(database_url, "cara.nowak@example.org")

    assert erased.exit_code == 0, erased.output
    assert erased.stdout == (
        "erased: 0 supporters, 0 sign-in links, 0 account sessions, 1 checkout, "
        "0 stored events, 0 stored errors, "
        "0 audit details, 0 report snapshots, 0 payment notes, 0 outbox messages, 0 mail files; "
        "every amount kept\n"
    )
    async with db.session() as session:
        checkout = (await session.exec(select(Checkout))).one()
    assert (checkout.stripe_session_id, checkout.email, checkout.amount) == (session_id, None, 1500)


@pytest.mark.asyncio
async def test_a_reader_can_be_erased_by_their_stripe_customer_id(
    db: Database, database_url: str
) -> None:
    gift = se.one_off_gift(2200, "eur", se.START, BEN.email)
    await _receive(db, [as_stripe_sends(event, BEN) for event in gift.events])
    assert gift.customer_id is not None

    erased = await _erase(database_url, gift.customer_id)

    assert erased.exit_code == 0, erased.output
    assert erased.stdout.startswith(
        "erased: 1 supporter, 0 sign-in links, 0 account sessions, 1 checkout, 2 stored events, "
    )
    assert await traces(db, BEN.terms) == {}


def test_nothing_known_exits_1_and_a_bad_argument_exits_2(database_url: str) -> None:
    # Through the installed entry point: what an operator's script sees.
    unknown = donations("supporters", "erase", "Nobody@Example.org", database_url=database_url)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == "nothing is known about n***@example.org: nothing erased\n"
    bad = donations("supporters", "erase", "nobody at example.org", database_url=database_url)
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr == (
        "error: 'nobody at example.org' is neither an email address nor a Stripe customer id "
        "(cus_...)\n"
    )


@pytest.mark.asyncio
async def test_what_arrives_while_the_reader_is_being_found_is_erased_too(db: Database) -> None:
    first = se.one_off_gift(2500, "eur", se.START, ANA.email)
    await _receive(db, [as_stripe_sends(event, ANA) for event in first.events])
    started = utcnow()
    async with reading(db) as reader, reader.engine.connect() as connection:
        person = await find(connection, email=ANA.email)
    assert person is not None and len(person.events) == 2
    # Meanwhile, a new gift: a new customer, known to be hers only through its session's email.
    later = se.one_off_gift(1000, "eur", se.START + se.DAY, ANA.email)
    await _receive(db, [as_stripe_sends(event, ANA) for event in later.events])

    async with db.writing() as connection:
        person = await refresh(connection, person, since=started - timedelta(minutes=15))
        erased = await erase(connection, person, actor="test", now=utcnow())

    assert erased.counts["stored_events"] == 4
    assert person.customers == {first.customer_id, later.customer_id}
    assert await traces(db, ANA.terms) == {}


@pytest.mark.asyncio
async def test_their_messages_and_mail_files_are_erased_and_a_queued_one_never_sent(
    db: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "mail"
    gift = se.one_off_gift(2200, "eur", se.START, ANA.email)
    other = se.one_off_gift(1000, "eur", se.START, BEN.email)
    await _receive(db, [as_stripe_sends(e, ANA) for e in gift.events] + other.events)
    async with db.writing_session() as session:
        for key in ("welcome:a", "welcome:b"):
            await outbox.queue(
                session,
                kind="welcome",
                to=ANA.email,
                key=key,
                context={"amount": 2200, "currency": "eur", "how_often": "annual"},
            )
        await outbox.queue(
            session,
            kind="welcome",
            to=BEN.email,
            key="welcome:c",
            context={"amount": 1000, "currency": "eur", "how_often": "annual"},
        )
    files = settings.model_copy(update={"MAIL_DIR": str(folder), "MAIL_SETTLE_SECONDS": 0.0})
    await deliver_due(db, files, limit=3)  # the oldest receipts (skipped: too old), a welcome
    assert len(list(folder.iterdir())) == 1
    assert ANA.email.encode() in next(folder.iterdir()).read_bytes()

    erased = await in_process(
        "supporters", "erase", ANA.email,
        env={"DATABASE_URL": database_url, "MAIL_DIR": str(folder)},
    )  # fmt: skip

    assert erased.exit_code == 0, erased.output
    assert ", 0 payment notes, 3 outbox messages, 1 mail file; every amount kept" in erased.stdout
    assert list(folder.iterdir()) == []
    assert await traces(db, ANA.terms) == {}
    assert await _outbox_count(db) == 2  # Ben's receipt and welcome
    async with db.session() as session:
        kept = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.key == "welcome:b"))
        ).one()
        ben = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.key == "welcome:c"))
        ).one()
    assert (kept.status, kept.last_error) == ("skipped", "the reader's personal data was erased")
    await deliver_due(db, files)
    assert [path.name for path in folder.iterdir()] == [f"{ben.id:08d}-welcome.eml"]


@pytest.mark.asyncio
async def test_a_givers_own_words_go_and_their_other_choices_stay(
    db: Database, database_url: str
) -> None:
    words = {"tribute": "memory", "tribute_name": "Grandma Olga", "reason": "She read you daily",
             "anonymous": "true", "utm_source": "newsletter"}  # fmt: skip
    gift = se.one_off_gift(2200, "eur", se.START, BEN.email, choices=words)
    await _receive(db, [as_stripe_sends(event, BEN) for event in gift.events])

    erased = await _erase(database_url, BEN.email)

    assert erased.exit_code == 0, erased.output
    assert erased.stdout.endswith(
        ", 1 payment note, 1 outbox message, 0 mail files; every amount kept\n"
    )
    async with db.session() as session:
        payment = (await session.exec(select(Payment))).one()
        checkout = (await session.exec(select(Checkout))).one()
        stored = [json.loads(e.payload) for e in (await session.exec(select(StripeEvent))).all()]
    for row in (payment, checkout):
        assert (row.tribute_name, row.reason) == (None, None)
        assert (row.tribute, row.anonymous, row.utm_source, row.amount) == (
            "memory", True, "newsletter", 2200,
        )  # fmt: skip
    assert not any("Olga" in json.dumps(event) or "daily" in json.dumps(event) for event in stored)
