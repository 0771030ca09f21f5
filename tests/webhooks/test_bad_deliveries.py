"""Signed deliveries no Stripe endpoint sends: refused with 400 and the reason, nothing stored,
no traceback in the log."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import pytest
import stripe

import stripe_events
from donations.db import Database
from donations.models import StripeEvent
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.webhook_delivery import WEBHOOK_PATH, deliver, signed
from tests.webhooks.ledger_dump import count

pytestmark = pytest.mark.asyncio

TOO_FAR = {"received": False, "error": "signature timestamp outside the tolerance"}


def _gift_event() -> dict[str, Any]:
    gift = stripe_events.one_off_gift(1500, "eur", int(time.time()), "ana@example.org")
    return gift.events[1]


def _signed_text(text: str) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(text, TEST_WEBHOOK_SECRET)
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


@pytest.mark.parametrize("ahead", [301, 3600, 7 * 24 * 3600])
async def test_a_signature_dated_beyond_the_tolerance_ahead_is_refused(
    client: httpx.AsyncClient, db: Database, ahead: int
) -> None:
    body, headers = signed(_gift_event(), TEST_WEBHOOK_SECRET, timestamp=int(time.time()) + ahead)
    response = await client.post(WEBHOOK_PATH, content=body, headers=headers)
    assert (response.status_code, response.json()) == (400, TOO_FAR)
    assert await count(db, StripeEvent) == 0


async def test_a_clock_a_minute_ahead_of_ours_is_accepted(
    client: httpx.AsyncClient, db: Database
) -> None:
    body, headers = signed(_gift_event(), TEST_WEBHOOK_SECRET, timestamp=int(time.time()) + 60)
    response = await client.post(WEBHOOK_PATH, content=body, headers=headers)
    assert (response.status_code, response.json()) == (200, {"received": True})
    assert await count(db, StripeEvent) == 1


@pytest.mark.parametrize(
    "text",
    [
        "[" * 1024 + "]" * 1024,
        # A real event with a kilobyte of nesting in its metadata.
        json.dumps(_gift_event()).replace(
            '"metadata": {', '"deep": ' + "[" * 1100 + "]" * 1100 + ', "metadata": {', 1
        ),
    ],
)
async def test_signed_json_nested_beyond_reading_is_refused_without_a_traceback(
    client: httpx.AsyncClient, db: Database, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    caplog.set_level(logging.WARNING)
    response = await client.post(WEBHOOK_PATH, content=text.encode(), headers=_signed_text(text))
    assert (response.status_code, response.json()) == (
        400,
        {"received": False, "error": "body is nested too deeply"},
    )
    assert await count(db, StripeEvent) == 0
    assert [record for record in caplog.records if record.exc_info] == []


async def test_an_event_nested_as_deep_as_python_reads_is_booked(
    client: httpx.AsyncClient, db: Database
) -> None:
    event = _gift_event()
    event["data"]["object"]["deep"] = json.loads("[" * 200 + "]" * 200)
    response = await deliver(client, event, TEST_WEBHOOK_SECRET)
    assert (response.status_code, response.json()) == (200, {"received": True})
