"""Year-end statements: what each supporter gave in the fiscal year, net of refunds and lost
disputes, per currency; sent once each, however often the run is started or cut short."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest

import stripe_events as se
from donations.db import Database
from donations.mail import statements
from donations.settings import Settings
from tests.support.cli import in_process
from tests.support.smtp import Mailbox
from webhooks.inbox import EventOutcome, receive_dict

pytestmark = pytest.mark.asyncio
T = se.START  # 2 March 2026
Json = dict[str, Any]


async def deliver(db: Database, events: list[Json]) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome is not EventOutcome.failed, receipt.error


async def a_year_of_giving(db: Database) -> None:
    ana = [
        se.one_off_gift(2500, "eur", T, "ana@example.org"),
        se.one_off_gift(1000, "eur", T + se.DAY, "ana@example.org"),
        se.one_off_gift(500, "usd", T + 2 * se.DAY, "ana@example.org"),
    ]
    refund = se.refund(ana[1], 400, T + 3 * se.DAY)
    member = se.membership_signup(1000, "eur", "month", T, "bo@example.org")
    renewal = se.membership_renewal(member, T + 31 * se.DAY)
    lost = se.one_off_gift(1500, "eur", T, "cy@example.org")
    dispute = se.dispute(lost, T + se.DAY, "lost")
    last_year = se.one_off_gift(9900, "eur", T - 200 * se.DAY, "di@example.org")
    events = [e for g in ana for e in g.events] + refund.events + member.events
    events += renewal.events + lost.events + dispute.events + last_year.events
    await deliver(db, events)


async def test_a_statement_takes_refunds_and_lost_disputes_off_per_currency(
    db: Database, settings: Settings
) -> None:
    await a_year_of_giving(db)
    async with db.session() as session:
        span = statements.bounds(settings, 2026)
        givers = await statements.givers(session, span, after=0, limit=10)
        assert [email for _, email in givers] == [
            "ana@example.org", "bo@example.org", "cy@example.org"
        ]  # fmt: skip
        ana = await statements.statement(session, settings, givers[0][0], 2026)
        cy = await statements.statement(session, settings, givers[2][0], 2026)
        assert await statements.statement(session, settings, givers[0][0], 2025) is None
    assert ana is not None and cy is not None
    assert [(x.date, x.currency, x.amount, x.taken_back, x.net) for x in ana.lines] == [
        ("2026-03-02", "eur", 2500, 0, 2500),
        ("2026-03-03", "eur", 1000, 400, 600),
        ("2026-03-04", "usd", 500, 0, 500),
    ]
    assert [(t.currency, t.gross, t.taken_back, t.net) for t in ana.totals] == [
        ("eur", 3500, 400, 3100), ("usd", 500, 0, 500)
    ]  # fmt: skip
    assert [(t.currency, t.net) for t in cy.totals] == [("eur", 0)]


async def test_a_dispute_is_taken_off_while_stripe_holds_its_funds_as_in_the_reports(
    db: Database, settings: Settings
) -> None:
    won = se.one_off_gift(1500, "eur", T, "ed@example.org")
    still_open = se.one_off_gift(700, "eur", T + se.DAY, "ed@example.org")
    events = won.events + still_open.events
    events += se.dispute(won, T + 2 * se.DAY, "won").events
    events += se.dispute(still_open, T + 2 * se.DAY).events
    await deliver(db, events)
    async with db.session() as session:
        span = statements.bounds(settings, 2026)
        [(ed_id, _)] = await statements.givers(session, span, after=0, limit=10)
        ed = await statements.statement(session, settings, ed_id, 2026)
    assert ed is not None
    assert [(x.amount, x.taken_back, x.net) for x in ed.lines] == [(1500, 0, 1500), (700, 700, 0)]
    assert [(t.currency, t.gross, t.taken_back, t.net) for t in ed.totals] == [
        ("eur", 2200, 700, 1500)
    ]


async def test_a_fiscal_year_is_named_by_the_year_it_ends_in(settings: Settings) -> None:
    july = settings.model_copy(update={"FISCAL_YEAR_START": "07-01"})
    span = statements.bounds(july, 2026)
    assert (str(span.first_day), str(span.last_day)) == ("2025-07-01", "2026-06-30")
    assert statements.year_name(july, 2026) == "the 2025–26 fiscal year"


async def test_the_command_sends_each_giver_one_statement_and_a_rerun_none(
    db: Database, database_url: str, smtp: Mailbox
) -> None:
    await a_year_of_giving(db)
    env = {"DATABASE_URL": database_url, "SMTP_URL": smtp.url, "NEWSROOM_NAME": "The Ledger"}
    dry = await in_process("statements", "send", "--year", "2026", "--dry-run", env=env)
    assert dry.exit_code == 0, dry.output
    assert "3 supporters gave between 2026-01-01 and 2026-12-31: nothing queued" in dry.stdout
    assert smtp.messages == []
    run = await in_process("statements", "send", "--year", "2026", env=env)
    assert run.exit_code == 0, run.output
    assert "3 statements queued now (0 queued before, or with no address), 3 sent" in run.stdout
    mail = {str(m["To"]): m for m in smtp.wait_for(3)}
    assert sorted(mail) == ["ana@example.org", "bo@example.org", "cy@example.org"]
    assert mail["ana@example.org"]["Subject"] == "Your 2026 giving statement from The Ledger"
    body = mail["ana@example.org"].get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Total in EUR: €31.00" in text and "Total in USD: $5.00" in text
    assert "(€4.00 refunded or disputed)" in text
    again = await in_process("statements", "send", "--year", "2026", env=env)
    assert "0 statements queued now (3 queued before, or with no address), 0 sent" in again.stdout
    assert len(smtp.messages) == 3


async def test_a_run_killed_half_way_is_resumed_and_sends_nobody_twice(
    db: Database, database_url: str, smtp: Mailbox
) -> None:
    readers = 120
    gifts = [se.one_off_gift(500 + i, "eur", T, f"r{i:03d}@example.org") for i in range(readers)]
    await deliver(db, [event for gift in gifts for event in gift.events])
    smtp.delay = 0.02  # a server that takes its time: the run is still going when killed
    env = {**os.environ, "DATABASE_URL": database_url, "SMTP_URL": smtp.url}
    command = [sys.executable, "-m", "donations", "statements", "send", "--year", "2026"]
    quiet = subprocess.DEVNULL
    first = subprocess.Popen(command, env=env, stdout=quiet, stderr=quiet)
    deadline = time.monotonic() + 60
    while len(smtp.messages) < readers // 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    cut = len(smtp.messages)
    assert 0 < cut < readers
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    time.sleep(0.5)
    received = Counter(str(m["To"]) for m in smtp.messages)
    assert max(received.values()) == 1  # nobody twice
    # Everyone, but at most the one message in flight at the kill: its lease has not ended.
    assert len(received) >= readers - 1
