"""`donations webhooks status`: the inbox by status and type, and the oldest failed event,
never a payload."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

import stripe_events as se
from donations.db import Database
from donations.inbox_status import error_line
from donations.models import StripeEvent, utcnow
from donations.reports.windows import iso_utc
from tests.support.cli import in_process
from webhooks.inbox import EventOutcome, receive_dict


async def status(database_url: str, *args: str) -> str:
    result = await in_process("webhooks", "status", *args, env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.asyncio
async def test_status_counts_the_inbox_and_names_the_oldest_failed_event(
    db: Database, database_url: str
) -> None:
    gift = se.one_off_gift(1500, "eur", se.START, "ana@example.org", source="newsletter")
    broken = []
    for at in (se.START + 60, se.START + 120):
        event = se.refund(gift, 500, at).events[0]
        event["data"]["object"]["status"] = "reversed"
        broken.append(event)
    outcomes = [
        (await receive_dict(db, event)).outcome
        for event in [*gift.events, *broken, se.unknown_event(se.START).events[0]]
    ]
    assert outcomes == [EventOutcome.processed] * 2 + [EventOutcome.failed] * 2 + [
        EventOutcome.ignored
    ]
    received = utcnow() - timedelta(hours=2, minutes=5)
    async with db.writing_session() as session:
        await session.exec(
            update(StripeEvent)  # type: ignore[call-overload]
            .where(StripeEvent.id == broken[0]["id"])
            .values(received_at=received)
        )

    text = await status(database_url)
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in text.splitlines()
        if line.count("│") == 4
    ]
    assert rows == [
        ["failed", "refund.created", "2"],
        ["ignored", "product.created", "1"],
        ["processed", "checkout.session.completed", "1"],
        ["processed", "payment_intent.succeeded", "1"],
    ]
    oldest = broken[0]["data"]["object"]["id"]
    assert text.splitlines()[-2:] == [
        "failed: 2, pending: 0",
        f"oldest failed: {broken[0]['id']} refund.created, received {iso_utc(received)} "
        "(2 h 5 min ago), 1 attempt: "
        f"Unreadable: refund {oldest}: status is 'reversed', not a value Stripe documents",
    ]
    assert "newsletter" not in text and "ana@example.org" not in text

    report = json.loads(await status(database_url, "--format", "json"))
    assert report["unprocessed"] == {"failed": 2, "pending": 0}
    assert report["events"][0] == {"status": "failed", "type": "refund.created", "count": 2}
    assert report["oldest_failed"]["id"] == broken[0]["id"]
    assert 2 * 3600 + 300 <= report["oldest_failed"]["age_seconds"] < 2 * 3600 + 360


@pytest.mark.asyncio
async def test_status_of_an_empty_inbox_says_no_failed_event(database_url: str) -> None:
    assert (await status(database_url)).splitlines()[-2:] == [
        "failed: 0, pending: 0",
        "no failed event",
    ]


def test_an_errors_first_line_is_kept_short_and_without_emails() -> None:
    error = "IntegrityError: duplicate key (email)=(ana@example.org)\nDETAIL: payload {...}"
    assert error_line(error) == "IntegrityError: duplicate key (email)=(a***@example.org)"
    assert error_line("x" * 500) == "x" * 199 + "…"
    assert error_line(None) == error_line("") == ""
