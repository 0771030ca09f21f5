"""The choices and attribution reports, and the gifts and newsletter exports, over a ledger
booked from Stripe's events: figures worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

import stripe_events as se
from donations.db import Database
from donations.reports.choices import stream_choices
from donations.reports.export import csv_lines
from donations.reports.gifts import (
    GIFT_COLUMNS,
    GIFT_MONEY_COLUMNS,
    stream_gifts,
    stream_newsletter,
)
from donations.reports.sources import stream_sources
from tests.webhooks.test_handlers import DAY, T, deliver

FIRST, LAST = date(2026, 3, 1), date(2026, 4, 30)
MEMORY = {"tribute": "memory", "tribute_name": "Ada", "newsletter": "true", "utm_source": "fb"}
COVERED = {"fee_covered": "41", "anonymous": "true", "reason": "Why not", "utm_source": "fb",
           "utm_medium": "social", "referrer": "https://news.example/a"}  # fmt: skip


async def _ledger(db: Database) -> None:
    gifts = [
        se.one_off_gift(1041, "eur", T, "ana@example.org", source="footer", choices=COVERED),
        se.one_off_gift(2500, "eur", T + DAY, "bo@example.org", choices=MEMORY),
        se.one_off_gift(500, "gbp", T + DAY, "cy@example.org"),
    ]
    member = se.membership_signup(700, "eur", "month", T, "bo@example.org", choices=MEMORY)
    renewal = se.membership_renewal(member, T + 30 * DAY)
    events: list[dict[str, Any]] = [e for gift in gifts for e in gift.events]
    await deliver(db, events + member.events + renewal.events)


async def _all(rows: Any) -> list[dict[str, Any]]:
    return [row if isinstance(row, dict) else row.as_json() async for row in rows]


@pytest.mark.asyncio
async def test_choices_count_each_payment_renewals_included(db: Database) -> None:
    await _ledger(db)
    async with db.session() as session:
        rows = await _all(
            stream_choices(session=session, first_day=FIRST, last_day=LAST, timezone="UTC")
        )
    assert rows == [
        {"currency": "eur", "payments": 4, "gross": 1041 + 2500 + 700 + 700, "fees_covered": 1,
         "fee_covered": 41, "anonymous": 1, "in_honour": 0, "in_memory": 3, "with_reason": 1,
         "newsletter": 3},
        {"currency": "gbp", "payments": 1, "gross": 500, "fees_covered": 0, "fee_covered": 0,
         "anonymous": 0, "in_honour": 0, "in_memory": 0, "with_reason": 0, "newsletter": 0},
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_sources_by_any_attribution(db: Database) -> None:
    await _ledger(db)
    span = {"first_day": FIRST, "last_day": LAST, "timezone": "UTC"}
    async with db.session() as session:
        by_utm = await _all(stream_sources(session=session, by="utm_source", **span))
        by_medium = await _all(stream_sources(session=session, by="utm_medium", **span))
    assert by_utm == [
        {"utm_source": "fb", "currency": "eur", "payments": 4, "gross": 4941},
        {"utm_source": "(none)", "currency": "gbp", "payments": 1, "gross": 500},
    ]
    assert by_medium == [
        {"utm_medium": "(none)", "currency": "eur", "payments": 3, "gross": 3900},
        {"utm_medium": "social", "currency": "eur", "payments": 1, "gross": 1041},
        {"utm_medium": "(none)", "currency": "gbp", "payments": 1, "gross": 500},
    ]
    with pytest.raises(ValueError, match="by must be one of"):
        async with db.session() as session:
            await _all(stream_sources(session=session, by="email", **span))


@pytest.mark.asyncio
async def test_the_gifts_export_hides_who_gave_anonymously(db: Database) -> None:
    await _ledger(db)
    async with db.session() as session:
        rows = await _all(
            stream_gifts(session=session, first_day=FIRST, last_day=LAST, timezone="UTC")
        )
        lines = [
            line
            async for chunk in csv_lines(
                GIFT_COLUMNS,
                stream_gifts(session=session, first_day=FIRST, last_day=LAST, timezone="UTC"),
                money_columns=GIFT_MONEY_COLUMNS,
            )
            for line in chunk.splitlines()
        ]
    first = rows[0]
    assert (first["amount"], first["fee_covered"], first["currency"]) == (1041, 41, "eur")
    # The file: major units beside the currency's code as every export writes them.
    written = dict(zip(lines[0].split(","), lines[1].split(","), strict=True))
    assert (written["amount"], written["fee_covered"], written["currency"]) == (
        "10.41",
        "0.41",
        "eur",
    )
    assert (written["anonymous"], written["name"], written["email"]) == ("yes", "", "")
    assert (first["anonymous"], first["name"], first["email"]) == ("yes", None, None)
    assert (first["reason"], first["utm_medium"], first["source"]) == (
        "Why not",
        "social",
        "footer",
    )
    named = [row for row in rows if row["email"] == "bo@example.org"]
    assert [(r["amount"], r["tribute"], r["newsletter"], r["anonymous"]) for r in named] == [
        (700, "memory", "yes", ""), (2500, "memory", "yes", ""), (700, "memory", "yes", ""),
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_the_newsletter_list_has_each_supporter_who_asked_once(db: Database) -> None:
    await _ledger(db)
    async with db.session() as session:
        rows = await _all(stream_newsletter(session=session, since=None, timezone="UTC"))
        later = await _all(
            stream_newsletter(session=session, since=date(2026, 3, 20), timezone="UTC")
        )
    assert [(r["email"], r["gifts"], r["first_opt_in"], r["latest_gift"]) for r in rows] == [
        ("bo@example.org", 3, "2026-03-02T11:00:00Z", "2026-04-01T11:00:00Z"),
    ]
    assert [(r["email"], r["gifts"]) for r in later] == [("bo@example.org", 1)]
